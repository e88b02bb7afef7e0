/** Lambda `release-bucket`: the `ReleaseBucket` state of the release playbook (releaser role). Logic: lib/runtime/playbook/release/release-bucket.ts `releaseBucket`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { releaseBucket } from '../../lib/runtime/playbook/release/release-bucket';
import { ReleaseStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('release-bucket', ReleaseStateSchema, releaseBucket);
