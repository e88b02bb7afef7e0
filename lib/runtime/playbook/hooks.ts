import type { CatalogEntry } from '../../core/catalog/catalog';
import type { PlaybookState } from '../../core/contracts/state';
import type { Incident } from '../../core/incident/incident';
import type { CaseRecord } from '../ledger/ledger';
import type { PlannedAction } from '../ec2/instance';
import type { ChainRequest } from './credential-compromise/chain-instance-containment';
import type { StepDeps } from './deps-base';

/** PlanDryRun's result: what containment would do, from read calls only. */
export interface ContainmentPlan {
  readonly sample: boolean;
  readonly actions: PlannedAction[];
  /** Who else the containment would affect, in words (e.g. every session of a role). */
  readonly affected?: string;
}

/**
 * What a playbook tells the shared steps (lib/runtime/playbook/shared/) about itself: one entry per playbook in
 * {@link PLAYBOOK_HOOKS} (registry.ts). Each hook is optional; without it the shared step does the common thing.
 * A hook never writes the ledger and acts in no account unless its doc says so.
 */
export interface PlaybookHooks {
  /**
   * Decide: why this playbook must not contain the incident (a notify-only case with this reason), or `undefined`
   * to let the catalog decide. Called after the dry-run check and before the catalog's mode.
   * Without it, Decide lets the catalog decide.
   */
  readonly refusal?: (incident: Incident) => string | undefined;
  /**
   * Decide: the chained start to ask for with a `contain` decision (credential-compromise: contain the instance whose
   * role credentials leaked), or `undefined`. `catalog` is the deployment's catalog (`config.catalog`).
   */
  readonly chain?: (incident: Incident, catalog: readonly CatalogEntry[]) => ChainRequest | undefined;
  /**
   * PlanDryRun: what containment would do, from read calls only in the member account (zero mutating calls).
   * Without it the plan is empty (a notify-only playbook changes nothing).
   */
  readonly plan?: (state: PlaybookState, deps: StepDeps) => Promise<ContainmentPlan>;
  /**
   * CloseOrphanedCase: what to undo before a case whose execution ended without its failure path is closed FAILED
   * (ec2-compromise: ENIs left on the allow-all untrack group go to the isolation group). Returns what to put in the
   * `failed` notification's `network`, or `undefined`. Must not throw for an AWS error: it becomes part of the result.
   */
  readonly onOrphaned?: (record: CaseRecord, incident: Incident, deps: StepDeps) => Promise<Record<string, unknown> | undefined>;
}
