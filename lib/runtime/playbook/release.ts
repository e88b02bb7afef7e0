import { recordedIsolationGroups } from '../ec2/isolation-groups';
import { PublishCommand } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { ClaimLost, NotYetConsistent } from '../../core/errors';
import type { IsolatePriorState } from '../ec2/isolate';
import type { PreservePriorState } from '../ec2/preserve';
import type { RolePriorState, UserPriorState } from '../iam/revoke';
import type { CaseRecord, CaseStatus, TimelineEntry } from '../ledger/ledger';
import { NotReleasable } from '../release/errors';
import { ensureCredentialsReleased, verifyCredentialsReleased, CredentialsReleaseInput, CredentialsReleaseResult } from '../release/release-credentials';
import { ensureInstanceReleased, verifyInstanceReleased, InstanceReleaseResult } from '../release/release-instance';
import type { ReleaseItem } from '../release/plan';
import { isMutatingOperation } from '../telemetry';
import type { StepDeps } from './deps';
import { runStep, StepRecordTarget } from './run-step';
import { CaseIdSchema, FailureInputSchema, LoadCaseInputSchema, ReleaseState } from '../../core/contracts/state';
import { snsSubject } from './sns-subject';

/**
 * The steps of the `release` playbook (DESIGN.md §3 "release", issue 4): undo a case's containment
 * from the prior state recorded on the case, through the releaser role (never the responder's), and
 * record it. Each is a plain async function `(input, deps)`; `lambdas/<step>/index.ts` wraps it.
 * Every step appends to the case timeline with trigger `manual` and the operator who asked.
 */

/** The runbook of the release playbook, named in its notifications. */
export const RELEASE_RUNBOOK = 'runbooks/release/runbook.md';

/** The playbooks whose containment release can undo. */
export const RELEASABLE_PLAYBOOKS: readonly string[] = ['ec2-compromise', 'credential-compromise', 'cloudtrail-tamper'];

/** The prior-state keys containment records before changing anything (lib/runtime/ec2, lib/runtime/iam). */
const PRIOR_STATE_KEYS = ['preserve', 'isolate', 'user', 'role'] as const;

/** The services whose calls change a member account (as opposed to the ledger, SNS or STS). */
const MEMBER_SERVICES = ['EC2.', 'IAM.', 'AutoScaling.', 'ElasticLoadBalancingV2.', 'CloudTrail.'];

interface PriorState {
  readonly preserve?: PreservePriorState;
  readonly isolate?: IsolatePriorState;
  readonly user?: UserPriorState;
  readonly role?: RolePriorState;
}

const priorOf = (record: CaseRecord): PriorState => (record.priorState ?? {}) as PriorState;

/** What release does for a case: restore an instance, restore credentials, or nothing (a cloudtrail-tamper case that revoked no one). */
export type ReleaseKind = 'instance' | 'credentials' | 'nothing';

/**
 * What release restores for a case, as the state machine's ReleaseTarget Choice decides it.
 * @param c - the case as LoadCase put it on the state.
 * @returns the kind of release.
 */
export function releaseKind(c: Pick<ReleaseState['case'], 'playbook' | 'actorRevoked'>): ReleaseKind {
  if (c.playbook === 'ec2-compromise') return 'instance';
  if (c.playbook === 'credential-compromise' || (c.playbook === 'cloudtrail-tamper' && c.actorRevoked)) return 'credentials';
  return 'nothing';
}

/** Where a release step's timeline entry goes: the case, trigger `manual`, with the operator. */
function releaseTarget(state: Pick<ReleaseState, 'release' | 'run'>, deps: StepDeps): StepRecordTarget {
  return { ledger: deps.ledger, caseId: state.release.caseId, executionName: state.run.executionName, trigger: 'manual', operator: state.release.operator };
}

/**
 * Tells whether a case can be released, from its status and recorded prior state.
 * @returns `RELEASING` or `ALREADY_RELEASED`.
 * @throws {NotReleasable} when the case is NOTIFIED, RESOURCE_GONE, IN_PROGRESS, FAILED with no
 *   recorded prior state, or of a playbook that changes nothing release can undo.
 */
