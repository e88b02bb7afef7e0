import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IAMClient } from '@aws-sdk/client-iam';
import { describeTargetInstance, StepMode } from '../ec2/instance';
import type { IsolatePriorState } from '../ec2/isolate';
import type { PreservePriorState } from '../ec2/preserve';
import { assessContainmentTags, assessInstanceAttributes } from './attributes';
import { ReleaseBlocked } from './errors';
import { assessInstanceCredentialsRelease, InstanceCredentialsReleaseInput } from './instance-credentials';
import { assessAutoScaling, assessTargetGroups } from './membership';
import { assessElasticIps, assessInstanceProfile, assessSecurityGroups } from './network';
import { emptyAssessment, mergeAssessments, pendingProblem, ReleaseAssessment, ReleaseResult, runChanges } from './plan';

/** Input of {@link ensureInstanceReleased}. */
export interface InstanceReleaseInput {
  readonly instanceId: string;
  /**
   * What Preserve recorded (`priorState.preserve` of the case). Absent: Preserve never recorded, so
   * termination attributes, Auto Scaling and target groups are not touched.
   */
  readonly preserve?: PreservePriorState;
  /**
   * What Isolate recorded (`priorState.isolate` of the case). Absent: Isolate never recorded, so
   * nothing network-related is restored, and an ENI found on Firebreak's isolation group blocks the
   * release.
   */
  readonly isolate?: IsolatePriorState;
  /**
   * The IDs of the groups Isolate moved ENIs through (the case's `decisions.untrack-group#<id>`: isolation
   * and untrack groups), which identify Firebreak's groups on the ENIs; names are not trusted.
   * @default none: Firebreak's groups are recognised by their exact base names only
   */
  readonly firebreakGroupIds?: readonly string[];
  /**
   * What the case's DenyInstanceCredentials recorded on the instance's role (issue 15): released through `deps.iam`.
   * @default none: the role is not read
   */
  readonly credentials?: InstanceCredentialsReleaseInput;
  /** `plan` makes no mutating call and returns what `apply` would do. */
  readonly mode: StepMode;
}

/** Dependencies of {@link ensureInstanceReleased}: clients acting in the instance's account and region. */
export interface InstanceReleaseDeps {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  /**
   * When given, the recorded instance profile is looked up first (IAM GetInstanceProfile), so a
   * profile deleted since containment is reported as not restored instead of failing part way.
   * @default none: the association is attempted as recorded
   */
  readonly iam?: IAMClient;
}

/** Result of {@link ensureInstanceReleased}. */
export interface InstanceReleaseResult extends ReleaseResult {
  readonly instanceId: string;
}

const NO_ISOLATION: IsolatePriorState = { securityGroupsByEni: {}, elasticIps: [] };

/** Reads everything the release compares; makes no mutating call. */
async function assessInstanceRelease(input: Omit<InstanceReleaseInput, 'mode'>, deps: InstanceReleaseDeps): Promise<ReleaseAssessment> {
  const instance = await describeTargetInstance(deps.ec2, input.instanceId);
  const isolate = input.isolate ?? NO_ISOLATION;
  const preserve = input.preserve;
  const parts = await Promise.all([
    assessSecurityGroups(instance, isolate, deps.ec2, input.firebreakGroupIds),
    assessInstanceProfile(instance, isolate, deps),
    assessElasticIps(instance, isolate, deps.ec2),
    preserve ? assessInstanceAttributes(instance, preserve, deps.ec2) : emptyAssessment(),
    preserve ? assessTargetGroups(instance, preserve, deps.elbv2) : emptyAssessment(),
    preserve ? assessAutoScaling(instance, preserve, deps.autoScaling) : emptyAssessment(),
    assessContainmentTags(instance, deps.ec2),
    input.credentials && deps.iam ? assessInstanceCredentialsRelease(input.credentials, deps.iam) : emptyAssessment(),
  ]);
  return mergeAssessments(parts);
}

