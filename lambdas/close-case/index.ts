/** Lambda `close-case`: the `CloseCase / CloseNotified` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise.ts `closeCase`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { closeCase } from '../../lib/runtime/playbook/ec2-compromise';
import { CloseInputSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('close-case', CloseInputSchema, closeCase);
