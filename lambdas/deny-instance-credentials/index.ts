/** Lambda `deny-instance-credentials`: the `DenyInstanceCredentials` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/deny-instance-credentials.ts `denyInstanceCredentials`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { denyInstanceCredentials } from '../../lib/runtime/playbook/ec2-compromise/deny-instance-credentials';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('deny-instance-credentials', PlaybookStateSchema, denyInstanceCredentials);
