/** Lambda `revoke-actor`: the `RevokeActor` state of the cloudtrail-tamper playbook. Logic: lib/runtime/playbook/cloudtrail-tamper/revoke-actor.ts `revokeActor`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { revokeActor } from '../../lib/runtime/playbook/cloudtrail-tamper/revoke-actor';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('revoke-actor', PlaybookStateSchema, revokeActor);
