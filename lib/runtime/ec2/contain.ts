import {
  Address,
  DescribeIamInstanceProfileAssociationsCommand,
  EC2Client,
  Instance,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { VerificationFailed } from '../../core/errors';
import type { Hold } from '../../core/brakes';
import { describeTargetInstance, PlannedAction } from './instance';
import { carriedDescription, PreContainmentDescription } from '../evidence/instance-description';
import { describeEnis, elasticIpsOf, mergeEniSurvey, AttachedEni } from './network-interfaces';
import {
  adoptOrCreateGroup,
  findFirebreakGroups,
  GroupRole,
  IsolationGroups,
  setNewGroupRules,
  whileGroupNotVisible,
} from './isolation-groups';
import {
  assertMayMove,
  IsolatePriorState,
  IsolateResult,
  IsolationWork,
  moveEni,
  planDetachments,
  SECOND_MOVE_BACKOFF_MS,
  UntrackWindow,
} from './isolate';
import { planPreservation, PreserveDeps, PreservePriorState, PreserveResult, readPreservation } from './preserve';
import { verifyContainment, VerifyResult } from './verify';
import '../clients/ec2';

/** What Contain records before its first mutation (first observation wins): `priorState.preserve` and `priorState.isolate`. */
export interface ContainPriorState {
  readonly preserve: PreservePriorState;
  readonly isolate: IsolatePriorState;
}

/** Dependencies of {@link ensureInstanceContained}. */
export interface ContainDeps extends Pick<PreserveDeps, 'ec2' | 'autoScaling' | 'elbv2'> {
  /**
   * Records the prior state and the groups of the VPCs whose groups already exist, in one write, each unless already
   * recorded; returns the stored prior state (an earlier run's when it was first).
   */
  readonly recordPriorState: (prior: ContainPriorState, groups: readonly IsolationGroups[]) => Promise<ContainPriorState>;
  /** Records the groups of a VPC created by this run, before any ENI moves through them. */
  readonly recordGroups: (groups: readonly IsolationGroups[]) => Promise<void>;
  /** IDs of Firebreak groups recorded for the case by earlier runs, read in the first round (never an ENI's own groups). */
  readonly knownFirebreakGroupIds: () => Promise<readonly string[]>;
  /**
   * Whether this run may change anything, read in the first round beside the describes (the claim's pre-read when
   * the claim is carried in `recordPriorState`): `false` ends the run after the reads with {@link ContainmentNotClaimed},
   * before any call in the member account that is not a read.
   * @default - always
   */
  readonly mayProceed?: () => Promise<boolean>;
  /**
   * The brakes on this run (issue 14: the protection tag as the instance carries it now, the blast-radius breaker),
   * judged on the first round's reads (the instance as DescribeInstances answered, and what the caller read beside it):
   * a hold ends the run after the reads with {@link ContainmentHeld}, before any call in the member account that is not
   * a read. `recordPriorState` may throw {@link ContainmentHeld} too (the breaker filled while its write was made).
   * @default - never held
   */
  readonly brake?: (instance: Instance) => Promise<Hold | undefined>;
  /** @default SECOND_MOVE_BACKOFF_MS */
  readonly secondMoveBackoffMs?: readonly number[];
}

/**
 * Thrown by {@link ensureInstanceContained} when its ledger says another execution handles the instance
 * ({@link ContainDeps.mayProceed} false, or `recordPriorState` lost the claim): nothing in the member account was
 * changed. Never leaves the Lambda: the step turns it into its `ALREADY_HANDLED` result.
 */
export class ContainmentNotClaimed extends Error {
  constructor(message = 'Another execution handles this instance: nothing was changed') {
    super(message);
    this.name = 'ContainmentNotClaimed';
  }
}

/**
 * Thrown by {@link ensureInstanceContained} when a brake holds the containment ({@link ContainDeps.brake}, or
 * `recordPriorState`): nothing in the member account was changed. Never leaves the Lambda: Contain claims the case and
 * sends it to the approval path.
 */
export class ContainmentHeld extends Error {
  constructor(readonly hold: Hold) {
    super(`Containment held for approval: ${hold.reason}`);
    this.name = 'ContainmentHeld';
  }
}

/** Result of {@link ensureInstanceContained}: what Preserve and Isolate did, as each reports it, and what was read back. */
export interface ContainResult {
  readonly instanceId: string;
  readonly preserve: PreserveResult;
  readonly isolate: IsolateResult;
  /** The read-back after the last move ({@link verifyContainment}): every check passed. */
  readonly verify: VerifyResult;
  /** The instance as the first round described it, before any change, for CollectArtifacts (absent when too large). */
  readonly preContainmentDescription?: PreContainmentDescription;
}

/** What the first round read: the instance, its ENIs, Firebreak's groups by VPC, EIPs, profile, preservation state. */
interface ContainSurvey {
  readonly instance: Instance;
  readonly enis: AttachedEni[];
  /** VPC ID → the adoptable group of each role found there. */
  readonly found: Map<string, Partial<Record<GroupRole, string>>>;
  readonly associatedEips: Address[];
  readonly activeProfile?: Awaited<ReturnType<typeof describeProfile>>;
  readonly preservation: PreservePriorState;
  readonly knownGroupIds: readonly string[];
  /** ENI IDs in the instance's own list (DescribeInstances): what the read-back's attached ENIs must equal. */
  readonly fromInstance: readonly string[];
}

const describeProfile = async (ec2: EC2Client, instanceId: string) =>
  (
    await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }))
  ).IamInstanceProfileAssociations?.find((a) => a.State === 'associated' || a.State === 'associating');

