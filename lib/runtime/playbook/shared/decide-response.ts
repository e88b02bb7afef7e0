import { InvalidInput } from '../../../core/errors';
import { CATALOG } from '../../../core/catalog/catalog';
import type { PlaybookState } from '../../../core/contracts/state';
import type { ChainRequest } from '../credential-compromise/chain-instance-containment';
import type { StepDeps } from '../deps-base';
import { decisionHooksOf } from '../decision-registry';
import { gameDayRefusal } from './gameday-check';

/** The decision Decide makes. */
export interface Decision {
  readonly action: 'contain' | 'approval' | 'notify' | 'dryRun';
  readonly reason: string;
  readonly entryId?: string;
  /** Set with `contain` when the catalog entry chains into ec2-compromise (credential-compromise). */
  readonly chain?: ChainRequest;
}

/**
 * Decide: dry run (sample findings and `dryRun: true`), automatic containment (catalog mode
 * `auto`, or an engineer's manual start), or notify-only (catalog mode `notify`, or no entry). The incident's playbook
 * may refuse it first and ask for a chained start ({@link DecisionHooks.refusal}, {@link DecisionHooks.chain}: decision-registry.ts).
 * @param state - the playbook state after Claim.
 * @param deps - config and clients: a game-day event's target is read in the member account ({@link gameDayRefusal}).
 * @returns the decision.
 * @throws {InvalidInput} for a game-day event without `deps`.
 */
export async function decideResponse(state: PlaybookState, deps?: Pick<StepDeps, 'config' | 'clients'>): Promise<Decision> {
  const i = state.incident;
  if (i.trigger === 'gameday' && !i.dryRun) {
    if (!deps) throw new InvalidInput("a game-day event needs the member account to check its target's game-day tag");
    const refusal = await gameDayRefusal(i, deps);
    if (refusal) return { action: 'notify', reason: `refused: ${refusal}; nothing is contained`, entryId: i.catalogEntryId };
  }
  const decision = decide(state);
  if (decision.action !== 'contain') return decision;
  const chain = decisionHooksOf(i.playbook).chain?.(i, deps?.config.catalog ?? CATALOG);
  return chain ? { ...decision, chain } : decision;
}

function decide(state: PlaybookState): Decision {
  const i = state.incident;
  if (i.dryRun)
    return {
      action: 'dryRun',
      reason: i.sample ? 'sample finding (CreateSampleFindings): dry run' : 'dry run requested',
      entryId: i.catalogEntryId,
    };
  const refused = decisionHooksOf(i.playbook).refusal?.(i);
  if (refused) return { action: 'notify', reason: refused, entryId: i.catalogEntryId };
  if (i.chainedFrom)
    return {
      action: 'contain',
      reason: `chained from case ${i.chainedFrom}: its catalog entry sets chainInstanceContainment`,
      entryId: i.catalogEntryId,
    };
  if (i.trigger === 'manual')
    return {
      action: 'contain',
      reason: `started by hand${i.operator ? ` by ${i.operator}` : ''}${i.reason ? `: ${i.reason}` : ''}`,
      entryId: i.catalogEntryId,
    };
  if (i.mode === 'auto')
    return {
      action: 'contain',
      reason: `catalog entry ${i.catalogEntryId}: automatic containment at severity ${i.finding.severity}`,
      entryId: i.catalogEntryId,
    };
  if (i.mode === 'approval')
    return {
      action: 'approval',
      reason: `catalog entry ${i.catalogEntryId}: containment waits for approval at severity ${i.finding.severity}`,
      entryId: i.catalogEntryId,
    };
  if (i.mode === 'notify') {
    // The finding-type table says the resource is not compromised (a victim, an exposure, an unknown type), or the band is notify-only.
    const reason =
      i.triage && !i.triage.containable ? i.triage.why : `catalog entry ${i.catalogEntryId}: notify only at severity ${i.finding.severity}`;
    return { action: 'notify', reason, entryId: i.catalogEntryId };
  }
  return {
    action: 'notify',
    reason: `no catalog entry covers ${i.finding.type} (resource ${i.finding.resourceType ?? '?'}, severity ${i.finding.severity}): below the severity floor; notify-only case`,
  };
}
