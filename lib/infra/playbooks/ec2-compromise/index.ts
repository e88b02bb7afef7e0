/**
 * The `ec2-compromise` playbook's infra: its own steps (docs/ARCHITECTURE.md, "Lambda steps of ec2-compromise") and
 * its construct, registered in lib/infra/playbooks/registry.ts.
 */

import { NO_STEP_ACCESS as none, StepTable } from '../../step-access';
import type { PlaybookRegistration } from '../registration';
import { Ec2CompromisePlaybook } from './playbook';

/** The steps only ec2-compromise runs, in table order. */
const STEPS = {
  // Claims the case and stores the received event itself when it follows Triage (issue 13), and tells a person of a
  // finding that attaches to an open case, as Claim does.
  'contain-instance': { ...none, actsInMember: true, ledger: true, storesReceivedEvents: true, notifications: true, timeoutSeconds: 120 },
  // The instance role's deny scoped to the instance (issue 15): IAM only, after Contain (outside isolation's critical path).
  'deny-instance-credentials': { ...none, actsInMember: true, ledger: true },
  // Steps that describe the instance get room for the NotFound grace (at most 60 s, lib/core/config.ts).
  'reseal-isolation': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 120 },
  'snapshot-volumes': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 120 },
  'check-snapshots': { ...none, actsInMember: true, ledger: true, describeSecuritySnapshots: true },
  'copy-snapshots': { ...none, actsInMember: true, ledger: true },
  'share-snapshots': {
    ...none,
    actsInMember: true,
    ledger: true,
    describeSecuritySnapshots: true,
    copyIntoSecurityAccount: true,
    locksSecuritySnapshots: true,
  },
  'collect-artifacts': { ...none, actsInMember: true, ledger: true, evidenceBucket: true, timeoutSeconds: 180 },
  'write-manifest': { ...none, ledger: true, evidenceBucket: true },
} satisfies StepTable;

/** The `ec2-compromise` playbook: waits for approvals (the deployment's approval timeout). */
export const EC2_COMPROMISE: PlaybookRegistration<keyof typeof STEPS, Ec2CompromisePlaybook> = {
  constructId: 'Ec2Compromise',
  steps: STEPS,
  create: (scope, id, { functions, stateMachineName, approvalTimeout }) =>
    new Ec2CompromisePlaybook(scope, id, { functions, stateMachineName, approvalTimeout }),
};
