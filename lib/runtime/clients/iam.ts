import { IAMClient } from '@aws-sdk/client-iam';
import { registerClient } from '../clients';

/** Registers the IAM client with the client factory ({@link registerClient}): import this module where IAM commands are sent. */
registerClient('iam', { service: 'IAM', create: (config, instrument) => instrument(new IAMClient(config)) });
