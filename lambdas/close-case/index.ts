/** Lambda `close-case`: the `CloseCase / CloseNotified` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `closeCase`. */
import { stepHandler } from '../../lib/playbook/handler';
import { closeCase } from '../../lib/playbook/ec2-compromise';
import { CloseInputSchema } from '../../lib/playbook/state';

export const handler = stepHandler('close-case', CloseInputSchema, closeCase);
