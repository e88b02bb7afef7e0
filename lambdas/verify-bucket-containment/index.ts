/** Lambda `verify-bucket-containment`: the `VerifyBucketContainment` state of the s3-compromise playbook. Logic: lib/runtime/playbook/s3-compromise/verify-bucket-containment.ts `verifyBucketContainment`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { verifyBucketContainment } from '../../lib/runtime/playbook/s3-compromise/verify-bucket-containment';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('verify-bucket-containment', PlaybookStateSchema, verifyBucketContainment);
