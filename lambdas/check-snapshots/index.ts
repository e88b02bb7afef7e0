/** Lambda `check-snapshots`: the `CheckSnapshots / CheckMemberCopies / CheckSecurityCopies` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/check-snapshots.ts `checkSnapshots`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { checkSnapshots } from '../../lib/runtime/playbook/ec2-compromise/check-snapshots';
import { CheckSnapshotsInputSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('check-snapshots', CheckSnapshotsInputSchema, checkSnapshots);
