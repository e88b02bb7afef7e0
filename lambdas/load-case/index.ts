/** Lambda `load-case`: the `LoadCase` state of the release playbook. Logic: lib/runtime/playbook/release/load-case.ts `loadCase`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { loadCase } from '../../lib/runtime/playbook/release/load-case';
import { LoadCaseInputSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('load-case', LoadCaseInputSchema, loadCase);