export function releasability(record: CaseRecord): 'RELEASING' | 'ALREADY_RELEASED' {
  const { caseId, status, playbook } = record;
  const prior = priorOf(record);
  const hasPrior = PRIOR_STATE_KEYS.some((k) => prior[k] !== undefined);
  const why: Partial<Record<CaseStatus, string>> = {
    NOTIFIED: 'a notify-only case changed nothing in the member account, so there is nothing to release',
    RESOURCE_GONE: `its resource ${record.resourceId} no longer exists, so there is nothing to release`,
    IN_PROGRESS: `containment is still running on it; wait for that execution to end (firebreak status ${caseId}), then release`,
  };
  if (status === 'RELEASED') return 'ALREADY_RELEASED';
  if (why[status]) throw new NotReleasable(`Case ${caseId} is ${status}: ${why[status]}`, status);
  if (status === 'FAILED' && !hasPrior) {
    throw new NotReleasable(`Case ${caseId} is FAILED before containment changed anything (no prior state is recorded): there is nothing to release`, status);
  }
  if (status !== 'CONTAINED' && status !== 'FAILED') throw new NotReleasable(`Case ${caseId} is ${status}: only CONTAINED and FAILED cases can be released`, status);
  if (!RELEASABLE_PLAYBOOKS.includes(playbook)) {
    throw new NotReleasable(`Case ${caseId} is a ${playbook} case: that playbook changes nothing release can undo`, status);
  }
  return 'RELEASING';
}

/**
 * LoadCase: reads the case and decides whether it can be released (no AWS call in the member account).
 * A released case ends the execution ALREADY_RELEASED without touching anything.
 * @param input - the state machine input `{ release: { caseId, reason, operator } }`, the execution's name and start time.
 * @param deps - the ledger.
 * @returns the release state: the request, the run, and the case (`$.case`).
 * @throws {NotReleasable} when there is no such case or it cannot be released ({@link releasability});
 *   the refusal is on the case's timeline when the case exists.
 */
export async function loadCase(input: z.infer<typeof LoadCaseInputSchema>, deps: StepDeps): Promise<Pick<ReleaseState, 'release' | 'run' | 'case'>> {
  const release = input.input.release;
  const run = { executionName: input.executionName, startTime: input.executionStartTime };
  const record = await deps.ledger.getCase(release.caseId);
  if (!record) throw new NotReleasable(`No case ${release.caseId} in the ledger: nothing to release`);
  return runStep(
    'LoadCase',
    releaseTarget({ release, run }, deps),
    async () => {
      const status = releasability(record);
      const prior = priorOf(record);
      return {
        release, run,
        case: {
          caseId: record.caseId, status, previousStatus: record.status, playbook: record.playbook, account: record.account,
          region: record.region, resourceId: record.resourceId, actorRevoked: prior.user !== undefined || prior.role !== undefined,
        },
      };
    },
    (out) => ({
      outcome: out.case.status, caseStatus: record.status, playbook: record.playbook, resourceId: record.resourceId,
      release: out.case.status === 'RELEASING' ? releaseKind(out.case) : undefined, reason: release.reason,
    }),
  );
}

async function caseRecord(state: ReleaseState, deps: StepDeps): Promise<CaseRecord> {
  const record = await deps.ledger.getCase(state.case.caseId);
  if (!record) throw new NotReleasable(`Case ${state.case.caseId} is no longer in the ledger`);
  return record;
}

function releaserClients(state: ReleaseState, deps: StepDeps) {
  return deps.clients.member(state.case.account, state.case.region, { roleName: deps.config.releaserRoleName });
}

/** The credential release input for a case, from its incident and recorded prior state. */
function credentialsInput(record: CaseRecord, deps: StepDeps): Omit<CredentialsReleaseInput, 'mode'> {
  const prior = priorOf(record);
  const r = record.incident.resource;
  const protectedRoleNames = [deps.config.responderRoleName, deps.config.releaserRoleName];
  if (r.type === 'AccessKey' && r.userType === 'IAMUser') {
    return { user: prior.user, userName: r.userName ?? prior.user?.userName, accessKeyId: r.accessKeyId, protectedRoleNames };
  }
  if (r.type === 'AccessKey') return { role: prior.role, roleName: r.userName ?? prior.role?.roleName, protectedRoleNames };
  if (r.type === 'ApiCall' && prior.user) {
    // cloudtrail-tamper revoked an IAM user: its long-term key (AKIA…) was deactivated, if the call used one.
    const key = r.actor.accessKeyId?.startsWith('AKIA') ? r.actor.accessKeyId : undefined;
    return { user: prior.user, accessKeyId: key, protectedRoleNames };
  }
  return { user: prior.user, role: prior.role, protectedRoleNames };
}

/**
 * ReleaseInstance: puts the instance back as Preserve and Isolate recorded it ({@link ensureInstanceReleased}),
 * through the releaser role. Evidence (snapshots, objects) is never touched.
 * @throws {ReleaseBlocked} when the recorded security groups cannot be put back (nothing changed).
 * @throws {ResourceGone} when the instance is gone (nothing changed).
 */
