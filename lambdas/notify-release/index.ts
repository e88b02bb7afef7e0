/** Lambda `notify-release`: the `NotifyRelease` state of the release playbook. Logic: lib/runtime/playbook/release/notify-release.ts `notifyRelease`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { notifyRelease } from '../../lib/runtime/playbook/release/notify-release';
import { ReleaseStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('notify-release', ReleaseStateSchema, notifyRelease);
