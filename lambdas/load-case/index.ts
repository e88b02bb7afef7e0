/** Lambda `load-case`: the `LoadCase` state of the release playbook. Logic: lib/playbook/release.ts `loadCase`. */
import { stepHandler } from '../../lib/playbook/handler';
import { loadCase } from '../../lib/playbook/release';
import { LoadCaseInputSchema } from '../../lib/playbook/state';

export const handler = stepHandler('load-case', LoadCaseInputSchema, loadCase);
