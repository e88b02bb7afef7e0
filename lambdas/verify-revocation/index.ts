/** Lambda `verify-revocation`: the `VerifyRevocation` state of the credential-compromise playbook. Logic: lib/playbook/credential-compromise.ts `verifyRevocation`. */
import { stepHandler } from '../../lib/playbook/handler';
import { verifyRevocation } from '../../lib/playbook/credential-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('verify-revocation', PlaybookStateSchema, verifyRevocation);