export async function releaseInstance(state: ReleaseState, deps: StepDeps): Promise<InstanceReleaseResult> {
  const member = releaserClients(state, deps);
  return runStep('ReleaseInstance', releaseTarget(state, deps), async () => {
    const record = await caseRecord(state, deps);
    const prior = priorOf(record);
    const firebreakGroupIds = recordedIsolationGroups(record?.decisions).flatMap((g) => [g.isolationGroupId, g.untrackGroupId]);
    return ensureInstanceReleased(
      { instanceId: state.case.resourceId, preserve: prior.preserve, isolate: prior.isolate, firebreakGroupIds, mode: 'apply' },
      { ec2: member.ec2, autoScaling: member.autoScaling, elbv2: member.elbv2, iam: member.iam },
    );
  });
}

/**
 * ReleaseCredentials: puts the revoked credentials back as the case recorded them
 * ({@link ensureCredentialsReleased}), through the releaser role. A removed console password cannot be
 * put back (it is reported as not restored).
 * @throws {ResourceGone} when the user or role is gone (nothing changed).
 */
export async function releaseCredentials(state: ReleaseState, deps: StepDeps): Promise<CredentialsReleaseResult> {
  const { iam } = releaserClients(state, deps);
  return runStep('ReleaseCredentials', releaseTarget(state, deps), async () => {
    const record = await caseRecord(state, deps);
    return ensureCredentialsReleased({ ...credentialsInput(record, deps), mode: 'apply' }, { iam });
  });
}

/**
 * VerifyRelease: reads the member account back through the releaser role. What does not read back
 * yet raises {@link NotYetConsistent} (IAM, and EC2's API, are eventually consistent), which the state
 * machine retries with a bounded backoff before it fails the execution.
 */
export async function verifyRelease(state: ReleaseState, deps: StepDeps): Promise<{ verified: boolean; kind: ReleaseKind }> {
  const kind = releaseKind(state.case);
  return runStep('VerifyRelease', releaseTarget(state, deps), async () => {
    if (kind === 'nothing') return { verified: true, kind };
    const record = await caseRecord(state, deps);
    const member = releaserClients(state, deps);
    const prior = priorOf(record);
    const problems = kind === 'instance'
      ? await verifyInstanceReleased(
        { instanceId: state.case.resourceId, preserve: prior.preserve, isolate: prior.isolate },
        { ec2: member.ec2, autoScaling: member.autoScaling, elbv2: member.elbv2, iam: member.iam },
      )
      : await verifyCredentialsReleased(credentialsInput(record, deps), { iam: member.iam });
    if (problems.length) throw new NotYetConsistent(`Release of ${state.case.resourceId} does not read back yet: ${problems.join('; ')}`);
    return { verified: true, kind };
  });
}

/** What ReleaseInstance / ReleaseCredentials (or NothingToRestore) put at `$.restore`. */
interface RestoreOutcome {
  readonly actions?: { operation: string; target: string; change: string }[];
  readonly unchanged?: ReleaseItem[];
  readonly notRestored?: ReleaseItem[];
  readonly nothing?: string;
}

const restoreOf = (state: ReleaseState): RestoreOutcome => (state.restore ?? {}) as RestoreOutcome;

/**
 * CloseRelease: marks the case RELEASED and lifts its claim ({@link CaseLedger.release}), so the next
 * finding on the resource opens a new case. What was restored and what could not be is kept on the
 * case (`releaseDetails`), with the operator and the reason.
 * @throws {ClaimLost} when the resource's claim belongs to another case now.
 */
export async function closeRelease(state: ReleaseState, deps: StepDeps): Promise<{ caseId: string; status: 'RELEASED'; released: boolean; notRestored: ReleaseItem[] }> {
  const restore = restoreOf(state);
  return runStep('CloseRelease', releaseTarget(state, deps), async () => {
    const released = await deps.ledger.release(state.case.caseId, {
      operator: state.release.operator, reason: state.release.reason, executionName: state.run.executionName,
      previousStatus: state.case.previousStatus, restored: restore.actions ?? [], notRestored: restore.notRestored ?? [],
      ...(restore.nothing ? { nothing: restore.nothing } : {}),
    });
    return { caseId: state.case.caseId, status: 'RELEASED' as const, released, notRestored: restore.notRestored ?? [] };
  }, (out) => ({
    released: out.released, reason: state.release.reason, restored: (restore.actions ?? []).length, notRestored: out.notRestored,
  }));
}

/**
 * NotifyRelease: publishes the release to SNS once per case (`notifications.released`): who released
 * what, why, what was restored and what was not (e.g. a console password, an address released since).
 */