/**
 * Releases an instance from containment (DESIGN.md §3 "release"): puts back, from the prior state
 * that Preserve and Isolate recorded, exactly what they changed, reading the current state first and
 * changing only what differs.
 *
 * 1. Security groups, per ENI, back to exactly the recorded list (`ModifyNetworkInterfaceAttribute`
 *    per ENI; `ModifyInstanceAttribute --groups` fails on instances with several ENIs).
 * 2. The instance profile (`AssociateIamInstanceProfile` when none is associated,
 *    `ReplaceIamInstanceProfileAssociation` when another one is).
 * 3. Elastic IPs re-associated to their recorded ENI and private IP (`AssociateAddress`,
 *    `AllowReassociation=false`) when still allocated and free.
 * 4. `DisableApiTermination`, `InstanceInitiatedShutdownBehavior` and `DeleteOnTermination` per
 *    device back to their recorded values (`ModifyInstanceAttribute`).
 * 5. The `firebreak:status=isolated` tag removed (`DeleteTags`); `firebreak:case-id` kept as the record.
 * 6. Target groups: `RegisterTargets` with the recorded port (after 1–5).
 * 7. Auto Scaling: `AttachInstances` to the recorded group (last). Desired capacity grows by one and
 *    is not lowered back: see {@link assessAutoScaling} for why.
 * 8. The instance role's deny scoped to the instance (`input.credentials`, issue 15) deleted when its text is exactly
 *    Firebreak's for this instance, and the role's session revocation when this case wrote it
 *    ({@link assessInstanceCredentialsRelease}); a document the role had before is put back.
 *
 * Everything is read and validated before the first change: when the recorded security groups cannot
 * be put back (a recorded group was deleted, or an ENI is on Firebreak's isolation group with none
 * recorded), {@link ReleaseBlocked} is thrown and nothing is changed. Items that can no longer be
 * restored for reasons outside the instance (address released, group deleted, group at max size,
 * instance stopped) do not block: they are listed in `notRestored`, with the reason.
 *
 * It never deletes snapshots, evidence objects, or Firebreak's isolation and untrack groups (which stay
 * in the VPC for the next case). Running it again after it succeeded makes no mutating call.
 *
 * Reads: EC2 DescribeInstances, DescribeSecurityGroups, DescribeIamInstanceProfileAssociations,
 * DescribeAddresses, DescribeInstanceAttribute; Auto Scaling DescribeAutoScalingInstances,
 * DescribeAutoScalingGroups; ELBv2 DescribeTargetHealth; IAM GetInstanceProfile, GetRolePolicy (when `iam` is given).
 * @param input - the instance, the recorded prior states, and the mode.
 * @param deps - clients in the instance's account and region.
 * @returns the actions taken (apply) or planned (plan), what already matched, what was not restored.
 * @throws {ResourceGone} when the instance does not exist, is terminated or shutting down (no mutating call made).
 * @throws {ReleaseBlocked} when the recorded security groups cannot be put back (no mutating call made).
 * @throws {InvalidInput} when the instance ID is malformed.
 */
export async function ensureInstanceReleased(input: InstanceReleaseInput, deps: InstanceReleaseDeps): Promise<InstanceReleaseResult> {
  const assessment = await assessInstanceRelease(input, deps);
  if (assessment.blockers.length) {
    throw new ReleaseBlocked(
      `Release of ${input.instanceId} blocked, nothing changed: ${assessment.blockers.join('; ')}`,
      assessment.blockers,
    );
  }
  const actions = await runChanges(assessment, input.mode);
  return { instanceId: input.instanceId, mode: input.mode, actions, unchanged: assessment.unchanged, notRestored: assessment.notRestored };
}

/**
 * Verifies a release by reading the instance back (after {@link ensureInstanceReleased}): everything
 * that ensure would still change is a problem, and so is every blocker. Items that cannot be restored
 * (ensure's `notRestored`: an address released, a group deleted, ...) are not problems: nothing can
 * put them back.
 * @param input - the instance and the recorded prior states (as given to ensure).
 * @param deps - clients in the instance's account and region (read-only calls only).
 * @returns one line per problem; an empty list means released.
 * @throws {ResourceGone} when the instance does not exist, is terminated or shutting down.
 */
export async function verifyInstanceReleased(input: Omit<InstanceReleaseInput, 'mode'>, deps: InstanceReleaseDeps): Promise<string[]> {
  const assessment = await assessInstanceRelease(input, deps);
  return [...assessment.blockers, ...assessment.changes.map(pendingProblem)];
}
