/** Lambda `verify-isolation`: the `VerifyIsolation` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/verify-isolation.ts `verifyIsolation`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { verifyIsolation } from '../../lib/runtime/playbook/ec2-compromise/verify-isolation';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('verify-isolation', PlaybookStateSchema, verifyIsolation);
