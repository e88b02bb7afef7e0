/**
 * The `ecs-task-compromise` playbook's infra: its own steps (docs/ARCHITECTURE.md, "The ecs-task-compromise playbook")
 * and its construct, registered in lib/infra/playbooks/registry.ts.
 */

import { NO_STEP_ACCESS as none, StepTable } from '../../step-access';
import type { PlaybookRegistration } from '../registration';
import { EcsTaskCompromisePlaybook } from './playbook';

/** The steps only ecs-task-compromise runs, in table order. */
const STEPS = {
  // Member ECS and EC2 reads; the artifacts and the manifest into the evidence bucket; the ledger.
  'preserve-task': { ...none, actsInMember: true, ledger: true, evidenceBucket: true, timeoutSeconds: 120 },
  'stop-task': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'verify-task-stopped': { ...none, actsInMember: true, ledger: true },
} satisfies StepTable;

/** The `ecs-task-compromise` playbook: waits for approvals (the deployment's approval timeout). */
export const ECS_TASK_COMPROMISE: PlaybookRegistration<keyof typeof STEPS, EcsTaskCompromisePlaybook> = {
  constructId: 'EcsTaskCompromise',
  steps: STEPS,
  create: (scope, id, { functions, stateMachineName, approvalTimeout }) =>
    new EcsTaskCompromisePlaybook(scope, id, { functions, stateMachineName, approvalTimeout }),
};
