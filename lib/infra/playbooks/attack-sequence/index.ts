/**
 * The `attack-sequence` playbook's infra: its own step (docs/ARCHITECTURE.md, "The attack-sequence playbook") and its
 * construct, registered in lib/infra/playbooks/registry.ts.
 */

import { NO_STEP_ACCESS as none, StepTable } from '../../step-access';
import type { PlaybookRegistration } from '../registration';
import { AttackSequencePlaybook } from './playbook';

/** The steps only attack-sequence runs. ChainSequenceContainment starts the chained playbooks; it acts in no member account. */
const STEPS = {
  'chain-sequence-containment': { ...none, ledger: true, startsEc2Playbook: true, startsCredentialPlaybook: true },
} satisfies StepTable;

/** The `attack-sequence` playbook: waits for approvals when the deployment's catalog says so (its approval timeout). */
export const ATTACK_SEQUENCE: PlaybookRegistration<keyof typeof STEPS, AttackSequencePlaybook> = {
  constructId: 'AttackSequence',
  steps: STEPS,
  create: (scope, id, { functions, stateMachineName, approvalTimeout }) =>
    new AttackSequencePlaybook(scope, id, { functions, stateMachineName, approvalTimeout }),
};
