/** Lambda `plan-function`: the `PlanDryRun` and `PlanShadow` states of the lambda-compromise playbook. Logic: lib/runtime/playbook/lambda-compromise/plan-function.ts `planFunction`. */
import { stepHandlerWithoutLedger } from '../../lib/runtime/playbook/handler-without-ledger';
import { planFunction } from '../../lib/runtime/playbook/lambda-compromise/plan-function';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandlerWithoutLedger('plan-function', PlaybookStateSchema, planFunction);
