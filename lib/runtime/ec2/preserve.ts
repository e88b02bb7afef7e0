import { DescribeAutoScalingInstancesCommand, DetachInstancesCommand, AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeInstanceAttributeCommand, EC2Client, Instance, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { describeTargetInstance, PlannedAction, StepMode } from './instance';
import '../clients/auto-scaling';
import '../clients/ec2';
import '../clients/elastic-load-balancing-v2';

/** Instance state recorded before Preserve changes anything (what release restores). */
export interface PreservePriorState {
  readonly disableApiTermination: boolean;
  readonly shutdownBehavior: string;
  /** Device name → DeleteOnTermination. */
  readonly deleteOnTermination: Record<string, boolean>;
  /** The Auto Scaling group the instance belonged to, if any. */
  readonly autoScalingGroup?: string;
  /** Target groups the instance was registered in. */
  readonly targetGroups: { arn: string; port?: number }[];
}

/** Dependencies of {@link ensureInstancePreserved}. */
export interface PreserveDeps {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  /** Stores the prior state once (first observation wins); absent in a dry run. */
  readonly recordPriorState?: (value: PreservePriorState) => Promise<PreservePriorState>;
}

/** Result of {@link ensureInstancePreserved}. */
export interface PreserveResult {
  readonly instanceId: string;
  readonly prior: PreservePriorState;
  /** Changes made (apply) or that would be made (plan). Empty when already preserved. */
  readonly actions: PlannedAction[];
}

/**
 * Ensures an instance is preserved for investigation (DESIGN.md §3 ec2-compromise, Preserve):
 * - termination protection on (`DisableApiTermination`);
 * - `InstanceInitiatedShutdownBehavior = stop`;
 * - `DeleteOnTermination = false` on every EBS volume;
 * - detached from its Auto Scaling group without decrementing desired capacity (DetachInstances
 *   with `ShouldDecrementDesiredCapacity=false`), so the group replaces it and never terminates it;
 * - deregistered from every ELB target group in its VPC.
 *
 * Reads the current state first and applies only the difference; records the prior state before
 * the first change. APIs: EC2 DescribeInstanceAttribute / ModifyInstanceAttribute, Auto Scaling
 * DescribeAutoScalingInstances / DetachInstances, ELBv2 DescribeTargetGroups / DescribeTargetHealth /
 * DeregisterTargets.
 * @param input - `instanceId`, and `mode` (`plan` makes no mutating call).
 * @throws {ResourceGone} when the instance is gone.
 */
export async function ensureInstancePreserved(
  input: { instanceId: string; mode: StepMode; notFoundGraceSeconds?: number },
  deps: PreserveDeps,
): Promise<PreserveResult> {
  const { instanceId } = input;
  const instance = describeTargetInstance(deps.ec2, instanceId, { notFoundGraceSeconds: input.notFoundGraceSeconds });
  const observed = await readPreservation(deps, instanceId, instance);
  const prior = input.mode === 'apply' && deps.recordPriorState ? await deps.recordPriorState(observed) : observed;
  const { actions, work } = planPreservation(deps, instanceId, observed);
  if (input.mode === 'apply') await Promise.all(work.map((w) => w()));
  return { instanceId, prior, actions };
}

/**
 * The reads of {@link ensureInstancePreserved}, all started at once: the two instance attributes, the Auto Scaling
 * membership and the target groups (DescribeTargetGroups at once, DescribeTargetHealth of those in the instance's VPC
 * when the instance is known); `DeleteOnTermination` from the described instance.
 * @param instance - the instance, or the DescribeInstances still under way (its rejection is this call's).
 * @returns the instance's preservation state as found.
 */
export async function readPreservation(
  deps: Pick<PreserveDeps, 'ec2' | 'autoScaling' | 'elbv2'>,
  instanceId: string,
  instance: Promise<Instance>,
): Promise<PreservePriorState> {
  // Awaited by findTargetGroupMemberships only after its first call: handled now, so that an instance gone at once
  // (ResourceGone, answered by Promise.all through `instance`) is not also an unhandled rejection, which ends a process.
  const vpcIdOf = instance.then((i) => i.VpcId);
  vpcIdOf.catch(() => undefined);
  const [described, termination, shutdown, asg, targetGroups] = await Promise.all([
    instance,
    deps.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' })),
    deps.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' })),
    deps.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
    findTargetGroupMemberships(deps.elbv2, instanceId, vpcIdOf),
  ]);
  const deleteOnTermination: Record<string, boolean> = {};
  for (const bdm of described.BlockDeviceMappings ?? []) {
    if (bdm.DeviceName && bdm.Ebs) deleteOnTermination[bdm.DeviceName] = bdm.Ebs.DeleteOnTermination ?? false;
  }
  const asgMembership = asg.AutoScalingInstances?.find((i) => i.InstanceId === instanceId && !/^Detach/.test(i.LifecycleState ?? ''));
  return {
    disableApiTermination: termination.DisableApiTermination?.Value ?? false,
    shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop',
    deleteOnTermination,
    autoScalingGroup: asgMembership?.AutoScalingGroupName,
    targetGroups,
  };
}

/**
 * The changes that preserve an instance found in state `observed`, as actions and as calls not yet started (the
 * difference only: an instance already preserved has none).
 */
export function planPreservation(
  deps: Pick<PreserveDeps, 'ec2' | 'autoScaling' | 'elbv2'>,
  instanceId: string,
  observed: PreservePriorState,
): { actions: PlannedAction[]; work: (() => Promise<unknown>)[] } {
  const actions: PlannedAction[] = [];
  const work: (() => Promise<unknown>)[] = [];
  if (!observed.disableApiTermination) {
    actions.push({ operation: 'EC2.ModifyInstanceAttribute', target: instanceId, change: 'DisableApiTermination=true' });
    work.push(() => deps.ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: true } })));
  }
  if (observed.shutdownBehavior !== 'stop') {
    actions.push({ operation: 'EC2.ModifyInstanceAttribute', target: instanceId, change: 'InstanceInitiatedShutdownBehavior=stop' });
    // The Attribute/Value form (equally documented): the emulator ignores the InstanceInitiatedShutdownBehavior structure.
    work.push(() =>
      deps.ec2.send(
        new ModifyInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior', Value: 'stop' }),
      ),
    );
  }
  const devices = Object.entries(observed.deleteOnTermination)
    .filter(([, v]) => v)
    .map(([d]) => d);
  if (devices.length) {
    actions.push({
      operation: 'EC2.ModifyInstanceAttribute',
      target: instanceId,
      change: `DeleteOnTermination=false on ${devices.join(', ')}`,
    });
    work.push(() =>
      deps.ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: instanceId,
          BlockDeviceMappings: devices.map((DeviceName) => ({ DeviceName, Ebs: { DeleteOnTermination: false } })),
        }),
      ),
    );
  }
  planMembershipRemoval(deps, instanceId, observed, actions, work);
  return { actions, work };
}

