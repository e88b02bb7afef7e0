import { SFNClient } from '@aws-sdk/client-sfn';
import { registerClient } from '../clients';

/** Registers the SFN client with the client factory ({@link registerClient}): import this module where SFN commands are sent. */
registerClient('sfn', { service: 'SFN', create: (config, instrument) => instrument(new SFNClient(config)) });
