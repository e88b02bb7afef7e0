import type { Incident } from '../../../core/incident/incident';
import type { ChainRequest } from '../credential-compromise/chain-instance-containment';
import { decisionHooksOf } from '../decision-registry';
import type { Hold } from '../../../core/brakes';

/** The decision Decide makes. */
export interface Decision {
  readonly action: 'contain' | 'approval' | 'notify' | 'dryRun' | 'shadow';
  readonly reason: string;
  readonly entryId?: string;
  /** Set with `contain` when the catalog entry chains into ec2-compromise (credential-compromise). */
  readonly chain?: ChainRequest;
  /** Set with `approval` when a brake held an automatic containment (issue 14: lib/runtime/brakes/). */
  readonly hold?: Hold;
}

/**
 * The decision for an incident, without any AWS call: dry run (sample findings and `dryRun: true`), automatic
 * containment (catalog mode `auto`, a chained or manual start), approval (catalog mode `approval`), shadow (catalog
 * mode `shadow`: the plan recorded on a case closed `SHADOW`, issue 14), or notify-only (catalog mode `notify`, or no entry); the incident's playbook may refuse containment first
 * ({@link DecisionHooks.refusal}). Decide ({@link decideResponse}) adds the game-day check and the chain; Triage
 * (ec2-compromise) takes it as it is, its game-day events checked by GameDayGuard.
 * @param state - anything holding the normalized incident.
 */
export function decide(state: { incident: Incident }): Decision {
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
      // The chaining step's reason: credential-compromise's chainInstanceContainment, or the attack sequence that names the resource.
      reason: `chained from case ${i.chainedFrom}${i.reason ? `: ${i.reason}` : ''}`,
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
  if (i.mode === 'shadow')
    return {
      action: 'shadow',
      reason: `catalog entry ${i.catalogEntryId}: shadow mode: the plan is recorded, nothing is changed or notified`,
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
