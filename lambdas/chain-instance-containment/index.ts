/** Lambda `chain-instance-containment`: the `ChainInstanceContainment` state of credential-compromise. Logic: lib/playbook/chain.ts. */
import { chainInstanceContainment } from '../../lib/playbook/chain';
import { stepHandler } from '../../lib/playbook/handler';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('chain-instance-containment', PlaybookStateSchema, chainInstanceContainment);