/**
 * Awaits every read; when any fails, the instance's describe speaks first: its error ({@link ResourceGone} after the
 * NotFound grace, InvalidInput) is the step's, not the NotFound a read of the same instance answered at once.
 */
async function describedFirst<T extends readonly unknown[]>(
  described: Promise<Instance>,
  reads: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(reads);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await described;
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/**
 * Round 1 of {@link ensureInstanceContained}, every read at once: DescribeInstances (NotFound grace), the ENIs attached
 * to the instance (DescribeNetworkInterfaces, whose answer carries each ENI's groups and its Elastic IP associations:
 * {@link elasticIpsOf}, so no DescribeAddresses), Firebreak's groups in the region (one DescribeSecurityGroups), the
 * profile association, the preservation state (attributes, Auto Scaling, target groups) and the groups the case
 * recorded. The finding says which ENIs to look at; the describes say what is true: an ENI the instance lists or the
 * finding names that the attachment read did not return is described by ID after (the one read that can follow; none
 * when the two sides agree, the usual case), and kept when it is attached to the instance.
 * @throws {VerificationFailed} when no ENI can be found on the instance.
 */
async function surveyForContainment(
  input: { instanceId: string; findingEniIds: readonly string[]; notFoundGraceSeconds?: number },
  deps: ContainDeps,
): Promise<ContainSurvey> {
  const { instanceId, findingEniIds } = input;
  const ec2 = deps.ec2;
  const described = describeTargetInstance(ec2, instanceId, { notFoundGraceSeconds: input.notFoundGraceSeconds });
  const [instance, attached, found, activeProfile, preservation, knownGroupIds, proceed] = await describedFirst(described, [
    described,
    describeEnis(ec2, { Name: 'attachment.instance-id', Values: [instanceId] }),
    findFirebreakGroups(ec2),
    describeProfile(ec2, instanceId),
    readPreservation(deps, instanceId, described),
    deps.knownFirebreakGroupIds(),
    deps.mayProceed ? deps.mayProceed() : Promise.resolve(true),
  ] as const);
  if (!proceed) throw new ContainmentNotClaimed();
  const hold = await deps.brake?.(instance);
  if (hold) throw new ContainmentHeld(hold);
  const attachedIds = new Set(attached.map((n) => n.NetworkInterfaceId));
  const unread = [...new Set([...(instance.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId ?? ''), ...findingEniIds])].filter(
    (id) => id && !attachedIds.has(id),
  );
  const named = unread.length ? await describeEnis(ec2, { Name: 'network-interface-id', Values: unread }) : [];
  const { enis, fromInstance } = mergeEniSurvey(instance, attached, named);
  if (!enis.length)
    throw new VerificationFailed(
      `No network interface found on ${instanceId} (DescribeInstances and DescribeNetworkInterfaces): nothing can be isolated`,
    );
  const eniIds = new Set(enis.map((n) => n.networkInterfaceId));
  const associatedEips = elasticIpsOf([...attached, ...named]).filter((a) => a.NetworkInterfaceId && eniIds.has(a.NetworkInterfaceId));
  return { instance, enis, found, associatedEips, activeProfile, preservation, knownGroupIds, fromInstance };
}

/** The network prior state the survey makes (what release restores); ENIs already on a Firebreak group are left out. */
function isolationPrior(seen: ContainSurvey, firebreakGroupIds: ReadonlySet<string>): IsolatePriorState {
  return {
    securityGroupsByEni: Object.fromEntries(
      seen.enis.filter((n) => !n.groups.some((g) => firebreakGroupIds.has(g))).map((n) => [n.networkInterfaceId, n.groups]),
    ),
    instanceProfileArn: seen.activeProfile?.IamInstanceProfile?.Arn,
    elasticIps: seen.associatedEips.map((a) => ({
      allocationId: a.AllocationId,
      publicIp: a.PublicIp,
      networkInterfaceId: a.NetworkInterfaceId,
      privateIpAddress: a.PrivateIpAddress,
    })),
  };
}

/** Per VPC: its groups once they exist (created or adopted), and once they are usable (rules set, recorded on the case). */
interface VpcGroups {
  readonly exist: Promise<IsolationGroups>;
  readonly usable: Promise<IsolationGroups>;
}

/**
 * The groups of every VPC of the instance's ENIs. A VPC whose two groups were found is ready at once (recorded with the
 * prior state). Otherwise its missing groups are created (round 2, beside the prior-state write: creating a group
 * widens nothing), then the new groups' rules are set from what a new group holds and the pair is recorded (round 3).
 */
function groupsByVpc(
  seen: ContainSurvey,
  caseId: () => string,
  deps: ContainDeps,
  actions: PlannedAction[],
  priorWritten: Promise<unknown>,
): Map<string, VpcGroups> {
  const out = new Map<string, VpcGroups>();
  for (const vpcId of new Set(seen.enis.map((n) => n.vpcId!).filter(Boolean))) {
    const found = seen.found.get(vpcId) ?? {};
    if (found.isolation && found.untrack) {
      const ready = Promise.resolve({ vpcId, isolationGroupId: found.isolation, untrackGroupId: found.untrack });
      out.set(vpcId, { exist: ready, usable: ready });
      continue;
    }
    // Created once the claim and prior state are written: a run that lost the claim creates nothing.
    const created = priorWritten.then(() => {
      const spec = { vpcId, caseId: caseId(), mode: 'apply' as const };
      return Promise.all([
        adoptOrCreateGroup(deps.ec2, { ...spec, role: 'isolation' }, actions, found.isolation ?? null),
        adoptOrCreateGroup(deps.ec2, { ...spec, role: 'untrack' }, actions, found.untrack ?? null),
      ]);
    });
    const exist = created.then(([i, u]) => ({ vpcId, isolationGroupId: i.groupId, untrackGroupId: u.groupId }));
    const usable = created.then(async ([i, u]) => {
      const groups = { vpcId, isolationGroupId: i.groupId, untrackGroupId: u.groupId };
      await Promise.all([
        i.created ? setNewGroupRules(deps.ec2, i.groupId, 'isolation', actions) : undefined,
        u.created ? setNewGroupRules(deps.ec2, u.groupId, 'untrack', actions) : undefined,
        deps.recordGroups([groups]),
      ]);
      return groups;
    });
    out.set(vpcId, { exist, usable });
  }
  return out;
}

/** The groups of the VPCs whose two groups the survey found (recorded with the prior state). */
function readyGroups(seen: ContainSurvey): IsolationGroups[] {
  const vpcIds = new Set(seen.enis.map((n) => n.vpcId!).filter(Boolean));
  return [...vpcIds].flatMap((vpcId) => {
    const f = seen.found.get(vpcId);
    return f?.isolation && f.untrack ? [{ vpcId, isolationGroupId: f.isolation, untrackGroupId: f.untrack }] : [];
  });
}

/**
 * One ENI's swap: the DryRun of the move onto the isolation group as soon as the group exists; the move onto the
 * untrack group once the prior state is durable and the groups are usable; then at once onto the isolation group,
 * retried with `backoffMs`. An ENI on its isolation group already is left alone; one on the untrack group (a crash
 * between the moves) goes straight to the isolation group.
 */
async function swapEni(
  ec2: EC2Client,
  eni: AttachedEni,
  vpc: VpcGroups,
  priorWritten: Promise<unknown>,
  backoffMs: readonly number[],
): Promise<UntrackWindow | undefined> {
  const eniId = eni.networkInterfaceId;
  const g = await vpc.exist;
  const current = eni.groups;
  if (current.length === 1 && current[0] === g.isolationGroupId) return undefined;
  const alreadyUntracked = current.length === 1 && current[0] === g.untrackGroupId;
  if (!alreadyUntracked) await assertMayMove(ec2, eniId, g.isolationGroupId);
  await Promise.all([priorWritten, vpc.usable]);
  if (!alreadyUntracked) {
    // The first move is not retried here: until it succeeds the ENI is on its own groups.
    await whileGroupNotVisible(() =>
      ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [g.untrackGroupId] })),
    );
  }
  const onUntrack = Date.now();
  await moveEni(ec2, eniId, [g.isolationGroupId], backoffMs);
  return { networkInterfaceId: eniId, untrackedMs: Date.now() - onUntrack, resumed: alreadyUntracked };
}

