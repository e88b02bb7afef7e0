/** Lambda `share-snapshots`: the `ShareAndCopySnapshots` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `shareSnapshots`. */
import { stepHandler } from '../../lib/playbook/handler';
import { shareSnapshots } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('share-snapshots', PlaybookStateSchema, shareSnapshots);
