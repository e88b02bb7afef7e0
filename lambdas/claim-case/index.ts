/** Lambda `claim-case`: the `Claim` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `claimCase`. */
import { stepHandler } from '../../lib/playbook/handler';
import { claimCase } from '../../lib/playbook/ec2-compromise';
import { PreClaimStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('claim-case', PreClaimStateSchema, claimCase);
