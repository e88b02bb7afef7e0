/** Lambda `contain-function`: the `ContainFunction` state of the lambda-compromise playbook. Logic: lib/runtime/playbook/lambda-compromise/contain-function.ts `containFunction`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { containFunction } from '../../lib/runtime/playbook/lambda-compromise/contain-function';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('contain-function', PlaybookStateSchema, containFunction);
