import { InvalidInput } from '../../../core/errors';
import { CATALOG } from '../../../core/catalog/catalog';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { decisionHooksOf } from '../decision-registry';
import { gameDayRefusal } from './gameday-check';
import { decide, Decision } from './decide';
import { protectedDecision } from '../../brakes/protection';
import { breakerDecision } from '../../brakes/decide-breaker';

export type { Decision } from './decide';

/**
 * Decide: dry run (sample findings and `dryRun: true`), automatic containment (catalog mode
 * `auto`, or an engineer's manual start), or notify-only (catalog mode `notify`, or no entry). The incident's playbook
 * may refuse it first and ask for a chained start ({@link DecisionHooks.refusal}, {@link DecisionHooks.chain}: decision-registry.ts).
 * @param state - the playbook state after Claim.
 * @param deps - config and clients: a game-day event's target is read in the member account ({@link gameDayRefusal});
 *   the ledger: an automatic `contain` is counted on the blast-radius breaker, or held by it ({@link breakerDecision}).
 * @returns the decision.
 * @throws {InvalidInput} for a game-day event without `deps`.
 */
export async function decideResponse(
  state: PlaybookState,
  deps?: Pick<StepDeps, 'config' | 'clients' | 'now'> & { ledger?: StepDeps['ledger'] },
): Promise<Decision> {
  const i = state.incident;
  if (i.trigger === 'gameday' && !i.dryRun) {
    if (!deps) throw new InvalidInput("a game-day event needs the member account to check its target's game-day tag");
    const refusal = await gameDayRefusal(i, deps);
    if (refusal) return { action: 'notify', reason: `refused: ${refusal}; nothing is contained`, entryId: i.catalogEntryId };
  }
  const decision = deps ? protectedDecision(decide(state), i, deps.config.protection) : decide(state);
  if (decision.action !== 'contain' && !decision.hold) return decision;
  const chain = decisionHooksOf(i.playbook).chain?.(i, deps?.config.catalog ?? CATALOG);
  const chained = chain ? { ...decision, chain } : decision;
  return deps?.ledger ? breakerDecision(state, chained, { ...deps, ledger: deps.ledger }) : chained;
}
