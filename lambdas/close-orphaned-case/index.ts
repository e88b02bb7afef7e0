/**
 * Lambda `close-orphaned-case`: the target of the rule `firebreak-playbook-execution-ended` (a playbook
 * execution that FAILED, TIMED_OUT or was ABORTED). Logic: lib/runtime/playbook/shared/close-orphaned-case.ts `closeOrphanedCase`.
 */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { closeOrphanedCase, ExecutionStatusChangeEventSchema } from '../../lib/runtime/playbook/shared/close-orphaned-case';

export const handler = stepHandler('close-orphaned-case', ExecutionStatusChangeEventSchema, closeOrphanedCase);
