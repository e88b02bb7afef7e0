/** Lambda `reseal-isolation`: the `ResealIsolation` state of the ec2-compromise playbook (failure path). Logic: lib/playbook/ec2-compromise.ts `resealIsolation`. */
import { stepHandler } from '../../lib/playbook/handler';
import { resealIsolation } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('reseal-isolation', PlaybookStateSchema, resealIsolation);
