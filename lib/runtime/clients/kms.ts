import { KMSClient } from '@aws-sdk/client-kms';
import { registerClient } from '../clients';

/** Registers the KMS client with the client factory ({@link registerClient}): import this module where KMS commands are sent. */
registerClient('kms', { service: 'KMS', create: (config, instrument) => instrument(new KMSClient(config)) });
