/** Lambda `revoke-actor`: the `RevokeActor` state of the cloudtrail-tamper playbook. Logic: lib/playbook/cloudtrail-tamper.ts `revokeActor`. */
import { stepHandler } from '../../lib/playbook/handler';
import { revokeActor } from '../../lib/playbook/cloudtrail-tamper';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('revoke-actor', PlaybookStateSchema, revokeActor);
