import {
  AttachInstancesCommand,
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import type { Instance } from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { PreservePriorState } from '../ec2/preserve';
import { hasAwsCode } from '../aws-errors';
import { emptyAssessment, ReleaseAssessment } from './plan';
import '../clients/auto-scaling';
import '../clients/elastic-load-balancing-v2';

/** Lifecycle states in which an instance is leaving its group (or gone from it). */
const LEAVING = /^(Detach|Terminat)/;

/**
 * Assesses the Auto Scaling membership recorded by Preserve (read only; DescribeAutoScalingInstances,
 * DescribeAutoScalingGroups). When the instance is not in the recorded group any more, the change is
 * `AttachInstances` to it, in phase 3 (after the network and target groups are back, so a group with
 * ELB health checks does not replace an instance it cannot reach yet).
 *
 * **Desired capacity.** Preserve detached the instance *without* decrementing desired capacity, so the
 * group launched a replacement. `AttachInstances` adds one to desired capacity (Auto Scaling API
 * reference, AttachInstances), so the group ends with one instance more than before the incident.
 * Release leaves it there and says so in the action: lowering desired capacity back makes the group
 * scale in, terminating an instance chosen by its termination policy (oldest launch template first,
 * by default), which may well be the instance just released, or a healthy one. Release never
 * terminates anything; whoever owns the group lowers its capacity, or terminates the replacement with
 * `TerminateInstanceInAutoScalingGroup --should-decrement-desired-capacity`, when they choose.
 *
 * Not restored (reported, nothing attempted), per AttachInstances' requirements: the group no longer
 * exists; the instance is now in another group; it is not `running`; it is outside the group's
 * Availability Zones; or the group is at its maximum size (the attach would exceed it).
 * @param instance - the instance as DescribeInstances returned it.
 * @param preserve - the prior state recorded by Preserve.
 * @param autoScaling - Auto Scaling client in the member account.
 * @returns the assessment (change in phase 3).
 */
export async function assessAutoScaling(
  instance: Instance,
  preserve: PreservePriorState,
  autoScaling: AutoScalingClient,
): Promise<ReleaseAssessment> {
  const out = emptyAssessment();
  const groupName = preserve.autoScalingGroup;
  const instanceId = instance.InstanceId!;
  if (!groupName) return out;
  const [memberships, groups] = await Promise.all([
    autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
    autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] })),
  ]);
  const membership = (memberships.AutoScalingInstances ?? []).find(
    (i) => i.InstanceId === instanceId && !LEAVING.test(i.LifecycleState ?? ''),
  );
  if (membership?.AutoScalingGroupName === groupName) {
    out.unchanged.push({
      item: 'auto-scaling-group',
      target: groupName,
      detail: `${instanceId} is a member (${membership.LifecycleState})`,
    });
    return out;
  }
  const notRestored = (detail: string) => {
    out.notRestored.push({ item: 'auto-scaling-group', target: groupName, detail });
    return out;
  };
  if (membership) return notRestored(`${instanceId} is now in the group ${membership.AutoScalingGroupName}`);
  const group = (groups.AutoScalingGroups ?? []).find((g) => g.AutoScalingGroupName === groupName);
  if (!group) return notRestored('the group no longer exists');
  const state = instance.State?.Name;
  if (state !== 'running') return notRestored(`${instanceId} is ${state}; AttachInstances needs a running instance`);
  const zone = instance.Placement?.AvailabilityZone;
  if (zone && group.AvailabilityZones?.length && !group.AvailabilityZones.includes(zone)) {
    return notRestored(`${instanceId} is in ${zone}, outside the group's zones ${group.AvailabilityZones.join(',')}`);
  }
  const desired = group.DesiredCapacity ?? 0;
  const max = group.MaxSize ?? 0;
  if (desired + 1 > max) return notRestored(`the group is at its maximum size (desired ${desired}, max ${max}); attaching would exceed it`);
  out.changes.push({
    phase: 3,
    action: {
      operation: 'AutoScaling.AttachInstances',
      target: groupName,
      change: `attach ${instanceId}; desired capacity ${desired} → ${desired + 1}, not lowered back (the replacement launched at containment keeps running)`,
    },
    run: () => autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: groupName, InstanceIds: [instanceId] })),
  });
  return out;
}

/**
 * Assesses the target group registrations recorded by Preserve (read only; DescribeTargetHealth per
 * group). A target counts as registered when the group lists it on the recorded port in any state but
 * `draining` (deregistration in progress) or `unused` with reason `Target.NotRegistered`; a group that
 * is not used by a load balancer lists its targets as `unused` / `Target.NotInUse`, and they are
 * registered. Missing registrations get `RegisterTargets` with the recorded port, in phase 2.
 * Not restored: the group no longer exists (`TargetGroupNotFound`), or the instance is not `running`
 * (RegisterTargets refuses stopped instances).
 * @param instance - the instance as DescribeInstances returned it.
 * @param preserve - the prior state recorded by Preserve.
 * @param elbv2 - ELBv2 client in the member account.
 * @returns the assessment (changes in phase 2).
 */
export async function assessTargetGroups(
  instance: Instance,
  preserve: PreservePriorState,
  elbv2: ElasticLoadBalancingV2Client,
): Promise<ReleaseAssessment> {
  const out = emptyAssessment();
  const instanceId = instance.InstanceId!;
  const checks = await Promise.all(
    (preserve.targetGroups ?? []).map(async (tg) => {
      try {
        const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.arn }));
        const registered = (health.TargetHealthDescriptions ?? []).some(
          (d) =>
            d.Target?.Id === instanceId &&
            (tg.port === undefined || d.Target?.Port === tg.port) &&
            d.TargetHealth?.State !== 'draining' &&
            d.TargetHealth?.Reason !== 'Target.NotRegistered',
        );
        return { tg, exists: true, registered };
      } catch (err) {
        if (hasAwsCode(err, 'TargetGroupNotFound', 'TargetGroupNotFoundException')) return { tg, exists: false, registered: false };
        throw err;
      }
    }),
  );
  for (const { tg, exists, registered } of checks) {
    const target = `${instanceId}${tg.port !== undefined ? `:${tg.port}` : ''}`;
    if (!exists) {
      out.notRestored.push({ item: 'target-group', target: tg.arn, detail: 'the target group no longer exists' });
    } else if (registered) {
      out.unchanged.push({ item: 'target-group', target: tg.arn, detail: `${target} registered` });
    } else if (instance.State?.Name !== 'running') {
      out.notRestored.push({
        item: 'target-group',
        target: tg.arn,
        detail: `${instanceId} is ${instance.State?.Name}; RegisterTargets needs a running instance`,
      });
    } else {
      out.changes.push({
        phase: 2,
        action: { operation: 'ElasticLoadBalancingV2.RegisterTargets', target: tg.arn, change: `register ${target}` },
        run: () => elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg.arn, Targets: [{ Id: instanceId, Port: tg.port }] })),
      });
    }
  }
  return out;
}
