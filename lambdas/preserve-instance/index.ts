/** Lambda `preserve-instance`: the `Preserve` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `preserveInstance`. */
import { stepHandler } from '../../lib/playbook/handler';
import { preserveInstance } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('preserve-instance', PlaybookStateSchema, preserveInstance);
