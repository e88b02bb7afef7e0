/** Lambda `notify`: the `Notify / NotifyOnly` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `notify`. */
import { stepHandler } from '../../lib/playbook/handler';
import { notify } from '../../lib/playbook/ec2-compromise';
import { NotifyInputSchema } from '../../lib/playbook/state';

export const handler = stepHandler('notify', NotifyInputSchema, notify);
