/** Lambda `chain-sequence-containment`: the `ChainSequenceContainment` state of attack-sequence. Logic: lib/runtime/playbook/attack-sequence/chain-sequence-containment.ts. */
import { chainSequenceContainment } from '../../lib/runtime/playbook/attack-sequence/chain-sequence-containment';
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('chain-sequence-containment', PlaybookStateSchema, chainSequenceContainment);
