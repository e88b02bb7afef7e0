/** Lambda `contain-bucket`: the `ContainBucket` state of the s3-compromise playbook. Logic: lib/runtime/playbook/s3-compromise/contain-bucket.ts `containBucket`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { containBucket } from '../../lib/runtime/playbook/s3-compromise/contain-bucket';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('contain-bucket', PlaybookStateSchema, containBucket);
