import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { InvalidInput } from '../core/errors';
import { assertCaseId } from './cases';
import { Connection, stateMachineArn } from './connection';

/** What {@link startRelease} did. */
export interface ReleaseStart {
  /** `started`: a release execution; `already-released`: the case was released before, nothing was started. */
  readonly action: 'started' | 'already-released';
  readonly caseId: string;
  readonly executionArn?: string;
  readonly executionName?: string;
  readonly operator: string;
  /** ISO-8601 UTC, for an already released case. */
  readonly releasedAt?: string;
}

/** Case states a release can start from (the playbook re-checks, from the ledger, when it runs). */
const RELEASABLE = new Set(['CONTAINED', 'FAILED']);

/**
 * Starts the `release` playbook on a case (`firebreak release`): the case's recorded prior state is
 * restored by the playbook, under the FirebreakReleaser role (separation of duties).
 * - A released case starts nothing (`already-released`).
 * - Only CONTAINED cases (and FAILED ones, which may hold partial containment) can be released.
 * The input is `{ release: { caseId, reason, operator } }`; the operator is STS GetCallerIdentity's ARN.
 * @throws {InvalidInput} for a malformed case ID (before any AWS call), an unknown case, or a case in
 *   a state that has nothing to release (NOTIFIED, RESOURCE_GONE, IN_PROGRESS).
 */
export async function startRelease(conn: Connection, caseId: string, reason: string): Promise<ReleaseStart> {
  assertCaseId(caseId);
  const record = await conn.ledger.getCase(caseId);
  if (!record) throw new InvalidInput(`no case ${caseId} in the ledger`);
  const operator = (await conn.sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'unknown';
  if (record.status === 'RELEASED')
    return { action: 'already-released', caseId, operator, releasedAt: (record as { releasedAt?: string }).releasedAt };
  if (!RELEASABLE.has(record.status)) {
    throw new InvalidInput(
      `case ${caseId} is ${record.status}: there is no containment to release${record.status === 'IN_PROGRESS' ? ' yet (wait for it to end)' : ''}`,
    );
  }
  const name = `release-${caseId}-${Date.now().toString(36)}`;
  const out = await conn.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: stateMachineArn(conn, 'release'),
      name,
      input: JSON.stringify({ release: { caseId, reason, operator } }),
    }),
  );
  return { action: 'started', caseId, executionArn: out.executionArn!, executionName: name, operator };
}
