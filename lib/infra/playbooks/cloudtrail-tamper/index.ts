/**
 * The `cloudtrail-tamper` playbook's infra: its own steps (docs/ARCHITECTURE.md, "The cloudtrail-tamper playbook")
 * and its construct, registered in lib/infra/playbooks/registry.ts.
 */

import { NO_STEP_ACCESS as none, StepTable } from '../../step-access';
import type { PlaybookRegistration } from '../registration';
import { CloudTrailTamperPlaybook } from './playbook';

/** The steps only cloudtrail-tamper runs, in table order. */
const STEPS = {
  // Reads the trail in the member account (GetTrail, GetEventSelectors) and its baseline in the ledger (issue 14).
  'judge-trail-change': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'restore-logging': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'revoke-actor': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'verify-tamper-response': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
} satisfies StepTable;

/** The `cloudtrail-tamper` playbook: waits for approvals (the deployment's approval timeout). */
export const CLOUDTRAIL_TAMPER: PlaybookRegistration<keyof typeof STEPS, CloudTrailTamperPlaybook> = {
  constructId: 'CloudTrailTamper',
  steps: STEPS,
  create: (scope, id, { functions, stateMachineName, approvalTimeout }) =>
    new CloudTrailTamperPlaybook(scope, id, { functions, stateMachineName, approvalTimeout }),
};
