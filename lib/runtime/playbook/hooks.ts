import type { CatalogEntry } from '../../core/catalog/catalog';
import type { PlaybookState } from '../../core/contracts/state';
import type { Incident } from '../../core/incident/incident';
import type { CaseRecord } from '../ledger/ledger';
import type { PlannedAction } from '../ec2/instance';
import type { ChainRequest } from './credential-compromise/chain-instance-containment';
import type { StepDeps } from './deps-base';

/**
 * What a playbook tells the shared steps (lib/runtime/playbook/shared/) about itself, in three kinds, each with its own
 * registry so that a shared step's Lambda bundle carries only the kind it calls (test/infra/lean-bundles.test.ts):
 * - {@link DecisionHooks} (`<playbook>/decision.ts`, decision-registry.ts): Decide's pure decisions, no AWS call;
 * - {@link PlanHook} (`<playbook>/plan.ts`, plan-registry.ts): PlanDryRun's read-only member calls;
 * - {@link OrphanedHook} (`<playbook>/orphaned.ts`, orphaned-registry.ts): what CloseOrphanedCase undoes.
 * Without a hook the shared step does the common thing. A hook never writes the ledger and acts in no account
 * unless its doc says so.
 */

/** PlanDryRun's result: what containment would do, from read calls only. */
export interface ContainmentPlan {
  readonly sample: boolean;
  readonly actions: PlannedAction[];
  /** Who else the containment would affect, in words (e.g. every session of a role). */
  readonly affected?: string;
}

/** Decide's hooks of a playbook: pure functions of the incident (no AWS client, no I/O). Each is optional. */
export interface DecisionHooks {
  /**
   * Why this playbook must not contain the incident (a notify-only case with this reason), or `undefined`
   * to let the catalog decide. Called after the dry-run check and before the catalog's mode.
   * Without it, Decide lets the catalog decide.
   */
  readonly refusal?: (incident: Incident) => string | undefined;
  /**
   * The chained start to ask for with a `contain` decision (credential-compromise: contain the instance whose
   * role credentials leaked), or `undefined`. `catalog` is the deployment's catalog (`config.catalog`).
   */
  readonly chain?: (incident: Incident, catalog: readonly CatalogEntry[]) => ChainRequest | undefined;
}

/**
 * PlanDryRun's hook: what containment would do, from read calls only in the member account (zero mutating calls).
 * A playbook without one (notify-only) plans nothing: its plan is empty.
 */
export type PlanHook = (state: PlaybookState, deps: StepDeps) => Promise<ContainmentPlan>;

/**
 * CloseOrphanedCase's hook: what to undo before a case whose execution ended without its failure path is closed FAILED
 * (ec2-compromise: ENIs left on the allow-all untrack group go to the isolation group). Returns what to put in the
 * `failed` notification's `network`, or `undefined`. Must not throw for an AWS error: it becomes part of the result.
 */
export type OrphanedHook = (record: CaseRecord, incident: Incident, deps: StepDeps) => Promise<Record<string, unknown> | undefined>;

/**
 * A registry's entry for a playbook, or `undefined` for a name outside it (a case record's `playbook` is a string).
 * @param registry - one of the registries (decision-registry.ts, plan-registry.ts, orphaned-registry.ts).
 * @param playbook - the playbook's name.
 */
export function entryOf<T>(registry: Readonly<Record<string, T>>, playbook: string): T | undefined {
  return Object.hasOwn(registry, playbook) ? registry[playbook] : undefined;
}
