import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { registerClient } from '../clients';

/** Registers the Security Hub client with the client factory ({@link registerClient}): import this module where Security Hub commands are sent. */
registerClient('securityHub', { service: 'SecurityHub', create: (config, instrument) => instrument(new SecurityHubClient(config)) });