export async function notifyRelease(state: ReleaseState, deps: StepDeps): Promise<{ published: boolean; messageId?: string }> {
  const restore = restoreOf(state);
  return runStep('NotifyRelease', releaseTarget(state, deps), async () => {
    const record = await deps.ledger.getCase(state.case.caseId);
    if (record?.notifications?.released) return { published: false };
    const c = state.case;
    const out = await deps.clients.security().sns.send(new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: snsSubject(`[Firebreak] ${c.caseId} released: ${c.resourceId} (${c.playbook})`),
      Message: JSON.stringify({
        kind: 'released', caseId: c.caseId, playbook: c.playbook, account: c.account, region: c.region, resourceId: c.resourceId,
        operator: state.release.operator, reason: state.release.reason, previousStatus: c.previousStatus,
        restored: restore.actions ?? [], notRestored: restore.notRestored ?? [], nothing: restore.nothing,
        evidence: record?.evidence ?? {}, runbook: RELEASE_RUNBOOK,
      }, null, 2),
      MessageAttributes: { caseId: { DataType: 'String', StringValue: c.caseId }, kind: { DataType: 'String', StringValue: 'released' } },
    }));
    await deps.ledger.markNotified(c.caseId, 'released');
    return { published: true, messageId: out.MessageId };
  });
}

/** Whether the timeline shows a call that changes a member account made by this execution (attempted, failed ones included). */
function changedMemberAccount(timeline: readonly TimelineEntry[], executionName: string | undefined): boolean {
  if (!executionName) return false;
  return timeline
    .filter((t) => t.executionName === executionName)
    .some((t) => Object.keys(t.apiCalls ?? {}).some((op) => MEMBER_SERVICES.some((s) => op.startsWith(s)) && isMutatingOperation(op)));
}

/**
 * RecordFailure / RecordResourceGone of the release playbook (the shared `record-failure` step hands
 * a release state here): puts the error on the case's timeline (when the case exists), notifies, and
 * changes the case's status only when it is true to:
 * - nothing changed in the member account (LoadCase refused, ReleaseBlocked, a failure before the first
 *   mutating call): the status stays as it was, so a refused release of a NOTIFIED case touches nothing;
 * - the release changed something and then failed: the case becomes FAILED (its claim too), so the next
 *   finding on the resource contains it again and `firebreak release` can be run again;
 * - RESOURCE_GONE: the resource no longer exists; the case becomes RESOURCE_GONE.
 * A case already RELEASED (e.g. NotifyRelease failed after CloseRelease) keeps its status.
 * @returns the case (when it exists), its status now, and whether it was notified.
 */
export async function recordReleaseFailure(
  input: z.infer<typeof FailureInputSchema>,
  deps: StepDeps,
): Promise<{ caseId?: string; status: string; caseStatus?: string; notified: boolean }> {
  const { state, outcome } = input;
  const request = state.release ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const requested = text(request.caseId);
  const operator = text(request.operator);
  const reason = text(request.reason);
  const executionName = state.run?.executionName ?? input.executionName;
  const error = { name: state.error.Error, message: (state.error.Cause ?? '').slice(0, 4000) };
  const record = requested && CaseIdSchema.safeParse(requested).success ? await deps.ledger.getCase(requested) : undefined;
  let caseStatus: string | undefined = record?.status;
  if (record) {
    await deps.ledger.appendTimeline(record.caseId, {
      at: deps.now().toISOString(), step: outcome === 'RESOURCE_GONE' ? 'RecordResourceGone' : 'RecordFailure', status: 'FAILED',
      executionName, trigger: 'manual', operator, error, details: { playbook: 'release', reason },
    });
    // `state.case` is there once LoadCase accepted the case; before that, nothing was attempted.
    const accepted = state.case !== undefined && record.status !== 'RELEASED';
    const changed = accepted && changedMemberAccount(await deps.ledger.timeline(record.caseId), executionName);
    const next: Exclude<CaseStatus, 'IN_PROGRESS'> | undefined = !accepted ? undefined : outcome === 'RESOURCE_GONE' ? 'RESOURCE_GONE' : changed ? 'FAILED' : undefined;
    if (next) {
      try {
        await deps.ledger.finish(record.caseId, next, { error, release: { executionName, operator, reason } });
        caseStatus = next;
      } catch (err) {
        // The resource's claim belongs to another case now: leave both as they are.
        if (!(err instanceof ClaimLost)) throw err;
      }
    }
  }
  const c = state.case as { resourceId?: string; playbook?: string } | undefined;
  await deps.clients.security().sns.send(new PublishCommand({
    TopicArn: deps.config.topicArn,
    Subject: snsSubject(`[Firebreak] ${requested ?? '(no case)'} release FAILED: ${c?.resourceId ?? '(no case)'}`),
    Message: JSON.stringify({
      kind: 'release-failed', caseId: record?.caseId ?? requested, operator, reason, error, caseStatus, playbook: c?.playbook, runbook: RELEASE_RUNBOOK,
    }, null, 2),
    MessageAttributes: { kind: { DataType: 'String', StringValue: 'release-failed' }, ...(record ? { caseId: { DataType: 'String', StringValue: record.caseId } } : {}) },
  }));
  return { caseId: record?.caseId, status: outcome, caseStatus, notified: true };
}
