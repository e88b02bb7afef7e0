/** Lambda `guard-gameday`: the `GameDayGuard` state (before Claim). Logic: lib/runtime/playbook/gameday-guard.ts `guardGameDay`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { guardGameDay } from '../../lib/runtime/playbook/gameday-guard';
import { PreClaimStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('guard-gameday', PreClaimStateSchema, guardGameDay);
