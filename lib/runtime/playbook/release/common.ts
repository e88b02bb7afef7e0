import type { IsolatePriorState } from '../../ec2/isolate';
import type { PreservePriorState } from '../../ec2/preserve';
import type { RolePriorState, UserPriorState } from '../../iam/revoke';
import type { CaseRecord, CaseStatus } from '../../ledger/ledger';
import { NotReleasable } from '../../release/errors';
import type { CredentialsReleaseInput } from '../../release/release-credentials';
import type { InstanceCredentialsReleaseInput } from '../../release/instance-credentials';
import type { InstanceCredentialsPriorState } from '../../iam/instance-credentials';
import type { ReleaseItem } from '../../release/plan';
import type { BucketPriorState } from '../../s3/release';
import type { ReservedConcurrencyPrior } from '../../lambda/contain';
import type { TaskPrior } from '../../ecs/stop';
import type { StepDeps } from '../deps-base';
import type { StepRecordTarget } from '../run-step';
import type { ReleaseKind } from '../../../core/contracts/release-results';
import type { ReleaseState } from '../../../core/contracts/state';

/**
 * The steps of the `release` playbook (DESIGN.md §3 "release", issue 4): undo a case's containment
 * from the prior state recorded on the case, through the releaser role (never the responder's), and
 * record it. Each is a plain async function `(input, deps)`; `lambdas/<step>/index.ts` wraps it.
 * Every step appends to the case timeline with trigger `manual` and the operator who asked.
 */

/** The playbooks whose containment release can undo. */
export const RELEASABLE_PLAYBOOKS: readonly string[] = [
  'ec2-compromise',
  'credential-compromise',
  'cloudtrail-tamper',
  's3-compromise',
  'lambda-compromise',
  // A stopped task cannot be restarted: its release records that there is nothing to undo (the state machine's TaskNotRestartable).
  'ecs-task-compromise',
  'rds-compromise',
];

/** The prior-state keys containment records before changing anything (lib/runtime/ec2, lib/runtime/iam, lib/runtime/s3). */
const PRIOR_STATE_KEYS = [
  'preserve',
  'isolate',
  'user',
  'role',
  'bucketPolicy',
  'publicAccessBlock',
  'versioning',
  'reservedConcurrency',
  'task',
] as const;

export interface PriorState extends BucketPriorState {
  readonly preserve?: PreservePriorState;
  readonly isolate?: IsolatePriorState;
  /** ec2-compromise's DenyInstanceCredentials (issue 15). */
  readonly instanceCredentials?: InstanceCredentialsPriorState;
  readonly user?: UserPriorState;
  readonly role?: RolePriorState;
  /** lambda-compromise's ContainFunction. */
  readonly reservedConcurrency?: ReservedConcurrencyPrior;
  /** ecs-task-compromise's StopTask: the task's statuses before it was stopped (lib/runtime/ecs/stop.ts). */
  readonly task?: TaskPrior;
}

export const priorOf = (record: CaseRecord): PriorState => (record.priorState ?? {}) as PriorState;

/** What release does for a case: restore an instance, credentials, a bucket, a function or a database, or nothing (a cloudtrail-tamper case that revoked no one, an ECS task); one list, the contract's. */
export type { ReleaseKind } from '../../../core/contracts/release-results';

/**
 * What release restores for a case, as the state machine's ReleaseTarget Choice decides it.
 * @param c - the case as LoadCase put it on the state.
 * @returns the kind of release.
 */
export function releaseKind(c: Pick<ReleaseState['case'], 'playbook' | 'actorRevoked'>): ReleaseKind {
  if (c.playbook === 'ec2-compromise') return 'instance';
  if (c.playbook === 's3-compromise') return 'bucket';
  if (c.playbook === 'lambda-compromise') return 'function';
  if (c.playbook === 'rds-compromise') return 'database';
  if (c.playbook === 'credential-compromise' || (c.playbook === 'cloudtrail-tamper' && c.actorRevoked)) return 'credentials';
  return 'nothing';
}

/** Where a release step's timeline entry goes: the case, trigger `manual`, with the operator. */
export function releaseTarget(state: Pick<ReleaseState, 'release' | 'run'>, deps: StepDeps): StepRecordTarget {
  return {
    ledger: deps.ledger,
    caseId: state.release.caseId,
    executionName: state.run.executionName,
    trigger: 'manual',
    operator: state.release.operator,
  };
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
    throw new NotReleasable(
      `Case ${caseId} is FAILED before containment changed anything (no prior state is recorded): there is nothing to release`,
      status,
    );
  }
  if (status !== 'CONTAINED' && status !== 'FAILED')
    throw new NotReleasable(`Case ${caseId} is ${status}: only CONTAINED and FAILED cases can be released`, status);
  if (!RELEASABLE_PLAYBOOKS.includes(playbook)) {
    throw new NotReleasable(`Case ${caseId} is a ${playbook} case: that playbook changes nothing release can undo`, status);
  }
  return 'RELEASING';
}

export async function caseRecord(state: ReleaseState, deps: StepDeps): Promise<CaseRecord> {
  const record = await deps.ledger.getCase(state.case.caseId);
  if (!record) throw new NotReleasable(`Case ${state.case.caseId} is no longer in the ledger`);
  return record;
}

/** The credential release input for a case, from its incident and recorded prior state. */
export function credentialsInput(record: CaseRecord, deps: StepDeps): Omit<CredentialsReleaseInput, 'mode'> {
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
 * What an ec2-compromise case wrote on the instance's role (issue 15), for its release: the per-instance deny
 * (`priorState.instanceCredentials`) and, when the option revoked the role's older sessions, `priorState.role` with the
 * case's cutoff (`decisions.revocationCutoff`). The instance's ARN is the case's incident's (partition, region, account).
 */
export function instanceCredentialsInput(record: CaseRecord): InstanceCredentialsReleaseInput | undefined {
  const prior = priorOf(record);
  const i = record.incident;
  const cutoff = record.decisions?.revocationCutoff;
  const olderSessions = prior.role && typeof cutoff === 'string' ? { role: prior.role, cutoff } : undefined;
  if (!prior.instanceCredentials && !olderSessions) return undefined;
  return {
    instanceArn: `arn:${i.partition}:ec2:${i.region}:${i.account}:instance/${record.resourceId}`,
    ...(prior.instanceCredentials ? { deny: prior.instanceCredentials } : {}),
    ...(olderSessions ? { olderSessions } : {}),
  };
}

/** What ReleaseInstance / ReleaseCredentials (or NothingToRestore) put at `$.restore`. */
export interface RestoreOutcome {
  readonly actions?: { operation: string; target: string; change: string }[];
  readonly unchanged?: ReleaseItem[];
  readonly notRestored?: ReleaseItem[];
  readonly nothing?: string;
}

export const restoreOf = (state: ReleaseState): RestoreOutcome => state.restore ?? {};
