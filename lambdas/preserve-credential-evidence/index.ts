/** Lambda `preserve-credential-evidence`: the `PreserveCredentialEvidence` state of the credential-compromise and cloudtrail-tamper playbooks. Logic: lib/runtime/playbook/shared/preserve-credential-evidence.ts `preserveCredentialEvidence`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { preserveCredentialEvidence } from '../../lib/runtime/playbook/shared/preserve-credential-evidence';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('preserve-credential-evidence', PlaybookStateSchema, preserveCredentialEvidence);
