/** Lambda `preserve-function`: the `PreserveFunction` state of the lambda-compromise playbook. Logic: lib/runtime/playbook/lambda-compromise/preserve-function.ts `preserveFunction`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { preserveFunction } from '../../lib/runtime/playbook/lambda-compromise/preserve-function';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('preserve-function', PlaybookStateSchema, preserveFunction);
