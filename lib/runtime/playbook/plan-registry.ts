import type { Playbook } from '../../core/catalog/catalog';
import { entryOf, PlanHook } from './hooks';

/**
 * A plan loaded on its first call (`import()`): PlanDryRun requires a playbook's plan module, and the SDK client packages
 * it sends through (ec2-compromise's EC2, Auto Scaling and ELB; credential-compromise's IAM; cloudtrail-tamper's
 * CloudTrail), only for an incident of that playbook, not at every cold start. esbuild keeps the module in the one
 * CommonJS bundle (docs/ARCHITECTURE.md, "Lean Lambda bundles").
 */
const onFirstCall =
  <M>(load: () => Promise<M>, hook: (m: M) => PlanHook): PlanHook =>
  async (state, deps) =>
    hook(await load())(state, deps);

/**
 * How each playbook plans its containment for PlanDryRun, one line each ({@link PlanHook}: read-only member calls);
 * `undefined` for a notify-only playbook, which plans nothing. The type makes the table complete for every playbook
 * of the catalog (`PLAYBOOKS`, lib/core/catalog/catalog.ts). Only PlanDryRun imports it.
 */
export const PLAN_HOOKS: Readonly<Record<Playbook, PlanHook | undefined>> = {
  'ec2-compromise': onFirstCall(
    () => import('./ec2-compromise/plan'),
    (m) => m.planInstanceContainment,
  ),
  'credential-compromise': onFirstCall(
    () => import('./credential-compromise/plan'),
    (m) => m.planRevocation,
  ),
  'cloudtrail-tamper': onFirstCall(
    () => import('./cloudtrail-tamper/plan'),
    (m) => m.planTamperResponse,
  ),
  'root-activity': undefined,
  'finding-triage': undefined,
  's3-compromise': onFirstCall(
    () => import('./s3-compromise/plan'),
    (m) => m.planBucketContainment,
  ),
  'rds-compromise': onFirstCall(
    () => import('./rds-compromise/plan'),
    (m) => m.planDatabaseContainment,
  ),
  'attack-sequence': onFirstCall(
    () => import('./attack-sequence/plan'),
    (m) => m.planSequenceChains,
  ),
  // Its own plan step (lambda-compromise/plan-function.ts, lambdas/plan-function), which keeps this bundle under 200 KB.
  'lambda-compromise': undefined,
  'ecs-task-compromise': onFirstCall(
    () => import('./ecs-task-compromise/plan'),
    (m) => m.planTaskContainment,
  ),
};

/**
 * PlanDryRun's hook of a playbook.
 * @param playbook - the incident's playbook.
 * @returns its plan, or `undefined` (an empty plan) for a notify-only playbook or a name outside the table.
 */
export function planHookOf(playbook: Playbook | string): PlanHook | undefined {
  return entryOf(PLAN_HOOKS, playbook);
}
