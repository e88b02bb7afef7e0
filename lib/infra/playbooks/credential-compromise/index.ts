/**
 * The `credential-compromise` playbook's infra: its own steps (docs/ARCHITECTURE.md, "The credential-compromise
 * playbook") and its construct, registered in lib/infra/playbooks/registry.ts.
 */

import { NO_STEP_ACCESS as none, StepTable } from '../../step-access';
import type { PlaybookRegistration } from '../registration';
import { CredentialCompromisePlaybook } from './playbook';

/** The steps only credential-compromise runs, in table order. */
const STEPS = {
  'revoke-credentials': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'verify-revocation': { ...none, actsInMember: true, ledger: true },
  'chain-instance-containment': { ...none, ledger: true, startsEc2Playbook: true },
} satisfies StepTable;

/** The `credential-compromise` playbook: waits for approvals (the deployment's approval timeout). */
export const CREDENTIAL_COMPROMISE: PlaybookRegistration<keyof typeof STEPS, CredentialCompromisePlaybook> = {
  constructId: 'CredentialCompromise',
  steps: STEPS,
  create: (scope, id, { functions, stateMachineName, approvalTimeout }) =>
    new CredentialCompromisePlaybook(scope, id, { functions, stateMachineName, approvalTimeout }),
};
