import {
  Address,
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DisassociateAddressCommand,
  DisassociateIamInstanceProfileCommand,
  EC2Client,
  IamInstanceProfileAssociation,
  Instance,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccessDenied, Throttled, TransientAwsError, VerificationFailed } from '../../core/errors';
import { hasAwsCode, mapAwsError } from '../aws-errors';
import { ensureIsolationGroups, IsolationGroups, whileGroupNotVisible } from './isolation-groups';
import { describeTargetInstance, PlannedAction, StepMode } from './instance';
import { describeEnis, surveyEnis } from './network-interfaces';
import { TAG } from '../../core/tags';
import '../clients/ec2';

/** Network state recorded before Isolate changes anything (what release restores). */
export interface IsolatePriorState {
  /** ENI ID → its security group IDs before isolation. */
  readonly securityGroupsByEni: Record<string, string[]>;
  /** The instance profile ARN that was associated, if any. */
  readonly instanceProfileArn?: string;
  /** Elastic IPs that were associated. */
  readonly elasticIps: { allocationId?: string; publicIp?: string; networkInterfaceId?: string; privateIpAddress?: string }[];
}

/** How long one ENI spent on the allow-all untrack group during one run of Isolate. */
export interface UntrackWindow {
  readonly networkInterfaceId: string;
  /** Milliseconds between the move onto the untrack group and the move onto the isolation group. */
  readonly untrackedMs: number;
  /** True when the ENI was already on the untrack group when this run began (a re-run after a crash): the window began earlier. */
  readonly resumed: boolean;
}

/** Dependencies of {@link ensureInstanceIsolated}. */
export interface IsolateDeps {
  readonly ec2: EC2Client;
  /** Stores the prior state once (first observation wins); absent in a dry run. */
  readonly recordPriorState?: (value: IsolatePriorState) => Promise<IsolatePriorState>;
  /**
   * Records, before any ENI is moved, the groups the moves go through, so that the failure path
   * ({@link resealUntrackedEnis}) can find an ENI left on the untrack group by a crash. Absent in a dry run.
   */
  readonly recordGroups?: (groups: readonly IsolationGroups[]) => Promise<void>;
  /** IDs of Firebreak groups recorded for the case by earlier runs (never taken for an ENI's own groups). */
  readonly knownFirebreakGroupIds?: readonly string[];
  /**
   * The waits between attempts of the move from the untrack group to the isolation group when AWS
   * answers with a throttle or a transient error, in milliseconds.
   * @default SECOND_MOVE_BACKOFF_MS
   */
  readonly secondMoveBackoffMs?: readonly number[];
}

/** Waits between attempts of the second move: 0.25 s, 0.5 s, 1 s, 2 s (3.75 s in all, on top of the SDK's own retries). */
export const SECOND_MOVE_BACKOFF_MS: readonly number[] = [250, 500, 1000, 2000];

/** Result of {@link ensureInstanceIsolated}. */
export interface IsolateResult {
  readonly instanceId: string;
  /** VPC ID → groups. */
  readonly groups: Record<string, IsolationGroups>;
  /** ENI ID → isolation group ID it ends on. */
  readonly isolationGroupByEni: Record<string, string>;
  readonly prior: IsolatePriorState;
  readonly actions: PlannedAction[];
  /** Per ENI moved in this run, the time it spent on the allow-all group. */
  readonly untrackWindows: UntrackWindow[];
}

/** Throttles, transient errors, and a group EC2 does not show yet (eventual consistency: {@link whileGroupNotVisible}). */
export const retryable = (err: unknown) => {
  if (hasAwsCode(err, 'InvalidGroup.NotFound')) return true;
  const mapped = mapAwsError(err);
  return mapped instanceof Throttled || mapped instanceof TransientAwsError;
};

/**
 * Moves one ENI onto exactly `groups`, retrying throttles and transient errors with the given waits.
 * A denial or any other error is thrown at once.
 */
export async function moveEni(ec2: EC2Client, eniId: string, groups: string[], backoffMs: readonly number[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: groups }));
      return;
    } catch (err) {
      if (attempt >= backoffMs.length || !retryable(err)) throw err;
      await sleep(backoffMs[attempt]);
    }
  }
}

