/** Lambda `isolate-instance`: the `Isolate` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `isolateInstance`. */
import { stepHandler } from '../../lib/playbook/handler';
import { isolateInstance } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('isolate-instance', PlaybookStateSchema, isolateInstance);
