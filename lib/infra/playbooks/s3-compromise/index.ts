/**
 * The `s3-compromise` playbook's infra: its own steps (docs/ARCHITECTURE.md, "The s3-compromise playbook") and its
 * construct, registered in lib/infra/playbooks/registry.ts.
 */

import { NO_STEP_ACCESS as none, StepTable } from '../../step-access';
import type { PlaybookRegistration } from '../registration';
import { S3CompromisePlaybook } from './playbook';

/** The steps only s3-compromise runs, in table order. */
const STEPS = {
  // Member S3 reads and PutBucketVersioning; the artifacts and the manifest into the evidence bucket; the ledger.
  'preserve-bucket': { ...none, actsInMember: true, ledger: true, evidenceBucket: true, timeoutSeconds: 120 },
  'contain-bucket': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'verify-bucket-containment': { ...none, actsInMember: true, ledger: true },
} satisfies StepTable;

/** The `s3-compromise` playbook: waits for approvals (the deployment's approval timeout). */
export const S3_COMPROMISE: PlaybookRegistration<keyof typeof STEPS, S3CompromisePlaybook> = {
  constructId: 'S3Compromise',
  steps: STEPS,
  create: (scope, id, { functions, stateMachineName, approvalTimeout }) =>
    new S3CompromisePlaybook(scope, id, { functions, stateMachineName, approvalTimeout }),
};
