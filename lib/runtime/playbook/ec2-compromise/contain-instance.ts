import {
  ContainDeps,
  ContainmentHeld,
  ContainmentNotClaimed,
  ContainPriorState,
  ContainResult,
  ensureInstanceContained,
} from '../../ec2/contain';
import { isolationGroupsDecisionKey, IsolationGroups, recordedIsolationGroups } from '../../ec2/isolation-groups';
import type { ClaimItem, ClaimRecords, ClaimResult, CaseRecord, RecordEntry, TimelineEntry } from '../../ledger/ledger';
import { decideClaim } from '../../ledger/policy';
import type { LinkedEvent } from '../../evidence/vault';
import type { ContainInput, PlaybookState, PreClaimState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { notifyAttachedFinding } from '../attached-notice';
import { receivedEventOf, storeEventOf } from '../received-event';
import { findingEniIds } from './common';
import type { SuppressionMatch } from '../../../core/brakes/suppression';
import { containSuppression, SUPPRESSION_DECISION } from '../../brakes/suppression';
import { claimedBrakes, containBrakes } from './brakes';
import type { Hold } from '../../../core/brakes';
import '../../clients/assume-role';

/** The case entries that record the groups ENIs move through (`decisions.untrack-group#<id>`), read by ResealIsolation. */
const groupEntries = (groups: readonly IsolationGroups[]): RecordEntry[] =>
  groups.map((g) => ({ map: 'decisions', key: isolationGroupsDecisionKey(g), value: g }));

/** The entries Contain records once before its first mutation: the prior state, and the groups found. */
const priorEntries = (prior: ContainPriorState, groups: readonly IsolationGroups[]): RecordEntry[] => [
  { map: 'priorState', key: 'preserve', value: prior.preserve },
  { map: 'priorState', key: 'isolate', value: prior.isolate },
  ...groupEntries(groups),
];

/** The Firebreak group IDs a case recorded (never an ENI's own groups). */
const recordedGroupIds = (record: CaseRecord | undefined) =>
  recordedIsolationGroups(record?.decisions).flatMap((g) => [g.isolationGroupId, g.untrackGroupId]);

/**
 * Contain: preserve and isolate the instance in one step ({@link ensureInstanceContained}): every ENI (the instance's,
 * those attached to it, those the finding names) through the untrack group to the isolation group; termination
 * protection, shutdown=stop, volumes kept, Auto Scaling detach, target groups; EIPs, profile, tags. The prior state
 * (`priorState.preserve`, `priorState.isolate`) and the groups are recorded on the case, in one write when the VPC's
 * groups exist, before any change.
 *
 * Two ways in (issue 13):
 * - from Triage (`input` is the execution's input, the state has no `case`): Contain claims the case in that same
 *   write ({@link containAndClaim}), and stores the received event in its first round;
 * - after Claim (an approval, or an event Triage stored): the case is the state's, the prior state is recorded with
 *   {@link CaseLedger.recordOnce}.
 * @returns the state with `case` and `contain` (`{ instanceId, preserve, isolate }`); with `case.status`
 *   `ALREADY_HANDLED` and no `contain` when another execution handles the instance (nothing was changed).
 */
export async function containInstance(input: ContainInput, deps: StepDeps): Promise<PlaybookState> {
  const { state } = input;
  if (!state.case) return containAndClaim(state, input.input, deps);
  const caseId = state.case.caseId;
  const full = { ...state, case: state.case };
  const brakes = claimedBrakes(full, deps);
  let held: Hold | undefined;
  const contain = await runStep(
    'Contain',
    caseTarget(full, deps.ledger),
    () =>
      ensureInstanceContained(containInput(state, caseId, deps), {
        ...containDeps(state, deps),
        brake: brakes?.hold,
        knownFirebreakGroupIds: async () => recordedGroupIds(await deps.ledger.getCase(caseId)),
        recordPriorState: async (prior, groups) => {
          await brakes?.count();
          const [preserve, isolate] = await deps.ledger.recordOnce(caseId, priorEntries(prior, groups));
          return { preserve, isolate } as ContainPriorState;
        },
      }).catch((err: unknown) => {
        if (!(err instanceof ContainmentHeld)) throw err;
        held = err.hold;
        return undefined;
      }),
    (result) => (result ? containDetails(result) : { outcome: 'HELD', hold: held }),
  );
  return contain ? { ...full, contain } : heldClaimedCase(full, held!, deps);
}

/**
 * ContainClaimed held by a brake ({@link claimedBrakes}): nothing in the member account was changed. The hold is recorded
 * on the case (`decisions.hold`; the step's timeline entry says `outcome: HELD`) and, for the breaker, under it
 * (`HELD#<caseId>`); the state goes on with the decision `approval` and its hold: ContainClaimedOutcome sends it to
 * RequestApproval.
 */
async function heldClaimedCase(state: PlaybookState, hold: Hold, deps: StepDeps): Promise<PlaybookState> {
  const i = state.incident;
  await deps.ledger.recordOnce(state.case.caseId, [{ map: 'decisions', key: 'hold', value: hold }]);
  if (hold.brake === 'breaker') {
    const at = deps.now().toISOString();
    const held = { caseId: state.case.caseId, account: i.account, resourceId: i.resource.id, playbook: i.playbook, heldAt: at };
    await deps.ledger.breaker.recordHeld(hold, held, {
      at,
      step: 'Contain',
      status: 'INFO',
      executionName: state.run.executionName,
      details: { outcome: 'HELD', hold },
    });
  }
  const decision = { ...(state.decision ?? { entryId: i.catalogEntryId }), action: 'approval' as const, reason: hold.reason, hold };
  return { ...state, decision };
}

/**
 * Contain's timeline details: its result without the carried instance description (up to 64 KiB, evidence that
 * CollectArtifacts writes to the evidence bucket), of which the entry keeps only when it was taken.
 */
export function containDetails(result: ContainResult): Record<string, unknown> {
  const { preContainmentDescription: carried, ...rest } = result;
  return carried ? { ...rest, preContainmentDescription: { takenAt: carried.takenAt, takenBy: carried.takenBy } } : rest;
}

const containInput = (state: PreClaimState, caseId: string | (() => string), deps: StepDeps) => ({
  instanceId: state.incident.resource.id,
  caseId,
  findingEniIds: findingEniIds(state.incident),
  notFoundGraceSeconds: deps.config.notFoundGraceSeconds,
});

/** The member clients and the record of the groups a run creates, common to both ways in. */
function containDeps(state: PreClaimState & { case?: { caseId: string } }, deps: StepDeps, caseId?: () => string) {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  return {
    ...member,
    recordGroups: async (groups: readonly IsolationGroups[]) => {
      await deps.ledger.recordOnce(caseId?.() ?? state.case!.caseId, groupEntries(groups));
    },
  } satisfies Partial<ContainDeps>;
}

/**
 * Contain from Triage: the claim rides in the write that makes the prior state durable (one TransactWriteItems:
 * claim, case, prior state, groups, the Claim timeline entries, the event's link; {@link CaseLedger.claimWithRecords}).
 * First round, beside the describes: the claim (and, when it names a case this run may resume, that case) and the
 * received event's PutObject. A claim another execution holds, or a finished case, stops the run after its reads: no
 * call in the member account changes anything, and the finding is attached to that case as Claim would
 * ({@link alreadyHandled}).
 */
async function containAndClaim(state: PreClaimState, raw: unknown, deps: StepDeps): Promise<PlaybookState> {
  const { incident } = state;
  const executionName = state.run.executionName;
  // Started inside the step (their calls are Contain's); `stored` is read after it on the already-handled path.
  let stored: ReturnType<typeof storeEventOf> = Promise.resolve(null);
  let seen: ReturnType<typeof readClaimAndCase>;
  let suppressed: Promise<SuppressionMatch | undefined> = Promise.resolve(undefined);
  let claimed: (ClaimResult & { stored?: unknown[] }) | undefined;
  const target = () =>
    claimed && claimed.status !== 'ALREADY_HANDLED'
      ? { ledger: deps.ledger, caseId: claimed.caseId, executionName, trigger: incident.trigger }
      : undefined;
  let contain: ContainResult;
  try {
    contain = await runStep(
      'Contain',
      target,
      () => {
        stored = storeEventOf(incident, receivedEventOf(raw), deps);
        // Awaited by the claim's write: a failure surfaces there; handled now so that a run ended earlier (an instance
        // gone) does not leave it unhandled.
        stored.catch(() => undefined);
        seen = readClaimAndCase(state, deps);
        suppressed = containSuppression(seen, incident, deps); // issue 14: a rule that matches stops Contain after its reads
        const brakes = containBrakes(state, deps, async () => (await seen).case?.caseId);
        return ensureInstanceContained(
          containInput(state, () => claimed!.caseId, deps),
          {
            ...containDeps(state, deps, () => claimed!.caseId),
            mayProceed: async () => (await seen).decision.kind !== 'already-handled' && !(await suppressed),
            brake: brakes.hold,
            knownFirebreakGroupIds: async () => recordedGroupIds((await seen).case),
            recordPriorState: async (prior, groups) => {
              claimed = await deps.ledger.claimWithRecords(incident, executionName, deps.config.claimLeaseSeconds, await seen, {
                entries: priorEntries(prior, groups),
                link: await linkOf(state, stored, deps),
                timeline: (c) => claimEntries(state, c, deps),
                guard: brakes.guard,
              });
              if (claimed.status === 'ALREADY_HANDLED') throw new ContainmentNotClaimed();
              const [preserve, isolate] = claimed.stored ?? [];
              return { preserve, isolate } as ContainPriorState;
            },
          },
        );
      },
      containDetails,
    );
  } catch (err) {
    if (err instanceof ContainmentHeld) return heldCase(state, err.hold, stored, deps);
    if (!(err instanceof ContainmentNotClaimed)) throw err;
    const match = claimed ? undefined : await suppressed.catch(() => undefined);
    if (match && (await seen!).decision.kind !== 'already-handled') return claimSuppressed(state, await seen!, match, stored, deps);
    return alreadyHandled(state, claimed, stored, deps);
  }
  const kase = { caseId: claimed!.caseId, status: claimed!.status as 'CLAIMED' | 'RESUMED' };
  return { ...state, event: await stored, case: kase, contain };
}

/**
 * A suppression rule matched (issue 14): the case is claimed in one TransactWriteItems, as Contain claims ({@link
 * CaseLedger.claimWithRecords}: claim, case, the rule at `decisions.suppression`, the Claim entries naming the rule, the
 * event's link), and nothing is done in the member account; ContainOutcome sends `case.suppression` to CloseSuppressed.
 * A claim that another execution took meanwhile is handled as {@link alreadyHandled}; one that turned out to resume a
 * case whose containment may have begun (a race: FAILED or RESOURCE_GONE meanwhile) is contained after all.
 */
async function claimSuppressed(
  state: PreClaimState,
  seen: Awaited<ReturnType<typeof readClaimAndCase>>,
  match: SuppressionMatch,
  stored: Promise<LinkedEvent | Omit<LinkedEvent, 'findingId' | 'linkedAt'> | null>,
  deps: StepDeps,
): Promise<PlaybookState> {
  const claim = await deps.ledger.claimWithRecords(state.incident, state.run.executionName, deps.config.claimLeaseSeconds, seen, {
    entries: [{ map: 'decisions', key: SUPPRESSION_DECISION, value: match }],
    link: await linkOf(state, stored, deps),
    timeline: (c) =>
      claimEntries(state, c, deps).map((e) => (e.status === 'SUCCEEDED' ? { ...e, details: { ...e.details, suppression: match } } : e)),
  });
  if (claim.status === 'ALREADY_HANDLED') return alreadyHandled(state, claim, stored, deps);
  const next = { ...state, event: await stored, case: { caseId: claim.caseId, status: claim.status } };
  if (claim.previousStatus === 'FAILED' || claim.previousStatus === 'RESOURCE_GONE') return containInstance({ state: next }, deps);
  return { ...next, case: { ...next.case, suppression: match } };
}

/**
 * A brake held the containment (issue 14; {@link containBrakes}): nothing in the member account was changed. The case is
 * claimed as Contain claims it (one TransactWriteItems: claim, case, the Claim entries, the event's link), with the hold
 * recorded on it (`decisions.hold`) and on its timeline (`Contain`, INFO, outcome `HELD`), and, for the breaker, the held
 * case under the breaker item (`HELD#<caseId>`, for `firebreak breaker status` and `reset`). The state goes on with the
 * decision `approval` and its hold: ContainOutcome sends it to RequestApproval.
 */
async function heldCase(
  state: PreClaimState,
  hold: Hold,
  stored: Promise<LinkedEvent | Omit<LinkedEvent, 'findingId' | 'linkedAt'> | null>,
  deps: StepDeps,
): Promise<PlaybookState> {
  const i = state.incident;
  const at = deps.now().toISOString();
  const held = { account: i.account, resourceId: i.resource.id, playbook: i.playbook, heldAt: at };
  const guard =
    hold.brake === 'breaker'
      ? { items: (caseId: string) => [deps.ledger.breaker.heldItem(hold, { caseId, ...held })], cancelled: async () => undefined }
      : undefined;
  const claimed = await deps.ledger.claimWithRecords(
    i,
    state.run.executionName,
    deps.config.claimLeaseSeconds,
    await readClaimAndCase(state, deps),
    {
      entries: [{ map: 'decisions', key: 'hold', value: hold }],
      link: await linkOf(state, stored, deps),
      timeline: (c) => [
        ...claimEntries(state, c, deps),
        {
          at,
          step: 'Contain',
          status: 'INFO',
          executionName: state.run.executionName,
          trigger: i.trigger,
          details: { outcome: 'HELD', hold },
        },
      ],
      guard,
    },
  );
  if (claimed.status === 'ALREADY_HANDLED') return alreadyHandled(state, claimed, stored, deps);
  const decision = { ...(state.decision ?? { entryId: i.catalogEntryId }), action: 'approval' as const, reason: hold.reason, hold };
  return { ...state, event: await stored, case: { caseId: claimed.caseId, status: claimed.status }, decision };
}

/** The claim, the decision it calls for, and the case when this run would resume it (its recorded groups and prior state). */
async function readClaimAndCase(state: PreClaimState, deps: StepDeps) {
  const claim: ClaimItem | undefined = await deps.ledger.findClaim(state.incident);
  const decision = decideClaim(claim, state.incident, state.run.executionName, deps.now());
  const resumes = claim && (decision.kind === 'extend' || decision.kind === 'take-over');
  return { claim, decision, case: resumes ? await deps.ledger.getCase(claim.caseId) : undefined };
}

/** The received event's link, once it is stored (`undefined` when nothing is: a start on a named resource). */
async function linkOf(
  state: PreClaimState,
  stored: Promise<LinkedEvent | Omit<LinkedEvent, 'findingId' | 'linkedAt'> | null>,
  deps: StepDeps,
) {
  const ref = await stored;
  return ref ? ({ ...ref, findingId: state.incident.finding.id, linkedAt: deps.now().toISOString() } satisfies LinkedEvent) : undefined;
}

/** The Claim timeline entries of a claim carried in Contain's write: what Claim would have put. */
function claimEntries(state: PreClaimState, c: Parameters<ClaimRecords['timeline']>[0], deps: StepDeps): TimelineEntry[] {
  const i = state.incident;
  const base = { at: deps.now().toISOString(), step: 'Claim', executionName: state.run.executionName, trigger: i.trigger };
  const succeeded: TimelineEntry = {
    ...base,
    status: 'SUCCEEDED',
    details: { outcome: c.status, findingId: i.finding.id, findingType: i.finding.type, severity: i.finding.severity, eventId: i.eventId },
  };
  if (c.decision.kind !== 'take-over') return [succeeded];
  const details = { outcome: 'RESUMED', reason: c.decision.reason, previousStatus: c.previous?.status, previousOwner: c.previous?.owner };
  return [{ ...base, status: 'INFO', details }, succeeded];
}

/**
 * Another execution handles the instance (its claim is held, or its case is finished): as Claim does for
 * `ALREADY_HANDLED`, the finding is added to that case and noted on its timeline, the event linked to it, and a
 * different finding told to a person ({@link notifyAttachedFinding}). When the claim read again can now be taken (the
 * other execution finished or failed in between), this run contains after all, as after Claim.
 */
async function alreadyHandled(
  state: PreClaimState,
  claimed: ClaimResult | undefined,
  stored: Promise<LinkedEvent | Omit<LinkedEvent, 'findingId' | 'linkedAt'> | null>,
  deps: StepDeps,
): Promise<PlaybookState> {
  const claim = claimed ?? (await deps.ledger.claim(state.incident, state.run.executionName, deps.config.claimLeaseSeconds));
  const event = await stored;
  const link = await linkOf(state, stored, deps);
  if (link) await deps.ledger.linkEvent(claim.caseId, link);
  const next = { ...state, event, case: { caseId: claim.caseId, status: claim.status } };
  if (claim.status !== 'ALREADY_HANDLED') return containInstance({ state: next }, deps);
  await notifyAttachedFinding(next, claim.caseId, deps);
  return next;
}
