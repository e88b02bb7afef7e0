/** Lambda `share-snapshots`: the `ShareAndCopySnapshots` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/share-snapshots.ts `shareSnapshots`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { shareSnapshots } from '../../lib/runtime/playbook/ec2-compromise/share-snapshots';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('share-snapshots', PlaybookStateSchema, shareSnapshots);
