import type { Playbook } from '../../core/catalog/catalog';
import { entryOf, PlanHook } from './hooks';
import { planTamperResponse } from './cloudtrail-tamper/plan';
import { planRevocation } from './credential-compromise/plan';
import { planInstanceContainment } from './ec2-compromise/plan';

/**
 * How each playbook plans its containment for PlanDryRun, one line each ({@link PlanHook}: read-only member calls);
 * `undefined` for a notify-only playbook, which plans nothing. The type makes the table complete for every playbook
 * of the catalog (`PLAYBOOKS`, lib/core/catalog/catalog.ts). Only PlanDryRun imports it.
 */
export const PLAN_HOOKS: Readonly<Record<Playbook, PlanHook | undefined>> = {
  'ec2-compromise': planInstanceContainment,
  'credential-compromise': planRevocation,
  'cloudtrail-tamper': planTamperResponse,
  'root-activity': undefined,
  'finding-triage': undefined,
};

/**
 * PlanDryRun's hook of a playbook.
 * @param playbook - the incident's playbook.
 * @returns its plan, or `undefined` (an empty plan) for a notify-only playbook or a name outside the table.
 */
export function planHookOf(playbook: Playbook | string): PlanHook | undefined {
  return entryOf(PLAN_HOOKS, playbook);
}