function planMembershipRemoval(
  deps: Pick<PreserveDeps, 'autoScaling' | 'elbv2'>,
  instanceId: string,
  observed: PreservePriorState,
  actions: PlannedAction[],
  work: (() => Promise<unknown>)[],
): void {
  const group = observed.autoScalingGroup;
  if (group) {
    actions.push({ operation: 'AutoScaling.DetachInstances', target: group, change: `detach ${instanceId}, desired capacity kept` });
    work.push(() =>
      deps.autoScaling.send(
        new DetachInstancesCommand({ AutoScalingGroupName: group, InstanceIds: [instanceId], ShouldDecrementDesiredCapacity: false }),
      ),
    );
  }
  for (const tg of observed.targetGroups) {
    actions.push({ operation: 'ElasticLoadBalancingV2.DeregisterTargets', target: tg.arn, change: `deregister ${instanceId}` });
    work.push(() =>
      deps.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: tg.arn, Targets: [{ Id: instanceId, Port: tg.port }] })),
    );
  }
}

async function findTargetGroupMemberships(
  elbv2: ElasticLoadBalancingV2Client,
  instanceId: string,
  vpcIdOf: Promise<string | undefined>,
): Promise<{ arn: string; port?: number }[]> {
  const candidates: { arn: string; vpcId?: string }[] = [];
  let marker: string | undefined;
  do {
    const out = await elbv2.send(new DescribeTargetGroupsCommand({ Marker: marker }));
    for (const tg of out.TargetGroups ?? []) {
      if (tg.TargetType === 'instance' && tg.TargetGroupArn) candidates.push({ arn: tg.TargetGroupArn, vpcId: tg.VpcId });
    }
    marker = out.NextMarker;
  } while (marker);
  const vpcId = await vpcIdOf;
  const groups = candidates.filter((tg) => !vpcId || tg.vpcId === vpcId).map((tg) => tg.arn);
  const memberships = await Promise.all(
    groups.map(async (arn) => {
      const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      return (health.TargetHealthDescriptions ?? [])
        .filter((d) => d.Target?.Id === instanceId && d.TargetHealth?.State !== 'draining' && d.TargetHealth?.State !== 'unused')
        .map((d) => ({ arn, port: d.Target?.Port }));
    }),
  );
  return memberships.flat();
}
