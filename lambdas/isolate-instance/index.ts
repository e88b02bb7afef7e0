/** Lambda `isolate-instance`: the `Isolate` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/isolate-instance.ts `isolateInstance`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { isolateInstance } from '../../lib/runtime/playbook/ec2-compromise/isolate-instance';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('isolate-instance', PlaybookStateSchema, isolateInstance);
