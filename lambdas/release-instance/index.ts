/** Lambda `release-instance`: the `ReleaseInstance` state of the release playbook (releaser role). Logic: lib/runtime/playbook/release/release-instance.ts `releaseInstance`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { releaseInstance } from '../../lib/runtime/playbook/release/release-instance';
import { ReleaseStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('release-instance', ReleaseStateSchema, releaseInstance);
