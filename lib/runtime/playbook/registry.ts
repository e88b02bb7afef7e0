import type { Playbook } from '../../core/catalog/catalog';
import type { PlaybookHooks } from './hooks';
import { CLOUDTRAIL_TAMPER_HOOKS } from './cloudtrail-tamper/hooks';
import { CREDENTIAL_COMPROMISE_HOOKS } from './credential-compromise/hooks';
import { EC2_COMPROMISE_HOOKS } from './ec2-compromise/hooks';
import { FINDING_TRIAGE_HOOKS } from './finding-triage/hooks';
import { ROOT_ACTIVITY_HOOKS } from './root-activity/hooks';

/**
 * The playbooks the shared steps know, one line each: what each tells Decide, PlanDryRun and CloseOrphanedCase
 * ({@link PlaybookHooks}). A playbook's own steps live in its folder (`lib/runtime/playbook/<playbook>/steps.ts`);
 * the type makes this table complete for every playbook of the catalog (`PLAYBOOKS`, lib/core/catalog/catalog.ts).
 * Only the shared steps import it, so a playbook's own Lambda bundles carry no other playbook's code.
 */
export const PLAYBOOK_HOOKS: Readonly<Record<Playbook, PlaybookHooks>> = {
  'ec2-compromise': EC2_COMPROMISE_HOOKS,
  'credential-compromise': CREDENTIAL_COMPROMISE_HOOKS,
  'cloudtrail-tamper': CLOUDTRAIL_TAMPER_HOOKS,
  'root-activity': ROOT_ACTIVITY_HOOKS,
  'finding-triage': FINDING_TRIAGE_HOOKS,
};

/**
 * The hooks of a playbook.
 * @param playbook - the playbook's name (an incident's, or a case record's `playbook`).
 * @returns its entry; `{}` (the common behaviour of every shared step) for a name outside the table.
 */
export function hooksOf(playbook: Playbook | string): PlaybookHooks {
  return Object.hasOwn(PLAYBOOK_HOOKS, playbook) ? PLAYBOOK_HOOKS[playbook as Playbook] : {};
}
