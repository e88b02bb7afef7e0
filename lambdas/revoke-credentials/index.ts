/** Lambda `revoke-credentials`: the `RevokeCredentials` state of the credential-compromise playbook. Logic: lib/runtime/playbook/credential-compromise/revoke-credentials.ts `revokeCredentials`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { revokeCredentials } from '../../lib/runtime/playbook/credential-compromise/revoke-credentials';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('revoke-credentials', PlaybookStateSchema, revokeCredentials);