/** The actions an ENI's swap takes, for the result. */
function swapActions(eni: AttachedEni, g: IsolationGroups): PlannedAction[] {
  const eniId = eni.networkInterfaceId;
  const current = eni.groups;
  if (current.length === 1 && current[0] === g.isolationGroupId) return [];
  const toIsolation = {
    operation: 'EC2.ModifyNetworkInterfaceAttribute',
    target: eniId,
    change: `groups → ${g.isolationGroupId} (isolation)`,
  };
  if (current.length === 1 && current[0] === g.untrackGroupId) return [toIsolation];
  return [
    { operation: 'EC2.ModifyNetworkInterfaceAttribute', target: eniId, change: `DryRun: may move onto ${g.isolationGroupId} (isolation)` },
    {
      operation: 'EC2.ModifyNetworkInterfaceAttribute',
      target: eniId,
      change: `groups ${current.join(',')} → ${g.untrackGroupId} (untrack)`,
    },
    toIsolation,
  ];
}

/**
 * Contain (issue 13): Preserve and Isolate as one step, in rounds of parallel calls, so every ENI is isolated within
 * four sequential AWS calls when the VPC's groups exist and six when they are created:
 * 1. every read at once ({@link surveyForContainment});
 * 2. one ledger write of the prior state (preservation and network) and of the groups found, first observation wins:
 *    durable before the first mutation; beside it, CreateSecurityGroup for a VPC without its groups, and the DryRun
 *    of each ENI's move onto the isolation group (a denial leaves that ENI on its own groups);
 * 3. (new groups only) their rules, from what a new group holds, and their record on the case; DryRun for their ENIs;
 * 4. once the prior state is durable: the move of every ENI onto the untrack group (cuts tracked connections,
 *    "Security group connection tracking", Amazon EC2 User Guide) and, in the same round, preservation (termination
 *    protection, shutdown=stop, DeleteOnTermination=false, Auto Scaling detach, target-group deregistration),
 *    EIP and profile removal, tags: preservation comes after nothing an attacker could use;
 * 5. the move of every ENI onto the isolation group, retried for {@link SECOND_MOVE_BACKOFF_MS};
 * 6. once every branch succeeded, the read-back ({@link verifyContainment}: the ENIs attached, the profile associations,
 *    the isolation groups, in one round), which fails the step with `VerificationFailed` unless every ENI is on its
 *    isolation group alone, the group has no rule, and no profile or Elastic IP is associated.
 * Every branch runs to its end before the first failure is thrown: an ENI whose DryRun was denied does not stop the
 * others from being isolated. The untrack group is allow-all only for the swap window; on a failure the state machine
 * runs ResealIsolation, which moves any ENI left on a recorded untrack group onto the isolation group.
 * @param input - `instanceId`, `caseId` (tags; a function when the case is known only once `recordPriorState` wrote it:
 *   it is called after that write), `findingEniIds` (the ENIs the finding names), `notFoundGraceSeconds`.
 * @returns what was done (Preserve's and Isolate's results), with the prior state as stored, and what was read back.
 * @throws {ResourceGone} when the instance is gone.
 * @throws {AccessDenied} when an ENI may not be moved onto the isolation group (nothing was moved for it).
 * @throws {VerificationFailed} when no ENI can be found on the instance, or the read-back does not confirm isolation.
 */
