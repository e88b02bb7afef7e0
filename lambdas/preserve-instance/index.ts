/** Lambda `preserve-instance`: the `Preserve` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/preserve-instance.ts `preserveInstance`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { preserveInstance } from '../../lib/runtime/playbook/ec2-compromise/preserve-instance';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('preserve-instance', PlaybookStateSchema, preserveInstance);
