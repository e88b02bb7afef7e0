/** Lambda `verify-function-containment`: the `VerifyFunctionContainment` state of the lambda-compromise playbook. Logic: lib/runtime/playbook/lambda-compromise/verify-function-containment.ts `verifyFunctionContainment`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { verifyFunctionContainment } from '../../lib/runtime/playbook/lambda-compromise/verify-function-containment';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('verify-function-containment', PlaybookStateSchema, verifyFunctionContainment);
