/** Lambda `guard-gameday`: the `GameDayGuard` state (before Claim). Logic: lib/runtime/playbook/shared/guard-gameday.ts `guardGameDay`. */
import { stepHandlerWithoutLedger } from '../../lib/runtime/playbook/handler-without-ledger';
import { guardGameDay } from '../../lib/runtime/playbook/shared/guard-gameday';
import { PreClaimStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandlerWithoutLedger('guard-gameday', PreClaimStateSchema, guardGameDay);
