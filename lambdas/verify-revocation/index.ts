/** Lambda `verify-revocation`: the `VerifyRevocation` state of the credential-compromise playbook. Logic: lib/runtime/playbook/credential-compromise/verify-revocation.ts `verifyRevocation`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { verifyRevocation } from '../../lib/runtime/playbook/credential-compromise/verify-revocation';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('verify-revocation', PlaybookStateSchema, verifyRevocation);
