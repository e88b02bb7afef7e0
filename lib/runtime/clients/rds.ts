import { RDSClient } from '@aws-sdk/client-rds';
import { registerClient } from '../clients';

/** Registers the RDS client with the client factory ({@link registerClient}): import this module where RDS commands are sent. */
registerClient('rds', { service: 'RDS', create: (config, instrument) => instrument(new RDSClient(config)) });
