import type { Playbook } from '../../core/catalog/catalog';
import { entryOf, OrphanedHook } from './hooks';

/**
 * A hook loaded on its first call (`import()`): CloseOrphanedCase requires ec2-compromise's reseal, and the EC2 client
 * package, only for a case of that playbook, not at every cold start. esbuild keeps the module in the one CommonJS
 * bundle (docs/ARCHITECTURE.md, "Lean Lambda bundles").
 */
const onFirstCall =
  <M>(load: () => Promise<M>, hook: (m: M) => OrphanedHook): OrphanedHook =>
  async (record, incident, deps) =>
    hook(await load())(record, incident, deps);

/**
 * What each playbook undoes for a case whose execution ended without its failure path, one line each
 * ({@link OrphanedHook}); `undefined` when there is nothing to undo. The type makes the table complete for every
 * playbook of the catalog (`PLAYBOOKS`, lib/core/catalog/catalog.ts). Only CloseOrphanedCase imports it.
 */
export const ORPHANED_HOOKS: Readonly<Record<Playbook, OrphanedHook | undefined>> = {
  'ec2-compromise': onFirstCall(
    () => import('./ec2-compromise/orphaned'),
    (m) => m.resealOrphan,
  ),
  'credential-compromise': undefined,
  'cloudtrail-tamper': undefined,
  'root-activity': undefined,
  'finding-triage': undefined,
  's3-compromise': undefined,
  'rds-compromise': undefined,
  'attack-sequence': undefined,
  'lambda-compromise': undefined,
  'ecs-task-compromise': undefined,
};

/**
 * CloseOrphanedCase's hook of a playbook.
 * @param playbook - the case record's playbook.
 * @returns its hook, or `undefined` (nothing to undo) for a playbook without one or a name outside the table.
 */
export function orphanedHookOf(playbook: Playbook | string): OrphanedHook | undefined {
  return entryOf(ORPHANED_HOOKS, playbook);
}
