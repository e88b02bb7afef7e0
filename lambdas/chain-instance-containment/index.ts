/** Lambda `chain-instance-containment`: the `ChainInstanceContainment` state of credential-compromise. Logic: lib/runtime/playbook/chain.ts. */
import { chainInstanceContainment } from '../../lib/runtime/playbook/chain';
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('chain-instance-containment', PlaybookStateSchema, chainInstanceContainment);