/**
 * Asks EC2 whether the responder may move the ENI onto the group, without moving it: `DryRun: true`
 * answers `DryRunOperation` when the request would be authorized and `UnauthorizedOperation` when not
 * ("ModifyNetworkInterfaceAttribute", Amazon EC2 API Reference: "DryRun — Checks whether you have the
 * required permissions for the action, without actually making the request").
 * @throws {AccessDenied} when the move would be denied.
 */
export async function assertMayMove(ec2: EC2Client, eniId: string, groupId: string): Promise<void> {
  try {
    await whileGroupNotVisible(() =>
      ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [groupId], DryRun: true })),
    );
  } catch (err) {
    if (hasAwsCode(err, 'DryRunOperation')) return;
    const mapped = mapAwsError(err, 'EC2.ModifyNetworkInterfaceAttribute (DryRun)');
    if (mapped instanceof AccessDenied) {
      throw new AccessDenied(
        `${eniId} may not be moved onto isolation group ${groupId}, so it was not moved onto the allow-all untrack group either: ${mapped.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Ensures an instance is isolated on every ENI, IPv4 and IPv6 (DESIGN.md §3, Isolate), never leaving an
 * ENI more open than it found it on any way out:
 * 1. reads the ENIs from two sides and the finding ({@link surveyEnis}): the instance's list, the ENIs
 *    attached to it, the ENIs the finding names; an instance with no ENI cannot be isolated;
 * 2. ensures per-VPC isolation and untrack groups that are Firebreak's ({@link ensureIsolationGroups});
 * 3. records the prior SGs per ENI, the instance profile and the EIP associations (first wins), and the
 *    groups the moves go through (for the failure path);
 * 4. per ENI, in parallel: checks with a DryRun that the move onto the isolation group is authorized
 *    (a denial stops here, with the ENI on its own groups); moves it onto the untrack group (cuts
 *    tracked connections, "Security group connection tracking", Amazon EC2 User Guide), then at once
 *    onto the isolation group, retrying throttles and transient errors with {@link SECOND_MOVE_BACKOFF_MS}.
 *    Per ENI because `ModifyInstanceAttribute --groups` fails on instances with several ENIs. An ENI
 *    found on the untrack group (a crash between the moves) goes straight to the isolation group;
 * 5. disassociates Elastic IPs, removes the instance profile, tags the instance.
 * If the second move still fails, the ENI is on the untrack group when the step fails; the state machine
 * retries Isolate (which resumes at the second move) and, on its way to RecordFailure, runs
 * {@link resealUntrackedEnis}.
 * @param input - `instanceId`, `caseId`, `mode`, `findingEniIds` (the ENIs the finding names) and
 *   `notFoundGraceSeconds` ({@link describeTargetInstance}).
 * @returns what was done or planned, the prior state, and the time each moved ENI spent on the untrack group.
 * @throws {ResourceGone} when the instance is gone.
 * @throws {AccessDenied} when an ENI may not be moved onto the isolation group (nothing was moved for it).
 * @throws {VerificationFailed} when no ENI can be found on the instance.
 */
export async function ensureInstanceIsolated(
  input: { instanceId: string; caseId: string; mode: StepMode; findingEniIds?: readonly string[]; notFoundGraceSeconds?: number },
  deps: IsolateDeps,
): Promise<IsolateResult> {
  const { instanceId, mode } = input;
  const apply = mode === 'apply';
  const ec2 = deps.ec2;
  const instance = await describeTargetInstance(ec2, instanceId, { notFoundGraceSeconds: input.notFoundGraceSeconds });
  const seen = await surveyForIsolation(ec2, instance, input);
  const { groups, observed } = seen;
  // An ENI already on one of Firebreak's groups (this run's, or any the case recorded before) has no true prior
  // groups to record: it is left out, and release treats it as having none. The ledger keeps the first observation.
  const firebreakGroups = new Set([
    ...Object.values(groups).flatMap((g) => [g.isolationGroupId, g.untrackGroupId]),
    ...(deps.knownFirebreakGroupIds ?? []),
  ]);
  const recordable: IsolatePriorState = {
    ...observed,
    securityGroupsByEni: Object.fromEntries(
      Object.entries(observed.securityGroupsByEni).filter(([, sgs]) => !sgs.some((g) => firebreakGroups.has(g))),
    ),
  };
  // Both records are written before any ENI moves; they do not depend on each other.
  const [prior] = await Promise.all([
    apply && deps.recordPriorState ? deps.recordPriorState(recordable) : observed,
    apply && deps.recordGroups ? deps.recordGroups(Object.values(groups)) : undefined,
  ]);
  const plan: IsolationWork = { apply, actions: seen.actions, work: [] };
  const moves = planEniMoves(ec2, seen, deps.secondMoveBackoffMs ?? SECOND_MOVE_BACKOFF_MS, plan);
  planDetachments(ec2, { instance, instanceId, caseId: input.caseId }, seen, plan);
  const settled = await Promise.allSettled(plan.work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    instanceId,
    groups,
    isolationGroupByEni: moves.isolationGroupByEni,
    prior,
    actions: plan.actions,
    untrackWindows: moves.untrackWindows,
  };
}

/** What Isolate read before changing anything: the ENIs, Firebreak's groups per VPC, the active profile, the associated EIPs. */
interface IsolationSurvey {
  readonly enis: Awaited<ReturnType<typeof surveyEnis>>['enis'];
  readonly groups: Record<string, IsolationGroups>;
  readonly activeProfile?: IamInstanceProfileAssociation;
  readonly associatedEips: Address[];
  /** The instance's state as found (before any change), what release needs. */
  readonly observed: IsolatePriorState;
  /** What ensuring the groups did or planned. */
  readonly actions: PlannedAction[];
}

/** The actions Isolate plans and, when it applies, the calls it has started (all awaited together). */
export interface IsolationWork {
  readonly apply: boolean;
  readonly actions: PlannedAction[];
  readonly work: Promise<unknown>[];
}

/**
 * Steps 1 and 2 of {@link ensureInstanceIsolated}: the ENIs from every side, the isolation and untrack groups of each
 * VPC (ensured), the instance's profile association and the EIPs on its ENIs, and the prior state they make.
 * @throws {VerificationFailed} when no ENI can be found on the instance.
 */
async function surveyForIsolation(
  ec2: EC2Client,
  instance: Instance,
  input: { instanceId: string; caseId: string; mode: StepMode; findingEniIds?: readonly string[] },
): Promise<IsolationSurvey> {
  const { instanceId } = input;
  const { enis } = await surveyEnis(ec2, instance, input.findingEniIds);
  if (!enis.length)
    throw new VerificationFailed(
      `No network interface found on ${instanceId} (DescribeInstances and DescribeNetworkInterfaces): nothing can be isolated`,
    );
  const vpcIds = [...new Set(enis.map((n) => n.vpcId!).filter(Boolean))];
  const [groupResults, addresses, profiles] = await Promise.all([
    Promise.all(vpcIds.map((vpcId) => ensureIsolationGroups({ vpcId, caseId: input.caseId, mode: input.mode }, ec2))),
    // By ENI, not instance-id: an EIP on a secondary ENI must be found too.
    ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'network-interface-id', Values: enis.map((n) => n.networkInterfaceId) }] })),
    ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] })),
  ]);
  const groups: Record<string, IsolationGroups> = {};
  const actions: PlannedAction[] = [];
  for (const r of groupResults) {
    groups[r.groups.vpcId] = r.groups;
    actions.push(...r.actions);
  }
  const activeProfile = profiles.IamInstanceProfileAssociations?.find((a) => a.State === 'associated' || a.State === 'associating');
  const associatedEips = (addresses.Addresses ?? []).filter((a) => a.AssociationId);
  const observed: IsolatePriorState = {
    securityGroupsByEni: Object.fromEntries(enis.map((n) => [n.networkInterfaceId, n.groups])),
    instanceProfileArn: activeProfile?.IamInstanceProfile?.Arn,
    elasticIps: associatedEips.map((a) => ({
      allocationId: a.AllocationId,
      publicIp: a.PublicIp,
      networkInterfaceId: a.NetworkInterfaceId,
      privateIpAddress: a.PrivateIpAddress,
    })),
  };
  return { enis, groups, activeProfile, associatedEips, observed, actions };
}

/**
 * Step 4 of {@link ensureInstanceIsolated}: per ENI not yet on its isolation group, the DryRun check, the move onto
 * the untrack group (skipped when it is there already) and at once onto the isolation group, started in parallel.
 */
function planEniMoves(
  ec2: EC2Client,
  seen: IsolationSurvey,
  backoffMs: readonly number[],
  plan: IsolationWork,
): { isolationGroupByEni: Record<string, string>; untrackWindows: UntrackWindow[] } {
  const isolationGroupByEni: Record<string, string> = {};
  const untrackWindows: UntrackWindow[] = [];
  for (const eni of seen.enis) {
    const eniId = eni.networkInterfaceId;
    const g = seen.groups[eni.vpcId!];
    isolationGroupByEni[eniId] = g.isolationGroupId;
    const current = eni.groups;
    if (current.length === 1 && current[0] === g.isolationGroupId) continue;
    const alreadyUntracked = current.length === 1 && current[0] === g.untrackGroupId;
    if (!alreadyUntracked) {
      plan.actions.push({
        operation: 'EC2.ModifyNetworkInterfaceAttribute',
        target: eniId,
        change: `DryRun: may move onto ${g.isolationGroupId} (isolation)`,
      });
      plan.actions.push({
        operation: 'EC2.ModifyNetworkInterfaceAttribute',
        target: eniId,
        change: `groups ${current.join(',')} → ${g.untrackGroupId} (untrack)`,
      });
    }
    plan.actions.push({
      operation: 'EC2.ModifyNetworkInterfaceAttribute',
      target: eniId,
      change: `groups → ${g.isolationGroupId} (isolation)`,
    });
    if (!plan.apply) continue;
    plan.work.push(
      (async () => {
        if (!alreadyUntracked) {
          await assertMayMove(ec2, eniId, g.isolationGroupId);
          // The first move is not retried here: until it succeeds the ENI is on its own groups.
          await whileGroupNotVisible(() =>
            ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [g.untrackGroupId] })),
          );
        }
        const onUntrack = Date.now();
        await moveEni(ec2, eniId, [g.isolationGroupId], backoffMs);
        untrackWindows.push({ networkInterfaceId: eniId, untrackedMs: Date.now() - onUntrack, resumed: alreadyUntracked });
      })(),
    );
  }
  return { isolationGroupByEni, untrackWindows };
}

/** Step 5 of {@link ensureInstanceIsolated}: disassociate the EIPs, remove the instance profile, tag the instance (an association already gone is fine). */
export function planDetachments(
  ec2: EC2Client,
  target: { instance: Instance; instanceId: string; caseId: string },
  seen: Pick<IsolationSurvey, 'associatedEips' | 'activeProfile'>,
  plan: IsolationWork,
): void {
  const { instance, instanceId, caseId } = target;
  const gone = (err: unknown) => {
    if (!hasAwsCode(err, 'InvalidAssociationID.NotFound')) throw err;
  };
  for (const eip of seen.associatedEips) {
    plan.actions.push({
      operation: 'EC2.DisassociateAddress',
      target: eip.PublicIp ?? eip.AllocationId ?? '',
      change: `disassociate from ${eip.NetworkInterfaceId ?? instanceId}`,
    });
    if (plan.apply) plan.work.push(ec2.send(new DisassociateAddressCommand({ AssociationId: eip.AssociationId })).catch(gone));
  }
  const profile = seen.activeProfile;
  if (profile?.AssociationId) {
    plan.actions.push({
      operation: 'EC2.DisassociateIamInstanceProfile',
      target: instanceId,
      change: `remove ${profile.IamInstanceProfile?.Arn}`,
    });
    if (plan.apply)
      plan.work.push(ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: profile.AssociationId })).catch(gone));
  }
  const tags = new Map((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
  if (tags.get(TAG.caseId) !== caseId || tags.get(TAG.status) !== 'isolated') {
    plan.actions.push({ operation: 'EC2.CreateTags', target: instanceId, change: `${TAG.caseId}=${caseId}, ${TAG.status}=isolated` });
    if (plan.apply) {
      plan.work.push(
        ec2.send(
          new CreateTagsCommand({
            Resources: [instanceId],
            Tags: [
              { Key: TAG.caseId, Value: caseId },
              { Key: TAG.status, Value: 'isolated' },
            ],
          }),
        ),
      );
    }
  }
}

/** Result of {@link resealUntrackedEnis}. */
export interface ResealResult {
  /** ENIs found on an untrack group and moved onto their VPC's isolation group. */
  readonly moved: string[];
  /** ENIs found on an untrack group that could not be moved: each is open to all traffic until a person moves it. */
  readonly stillOpen: { networkInterfaceId: string; error: string }[];
  /** ENIs looked at. */
  readonly checked: number;
}

/**
 * The failure path's network step (ResealIsolation): every ENI of the instance, or recorded for it at
 * containment, that is on one of the untrack groups Isolate recorded for the case is moved onto the
 * isolation group of its VPC, the more closed of the two states a containment may end in. Nothing else
 * is touched: an ENI on its own groups or on the isolation group stays as it is. ENIs are found with
 * filters (`attachment.instance-id`, `network-interface-id`), so a terminated instance or a deleted ENI
 * is no error. Idempotent; safe to run after any failure, including one before Isolate.
 * @param input - `instanceId`, the groups Isolate recorded (`recorded`), and the ENI IDs recorded in the prior state.
 * @returns what was moved and what is still open.
 * @throws the SDK's error when the ENIs cannot be read (the state machine retries it).
 */
export async function resealUntrackedEnis(
  input: { instanceId: string; recorded: readonly IsolationGroups[]; knownEniIds: readonly string[] },
  deps: { ec2: EC2Client; secondMoveBackoffMs?: readonly number[] },
): Promise<ResealResult> {
  if (!input.recorded.length) return { moved: [], stillOpen: [], checked: 0 };
  const isolationByUntrack = new Map(input.recorded.map((g) => [g.untrackGroupId, g.isolationGroupId]));
  const filters = [{ Name: 'attachment.instance-id', Values: [input.instanceId] }];
  if (input.knownEniIds.length) filters.push({ Name: 'network-interface-id', Values: [...input.knownEniIds] });
  const lists = await Promise.all(filters.map((f) => describeEnis(deps.ec2, f)));
  const enis = new Map(lists.flat().map((n) => [n.NetworkInterfaceId!, n]));
  const moved: string[] = [];
  const stillOpen: ResealResult['stillOpen'] = [];
  let worthRetrying = false;
  await Promise.all(
    [...enis.values()].map(async (eni) => {
      const untrack = (eni.Groups ?? []).map((g) => g.GroupId!).find((id) => isolationByUntrack.has(id));
      if (!untrack) return;
      try {
        await moveEni(
          deps.ec2,
          eni.NetworkInterfaceId!,
          [isolationByUntrack.get(untrack)!],
          deps.secondMoveBackoffMs ?? SECOND_MOVE_BACKOFF_MS,
        );
        moved.push(eni.NetworkInterfaceId!);
      } catch (err) {
        worthRetrying ||= retryable(err);
        const mapped = mapAwsError(err, 'EC2.ModifyNetworkInterfaceAttribute');
        stillOpen.push({
          networkInterfaceId: eni.NetworkInterfaceId!,
          error: mapped instanceof Error ? `${mapped.name}: ${mapped.message}` : String(mapped),
        });
      }
    }),
  );
  // A retryable failure is thrown, so that the state machine tries again; the rest is reported.
  if (worthRetrying) {
    throw new TransientAwsError(
      `ENI(s) still on the allow-all untrack group: ${stillOpen.map((s) => `${s.networkInterfaceId} (${s.error})`).join('; ')}`,
    );
  }
  return { moved: moved.sort(), stillOpen, checked: enis.size };
}
