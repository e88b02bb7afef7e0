/** Lambda `check-snapshots`: the `CheckSnapshots / CheckMemberCopies / CheckSecurityCopies` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `checkSnapshots`. */
import { stepHandler } from '../../lib/playbook/handler';
import { checkSnapshots } from '../../lib/playbook/ec2-compromise';
import { CheckSnapshotsInputSchema } from '../../lib/playbook/state';

export const handler = stepHandler('check-snapshots', CheckSnapshotsInputSchema, checkSnapshots);
