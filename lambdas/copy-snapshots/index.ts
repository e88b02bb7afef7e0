/** Lambda `copy-snapshots`: the `CopySnapshots` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `copySnapshots`. */
import { stepHandler } from '../../lib/playbook/handler';
import { copySnapshots } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('copy-snapshots', PlaybookStateSchema, copySnapshots);
