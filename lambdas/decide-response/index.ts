/** Lambda `decide-response`: the `Decide` state. Logic: lib/playbook/ec2-compromise.ts `decideResponse`. */
import { stepHandler } from '../../lib/playbook/handler';
import { decideResponse } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('decide-response', PlaybookStateSchema, (state, deps) => decideResponse(state, deps));
