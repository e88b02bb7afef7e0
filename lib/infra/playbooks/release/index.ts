/**
 * The `release` playbook's infra: its own steps (docs/ARCHITECTURE.md, "The release playbook": started by hand, acts
 * in member accounts through the releaser role only) and its construct, registered in lib/infra/playbooks/registry.ts.
 */

import { NO_STEP_ACCESS as none, StepTable } from '../../step-access';
import type { PlaybookRegistration } from '../registration';
import { ReleasePlaybook } from './playbook';

/** The steps only release runs, in table order; it shares record-failure. No step both contains and releases. */
const STEPS = {
  'load-case': { ...none, ledger: true },
  'release-instance': { ...none, releasesInMember: true, ledger: true, timeoutSeconds: 120 },
  'release-credentials': { ...none, releasesInMember: true, ledger: true, timeoutSeconds: 60 },
  'release-bucket': { ...none, releasesInMember: true, ledger: true, timeoutSeconds: 60 },
  'release-function': { ...none, releasesInMember: true, ledger: true, timeoutSeconds: 60 },
  'release-database': { ...none, releasesInMember: true, ledger: true, timeoutSeconds: 60 },
  'verify-release': { ...none, releasesInMember: true, ledger: true },
  'close-release': { ...none, ledger: true },
  // And RESOLVED on the case's GuardDuty findings in Security Hub (config `securityHubWorkflow`, issue 16).
  'notify-release': { ...none, ledger: true, notifications: true, updatesSecurityHubFindings: true, emitsCaseEvents: true },
} satisfies StepTable;

/** The `release` playbook: no rule starts it (an operator does), never waits for an approval. */
export const RELEASE: PlaybookRegistration<keyof typeof STEPS, ReleasePlaybook> = {
  constructId: 'Release',
  steps: STEPS,
  create: (scope, id, { functions, stateMachineName }) => new ReleasePlaybook(scope, id, { functions, stateMachineName }),
};
