/** Lambda `preserve-bucket`: the `PreserveBucket` state of the s3-compromise playbook. Logic: lib/runtime/playbook/s3-compromise/preserve-bucket.ts `preserveBucket`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { preserveBucket } from '../../lib/runtime/playbook/s3-compromise/preserve-bucket';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('preserve-bucket', PlaybookStateSchema, preserveBucket);
