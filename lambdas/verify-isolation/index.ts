/** Lambda `verify-isolation`: the `VerifyIsolation` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `verifyIsolation`. */
import { stepHandler } from '../../lib/playbook/handler';
import { verifyIsolation } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('verify-isolation', PlaybookStateSchema, verifyIsolation);
