/** Lambda `notify`: the `Notify / NotifyOnly` state, shared by the containment playbooks. Logic: lib/runtime/playbook/shared/notify.ts `notify`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { notify } from '../../lib/runtime/playbook/shared/notify';
import { NotifyInputSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('notify', NotifyInputSchema, notify);
