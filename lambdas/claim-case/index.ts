/** Lambda `claim-case`: the `Claim` state, shared by the containment playbooks. Logic: lib/runtime/playbook/shared/claim-case.ts `claimCase`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { claimCase } from '../../lib/runtime/playbook/shared/claim-case';
import { PreClaimStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('claim-case', PreClaimStateSchema, claimCase);
