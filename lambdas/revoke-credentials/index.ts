/** Lambda `revoke-credentials`: the `RevokeCredentials` state of the credential-compromise playbook. Logic: lib/playbook/credential-compromise.ts `revokeCredentials`. */
import { stepHandler } from '../../lib/playbook/handler';
import { revokeCredentials } from '../../lib/playbook/credential-compromise';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('revoke-credentials', PlaybookStateSchema, revokeCredentials);
