/** Lambda `close-case`: the `CloseCase / CloseNotified` state, shared by the containment playbooks. Logic: lib/runtime/playbook/shared/close-case.ts `closeCase`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { closeCase } from '../../lib/runtime/playbook/shared/close-case';
import { CloseInputSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('close-case', CloseInputSchema, closeCase);
