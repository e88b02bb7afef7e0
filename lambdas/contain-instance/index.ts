/** Lambda `contain-instance`: the `Contain` and `ContainClaimed` states of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/contain-instance.ts `containInstance`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { containInstance } from '../../lib/runtime/playbook/ec2-compromise/contain-instance';
import { ContainInputSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('contain-instance', ContainInputSchema, containInstance);
