/** Lambda `notify-release`: the `NotifyRelease` state of the release playbook. Logic: lib/playbook/release.ts `notifyRelease`. */
import { stepHandler } from '../../lib/playbook/handler';
import { notifyRelease } from '../../lib/playbook/release';
import { ReleaseStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('notify-release', ReleaseStateSchema, notifyRelease);
