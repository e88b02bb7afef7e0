import type { PlaybookState } from '../../core/contracts/state';
import { Throttled } from '../../core/errors';
import type { StepDeps } from '../playbook/deps-base';
import type { Decision } from '../playbook/shared/decide';
import { breakerCounts, breakerHold } from './breaker';

/** How often Decide reads the breaker again after another execution counted first. */
const MAX_ATTEMPTS = 20;

/**
 * The blast-radius breaker in Decide (issue 14: credential-compromise, cloudtrail-tamper; ec2-compromise takes it in
 * Contain): an automatic `contain` decision is counted on the breaker items (the case is Claim's, so its ID is known),
 * conditional on the versions read; another count since the read makes it read again. Full: the decision becomes
 * `approval` with the breaker's hold, the case is recorded under the breaker (`HELD#<caseId>`) with a `Decide` INFO
 * entry (`outcome: HELD`) on its timeline, and RequestApproval pages once per trip. A case counted already (a retry of
 * Decide) is neither held nor counted again; only a finding's automatic containment is counted ({@link breakerCounts}).
 * @returns the decision, unchanged or held.
 * @throws {Throttled} when the breaker could not be counted after {@link MAX_ATTEMPTS} reads (contention: the state
 *   machine's Retry runs Decide again).
 */
export async function breakerDecision(
  state: PlaybookState,
  decision: Decision,
  deps: Pick<StepDeps, 'config' | 'ledger' | 'now'>,
): Promise<Decision> {
  const i = state.incident;
  if (decision.action !== 'contain' || !breakerCounts(i)) return decision;
  const caseId = state.case.caseId;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const view = await deps.ledger.breaker.read(i.account);
    const hold = breakerHold(view, deps.config.breaker, deps.now(), caseId);
    if (!hold) {
      if (await deps.ledger.breaker.count(view, deps.config.breaker, caseId)) return decision;
      continue;
    }
    const at = deps.now().toISOString();
    await deps.ledger.breaker.recordHeld(
      hold,
      { caseId, account: i.account, resourceId: i.resource.id, playbook: i.playbook, heldAt: at },
      {
        at,
        step: 'Decide',
        status: 'INFO',
        executionName: state.run.executionName,
        trigger: i.trigger,
        details: { outcome: 'HELD', hold },
      },
    );
    return { ...decision, action: 'approval', reason: hold.reason, hold };
  }
  throw new Throttled(`the blast-radius breaker of account ${i.account} changed under ${MAX_ATTEMPTS} reads in a row`);
}
