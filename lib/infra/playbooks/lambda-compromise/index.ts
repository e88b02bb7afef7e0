/**
 * The `lambda-compromise` playbook's infra: its own steps (docs/ARCHITECTURE.md, "The lambda-compromise playbook") and
 * its construct, registered in lib/infra/playbooks/registry.ts.
 */

import { NO_STEP_ACCESS as none, StepTable } from '../../step-access';
import type { PlaybookRegistration } from '../registration';
import { LambdaCompromisePlaybook } from './playbook';

/** The steps only lambda-compromise runs, in table order. */
const STEPS = {
  // PlanDryRun and PlanShadow (read calls only, no ledger, as plan-containment): its own step, not plan-containment's registry.
  'plan-function': { ...none, actsInMember: true },
  // Member Lambda reads and PublishVersion; the code download; the artifacts and the manifest into the evidence bucket; the ledger.
  'preserve-function': { ...none, actsInMember: true, ledger: true, evidenceBucket: true, timeoutSeconds: 120 },
  // PutFunctionConcurrency; ListFunctions (a shared role); IAM GetRole, GetRolePolicy, PutRolePolicy.
  'contain-function': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'verify-function-containment': { ...none, actsInMember: true, ledger: true },
} satisfies StepTable;

/** The `lambda-compromise` playbook: waits for approvals (the deployment's approval timeout). */
export const LAMBDA_COMPROMISE: PlaybookRegistration<keyof typeof STEPS, LambdaCompromisePlaybook> = {
  constructId: 'LambdaCompromise',
  steps: STEPS,
  create: (scope, id, { functions, stateMachineName, approvalTimeout }) =>
    new LambdaCompromisePlaybook(scope, id, { functions, stateMachineName, approvalTimeout }),
};
