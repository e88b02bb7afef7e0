/** Lambda `notify`: the `Notify / NotifyOnly` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise.ts `notify`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { notify } from '../../lib/runtime/playbook/ec2-compromise';
import { NotifyInputSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('notify', NotifyInputSchema, notify);
