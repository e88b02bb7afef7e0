/** Lambda `decide-response`: the `Decide` state. Logic: lib/runtime/playbook/shared/decide-response.ts `decideResponse`. */
import { stepHandlerWithoutLedger } from '../../lib/runtime/playbook/handler-without-ledger';
import { decideResponse } from '../../lib/runtime/playbook/shared/decide-response';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandlerWithoutLedger('decide-response', PlaybookStateSchema, (state, deps) => decideResponse(state, deps));
