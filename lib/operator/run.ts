import { createHash } from 'node:crypto';
import { DescribeExecutionCommand, ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import * as z from 'zod/mini';
import type { Playbook } from '../core/catalog/catalog';
import type { Incident } from '../core/incident/incident';
import { assertTargetFits, normalizeEvent, parseOrThrow } from '../core/incident/normalize';
import { ManualTarget, ManualTargetSchema, StartEnvelopeSchema } from '../core/incident/schema';
import { claimKey, ClaimItem } from '../runtime/ledger/ledger';
import { Connection, executionArn, stateMachineArn } from './connection';

const [instanceTarget, accessKeyTarget, roleTarget] = ManualTargetSchema.def.options;
const where = { account: true, region: true } as const;
/** A manual target as the operator names it: its account and region may be left to the connection's defaults. */
const NamedTargetSchema = z.discriminatedUnion('kind', [
  z.partial(instanceTarget, where),
  z.partial(accessKeyTarget, where),
  z.partial(roleTarget, where),
]);
/** A target as named on the command line: {@link ManualTarget} whose `account` and `region` are optional. */
export type NamedTarget = z.infer<typeof NamedTargetSchema>;

/** What `firebreak run` asks for. */
export interface RunRequest {
  readonly playbook: Playbook;
  /** Where it is (account, region) defaults to the connection's: {@link locateTarget}. */
  readonly target: NamedTarget;
  readonly reason: string;
  readonly dryRun: boolean;
}

/** What {@link startRun} did. */
export interface RunStart {
  /** `started`: a new execution; `attached`: the target already has an open case (or this very run is under way), nothing was started. */
  readonly action: 'started' | 'attached';
  readonly executionArn: string;
  readonly executionName: string;
  /** The operator, as STS GetCallerIdentity names them (on the case timeline as `operator`). */
  readonly operator: string;
  /** The open case the run attached to. */
  readonly caseId?: string;
  readonly caseStatus?: string;
  readonly incident: Incident;
}

/**
 * Checks a manual run before any AWS call: the named target's fields (ManualTargetSchema's own rules, the account and
 * region when given) and that the playbook acts on that kind of target (Normalize's own check, `assertTargetFits`).
 * {@link startRun} normalises the run once, after the connection has told where the target is.
 * @throws {InvalidInput} naming the bad field.
 */
export function checkRun(request: Pick<RunRequest, 'playbook' | 'target'>): void {
  parseOrThrow(NamedTargetSchema, request.target, 'target');
  assertTargetFits(request.playbook, request.target.kind);
}

/**
 * Where a named target is: its own account and region, else the connection's (the caller's account in AWS, the member
 * account of a local stack; the connection's region).
 */
export function locateTarget(target: NamedTarget, conn: Pick<Connection, 'defaultAccount' | 'region'>): ManualTarget {
  return { ...target, account: target.account ?? conn.defaultAccount, region: target.region ?? conn.region } as ManualTarget;
}

function envelope(request: RunRequest, target: ManualTarget, operator: string): z.input<typeof StartEnvelopeSchema> {
  return { firebreak: { trigger: 'manual', dryRun: request.dryRun, reason: request.reason, operator, target } };
}

/**
 * The execution name of a manual run, derived from the case key and the claim's version: every
 * `run` on a target with no open case names the same execution, so two engineers starting it at
 * once get one execution (Step Functions refuses a second execution of a name). After the case is
 * released or has failed, the claim's version has moved on, so a new run gets a new name.
 */
export function manualExecutionName(
  incident: Pick<Incident, 'playbook' | 'account' | 'region' | 'resource'>,
  claim?: Pick<ClaimItem, 'version'>,
): string {
  return `run-${createHash('sha256').update(claimKey(incident)).digest('hex').slice(0, 24)}-v${claim?.version ?? 0}`;
}

/**
 * Claim states in which a manual run attaches to the case instead of starting: someone is on it, or it is
 * done. A RESOURCE_GONE case is not among them: a run looks at the resource again and reopens the case
 * when it exists after all.
 */
const ATTACH_STATUSES = new Set(['IN_PROGRESS', 'CONTAINED']);

/**
 * Starts a playbook by hand on a named target (`firebreak run`), with StartExecution:
 * - the target's account and region default to the connection's ({@link locateTarget}); the run is normalised once
 *   (Normalize's own code, as the playbook's first step will), which gives the case key;
 * - the operator is STS GetCallerIdentity's ARN;
 * - a dry run always starts (it claims nothing and makes no mutating call);
 * - otherwise, when the ledger holds an open case on the target (in progress, contained, or resource
 *   gone), the run attaches to it: nothing is started. A notify-only or failed case is taken further
 *   by a new execution (its Claim escalates or resumes it);
 * - the execution name is {@link manualExecutionName}; `ExecutionAlreadyExists` means another run of
 *   the same case started it first, and this one attaches to it.
 * @throws {InvalidInput} when the target does not fit the playbook (before any AWS call; {@link checkRun} checks it
 *   before connecting).
 * @throws the SDK's errors (AccessDenied, StateMachineDoesNotExist, ...) otherwise.
 */
export async function startRun(conn: Connection, request: RunRequest): Promise<RunStart> {
  const target = locateTarget(request.target, conn);
  // Normalised once, here, with the envelope the playbook's Normalize step will read (operator aside).
  const { incident } = normalizeEvent({
    input: envelope(request, target, 'cli'),
    executionName: 'cli',
    executionStartTime: new Date().toISOString(),
    playbook: request.playbook,
  });
  const operator = (await conn.sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'unknown';
  const input = JSON.stringify(envelope(request, target, operator));
  if (request.dryRun) {
    const name = `dry-${createHash('sha256').update(claimKey(incident)).digest('hex').slice(0, 16)}-${Date.now().toString(36)}`;
    const out = await conn.sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(conn, request.playbook), name, input }));
    return { action: 'started', executionArn: out.executionArn!, executionName: name, operator, incident };
  }
  const claim = await conn.ledger.findClaim(incident);
  if (claim && ATTACH_STATUSES.has(claim.status)) {
    return {
      action: 'attached',
      executionArn: executionArn(conn, request.playbook, claim.owner),
      executionName: claim.owner,
      operator,
      caseId: claim.caseId,
      caseStatus: claim.status,
      incident,
    };
  }
  const name = manualExecutionName(incident, claim);
  try {
    const out = await conn.sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(conn, request.playbook), name, input }));
    return { action: 'started', executionArn: out.executionArn!, executionName: name, operator, incident };
  } catch (err) {
    if (!(err instanceof ExecutionAlreadyExists)) throw err;
    const arn = executionArn(conn, request.playbook, name);
    const existing = await conn.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    return { action: 'attached', executionArn: arn, executionName: name, operator, caseStatus: existing.status, incident };
  }
}
