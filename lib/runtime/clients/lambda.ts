import { LambdaClient } from '@aws-sdk/client-lambda';
import { registerClient } from '../clients';

/** Registers the Lambda client with the client factory ({@link registerClient}): import this module where Lambda commands are sent. */
registerClient('lambda', { service: 'Lambda', create: (config, instrument) => instrument(new LambdaClient(config)) });
