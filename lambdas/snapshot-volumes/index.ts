/** Lambda `snapshot-volumes`: the `SnapshotVolumes` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise/snapshot-volumes.ts `snapshotVolumes`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { snapshotVolumes } from '../../lib/runtime/playbook/ec2-compromise/snapshot-volumes';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('snapshot-volumes', PlaybookStateSchema, snapshotVolumes);
