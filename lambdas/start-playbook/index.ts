/**
 * Lambda `start-playbook`: the finding buffer's starter, invoked by the buffer queue's event-source mapping (batch item
 * failures reported). Logic: lib/runtime/buffer/starter.ts `startBufferedFindings`.
 */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { SqsBatchSchema, startPlaybook } from '../../lib/runtime/playbook/shared/start-playbook';

export const handler = stepHandler('start-playbook', SqsBatchSchema, startPlaybook);
