/** Lambda `snapshot-volumes`: the `SnapshotVolumes` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `snapshotVolumes`. */
import { stepHandler } from '../../lib/playbook/handler';
import { snapshotVolumes } from '../../lib/playbook/ec2-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('snapshot-volumes', PlaybookStateSchema, snapshotVolumes);
