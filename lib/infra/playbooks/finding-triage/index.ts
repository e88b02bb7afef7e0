/**
 * The `finding-triage` playbook's infra, registered in lib/infra/playbooks/registry.ts: notify-only, so it runs
 * shared steps only and has none of its own.
 */

import type { PlaybookRegistration } from '../registration';
import { FindingTriagePlaybook } from './playbook';

/** The `finding-triage` playbook: no steps of its own, never waits for an approval. */
export const FINDING_TRIAGE: PlaybookRegistration<never, FindingTriagePlaybook> = {
  constructId: 'FindingTriage',
  steps: {},
  create: (scope, id, { functions, stateMachineName }) => new FindingTriagePlaybook(scope, id, { functions, stateMachineName }),
};
