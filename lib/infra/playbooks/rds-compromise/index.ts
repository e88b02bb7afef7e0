/**
 * The `rds-compromise` playbook's infra: its own steps (docs/ARCHITECTURE.md, "The rds-compromise playbook") and its
 * construct, registered in lib/infra/playbooks/registry.ts.
 */

import { NO_STEP_ACCESS as none, StepTable } from '../../step-access';
import type { PlaybookRegistration } from '../registration';
import { RdsCompromisePlaybook } from './playbook';

/** The steps only rds-compromise runs, in table order. */
const STEPS = {
  // Member RDS snapshots, the transit key's DescribeKey; the security account's copy (RDS, the evidence key); the
  // artifacts (db-instance.json, snapshots.json) and the manifest into the evidence bucket; the ledger.
  'preserve-database': {
    ...none,
    actsInMember: true,
    ledger: true,
    evidenceBucket: true,
    copiesDbIntoSecurityAccount: true,
    timeoutSeconds: 120,
  },
  // Reads the stored finding (the remote address) from the evidence bucket; ModifyDBInstance in the member account.
  'contain-database': { ...none, actsInMember: true, ledger: true, readsReceivedEvents: true, timeoutSeconds: 60 },
  'verify-database-containment': { ...none, actsInMember: true, ledger: true },
} satisfies StepTable;

/** The `rds-compromise` playbook: waits for approvals (the deployment's approval timeout). */
export const RDS_COMPROMISE: PlaybookRegistration<keyof typeof STEPS, RdsCompromisePlaybook> = {
  constructId: 'RdsCompromise',
  steps: STEPS,
  create: (scope, id, { functions, stateMachineName, approvalTimeout }) =>
    new RdsCompromisePlaybook(scope, id, { functions, stateMachineName, approvalTimeout }),
};
