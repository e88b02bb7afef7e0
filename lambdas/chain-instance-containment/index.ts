/** Lambda `chain-instance-containment`: the `ChainInstanceContainment` state of credential-compromise. Logic: lib/runtime/playbook/credential-compromise/chain-instance-containment.ts. */
import { chainInstanceContainment } from '../../lib/runtime/playbook/credential-compromise/chain-instance-containment';
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('chain-instance-containment', PlaybookStateSchema, chainInstanceContainment);
