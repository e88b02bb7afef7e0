/**
 * The Lambda steps of the playbooks and what each one may touch (docs/ARCHITECTURE.md, "Lambda steps
 * of ec2-compromise", "The credential-compromise playbook", "The cloudtrail-tamper playbook", "The
 * root-activity playbook" and "The release playbook"), assembled from the playbook registry: the shared
 * steps (lib/infra/playbooks/shared.ts), then each registered playbook's own steps in registry order
 * (lib/infra/playbooks/<playbook>/index.ts), then the steps a rule invokes (close-orphaned-case, no
 * playbook's). The stacks derive every step's permissions, and the member account's trust policies
 * (responder and releaser), from this one table.
 */

import { DEFAULT_NAME_PREFIX } from '../core/names';
import { ConfigError } from '../core/errors';
import { PLAYBOOK_REGISTRY } from './playbooks/registry';
import { RULE_STEPS, SHARED_STEPS, SharedStepName } from './playbooks/shared';
import { StepAccess, StepTable } from './step-access';

export type { StepAccess } from './step-access';

/** The own steps of the registered playbooks. */
type OwnStepName = { [P in keyof typeof PLAYBOOK_REGISTRY]: keyof (typeof PLAYBOOK_REGISTRY)[P]['steps'] }[keyof typeof PLAYBOOK_REGISTRY];

/** A step's folder name under `lambdas/`, also its `FIREBREAK_STEP` value. */
export type StepName = SharedStepName | OwnStepName;

/**
 * The step tables, concatenated in order into one table.
 * @param tables - each table with who declares it (a playbook's name, or the shared set).
 * @returns every step's access, in table order.
 * @throws {ConfigError} when two tables (two playbooks, or a playbook and the shared set) declare the same step.
 */
export function assembleStepTables(tables: readonly [string, StepTable][]): Record<StepName, StepAccess> {
  const all: Record<string, StepAccess> = {};
  const owner: Record<string, string> = {};
  for (const [by, table] of tables) {
    for (const [step, access] of Object.entries(table)) {
      if (owner[step] !== undefined) throw new ConfigError(`Step ${step} is declared by both ${owner[step]} and ${by}`);
      owner[step] = by;
      all[step] = access;
    }
  }
  return all as Record<StepName, StepAccess>;
}

/**
 * Per-step access: the shared steps, each registered playbook's own steps (registry order), then the steps a rule
 * invokes. No step both contains and releases.
 */
export const STEP_ACCESS: Readonly<Record<StepName, StepAccess>> = assembleStepTables([
  ['the shared steps', SHARED_STEPS],
  ...Object.entries(PLAYBOOK_REGISTRY).map(([playbook, r]): [string, StepTable] => [playbook, r.steps]),
  ['the rule steps', RULE_STEPS],
]);

/** Every step, by its folder name under `lambdas/`, in table order (the order of STEP_ACCESS). */
export const STEP_NAMES: readonly StepName[] = Object.keys(STEP_ACCESS) as StepName[];

/** The steps that assume the responder role in member accounts, in table order. */
export const MEMBER_ACTING_STEPS: readonly StepName[] = STEP_NAMES.filter((s) => STEP_ACCESS[s].actsInMember);

/** The steps that assume the releaser role in member accounts, in table order (the release playbook's). */
export const RELEASING_STEPS: readonly StepName[] = STEP_NAMES.filter((s) => STEP_ACCESS[s].releasesInMember);

/**
 * The deterministic name of a step's IAM role (and of its Lambda function) in the security account.
 * The member account's trust policy names these roles, so they are part of the deployment contract.
 * @param step - the step.
 * @param prefix - the deployment's name prefix (lib/core/names.ts). @default 'firebreak'
 * @returns `<prefix>-<step>`, at most 64 characters (a prefix is at most 20).
 */
export function stepRoleName(step: StepName, prefix: string = DEFAULT_NAME_PREFIX): string {
  return `${prefix}-${step}`;
}
