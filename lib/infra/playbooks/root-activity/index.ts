/**
 * The `root-activity` playbook's infra, registered in lib/infra/playbooks/registry.ts: notify-only, so it runs
 * shared steps only and has none of its own.
 */

import type { PlaybookRegistration } from '../registration';
import { RootActivityPlaybook } from './playbook';

/** The `root-activity` playbook: no steps of its own, never waits for an approval. */
export const ROOT_ACTIVITY: PlaybookRegistration<never, RootActivityPlaybook> = {
  constructId: 'RootActivity',
  steps: {},
  create: (scope, id, { functions, stateMachineName }) => new RootActivityPlaybook(scope, id, { functions, stateMachineName }),
};
