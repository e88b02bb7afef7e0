/** Lambda `copy-snapshots`: the `CopySnapshots` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/copy-snapshots.ts `copySnapshots`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { copySnapshots } from '../../lib/runtime/playbook/ec2-compromise/copy-snapshots';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('copy-snapshots', PlaybookStateSchema, copySnapshots);