export async function ensureInstanceContained(
  input: { instanceId: string; caseId: string | (() => string); findingEniIds?: readonly string[]; notFoundGraceSeconds?: number },
  deps: ContainDeps,
): Promise<ContainResult> {
  const { instanceId } = input;
  const caseId = () => (typeof input.caseId === 'function' ? input.caseId() : input.caseId);
  const takenAt = new Date();
  const seen = await surveyForContainment({ ...input, findingEniIds: input.findingEniIds ?? [] }, deps);
  const foundIds = [...seen.found.values()].flatMap((f) => [f.isolation, f.untrack]).filter((id): id is string => !!id);
  const observed: ContainPriorState = {
    preserve: seen.preservation,
    isolate: isolationPrior(seen, new Set([...foundIds, ...seen.knownGroupIds])),
  };
  const existing = readyGroups(seen);
  const priorWritten = deps.recordPriorState(observed, existing);
  const groupActions: PlannedAction[] = [];
  const vpcs = groupsByVpc(seen, caseId, deps, groupActions, priorWritten);
  const preservation = planPreservation(deps, instanceId, seen.preservation);
  const detach: IsolationWork = { apply: true, actions: [], work: [] };
  const later = priorWritten.then(() => {
    planDetachments(deps.ec2, { instance: seen.instance, instanceId, caseId: caseId() }, seen, detach);
    return Promise.all([...preservation.work.map((w) => w()), ...detach.work]);
  });
  const backoff = deps.secondMoveBackoffMs ?? SECOND_MOVE_BACKOFF_MS;
  const swaps = seen.enis.map((eni) => swapEni(deps.ec2, eni, vpcs.get(eni.vpcId!)!, priorWritten, backoff));
  const settled = await Promise.allSettled([priorWritten, later, ...swaps, ...[...vpcs.values()].map((v) => v.usable)]);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const done = await result(instanceId, seen, vpcs, await priorWritten, {
    preserve: preservation.actions,
    isolate: [...groupActions, ...detach.actions],
    untrackWindows: (await Promise.all(swaps)).filter((w): w is UntrackWindow => !!w),
  });
  const expected = {
    instanceId,
    groups: done.isolate.groups,
    fromInstance: seen.fromInstance,
    notFoundGraceSeconds: input.notFoundGraceSeconds,
  };
  return { ...done, verify: await verifyContainment(expected, deps), ...carriedDescription(seen.instance, takenAt) };
}

async function result(
  instanceId: string,
  seen: ContainSurvey,
  vpcs: Map<string, VpcGroups>,
  prior: ContainPriorState,
  done: { preserve: PlannedAction[]; isolate: PlannedAction[]; untrackWindows: UntrackWindow[] },
): Promise<Omit<ContainResult, 'verify'>> {
  const groups: Record<string, IsolationGroups> = {};
  for (const [vpcId, v] of vpcs) groups[vpcId] = await v.usable;
  const isolationGroupByEni: Record<string, string> = {};
  const moves: PlannedAction[] = [];
  for (const eni of seen.enis) {
    const g = groups[eni.vpcId!];
    isolationGroupByEni[eni.networkInterfaceId] = g.isolationGroupId;
    moves.push(...swapActions(eni, g));
  }
  return {
    instanceId,
    preserve: { instanceId, prior: prior.preserve, actions: done.preserve },
    isolate: {
      instanceId,
      groups,
      isolationGroupByEni,
      prior: prior.isolate,
      actions: [...done.isolate, ...moves],
      untrackWindows: done.untrackWindows,
    },
  };
}
