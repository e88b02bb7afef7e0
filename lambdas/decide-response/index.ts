/** Lambda `decide-response`: the `Decide` state. Logic: lib/runtime/playbook/shared/decide-response.ts `decideResponse`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { decideResponse } from '../../lib/runtime/playbook/shared/decide-response';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('decide-response', PlaybookStateSchema, (state, deps) => decideResponse(state, deps));
