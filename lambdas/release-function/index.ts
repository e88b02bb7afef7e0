/** Lambda `release-function`: the `ReleaseFunction` state of the release playbook (releaser role). Logic: lib/runtime/playbook/release/release-function.ts `releaseFunction`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { releaseFunction } from '../../lib/runtime/playbook/release/release-function';
import { ReleaseStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('release-function', ReleaseStateSchema, releaseFunction);
