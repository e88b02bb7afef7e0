/** Lambda `guard-gameday`: the `GameDayGuard` state (before Claim). Logic: lib/playbook/gameday-guard.ts `guardGameDay`. */
import { stepHandler } from '../../lib/playbook/handler';
import { guardGameDay } from '../../lib/playbook/gameday-guard';
import { PreClaimStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('guard-gameday', PreClaimStateSchema, guardGameDay);
