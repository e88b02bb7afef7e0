/** Lambda `claim-case`: the `Claim` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise.ts `claimCase`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { claimCase } from '../../lib/runtime/playbook/ec2-compromise';
import { PreClaimStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('claim-case', PreClaimStateSchema, claimCase);
