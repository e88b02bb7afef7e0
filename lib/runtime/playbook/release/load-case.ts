import * as z from 'zod';
import { NotReleasable } from '../../release/errors';
import type { StepDeps } from '../deps-base';
import { runStep } from '../run-step';
import { LoadCaseInputSchema, ReleaseState } from '../../../core/contracts/state';
import { releaseKind, releaseTarget, releasability, priorOf } from './common';

/**
 * LoadCase: reads the case and decides whether it can be released (no AWS call in the member account).
 * A released case ends the execution ALREADY_RELEASED without touching anything.
 * @param input - the state machine input `{ release: { caseId, reason, operator } }`, the execution's name and start time.
 * @param deps - the ledger.
 * @returns the release state: the request, the run, and the case (`$.case`).
 * @throws {NotReleasable} when there is no such case or it cannot be released ({@link releasability});
 *   the refusal is on the case's timeline when the case exists.
 */
export async function loadCase(
  input: z.infer<typeof LoadCaseInputSchema>,
  deps: StepDeps,
): Promise<Pick<ReleaseState, 'release' | 'run' | 'case'>> {
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
        release,
        run,
        case: {
          caseId: record.caseId,
          status,
          previousStatus: record.status,
          playbook: record.playbook,
          account: record.account,
          region: record.region,
          resourceId: record.resourceId,
          actorRevoked: prior.user !== undefined || prior.role !== undefined,
        },
      };
    },
    (out) => ({
      outcome: out.case.status,
      caseStatus: record.status,
      playbook: record.playbook,
      resourceId: record.resourceId,
      release: out.case.status === 'RELEASING' ? releaseKind(out.case) : undefined,
      reason: release.reason,
    }),
  );
}
