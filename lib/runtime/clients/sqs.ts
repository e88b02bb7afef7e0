import { SQSClient } from '@aws-sdk/client-sqs';
import { registerClient } from '../clients';

/** Registers the SQS client with the client factory ({@link registerClient}): import this module where SQS commands are sent (the finding buffer's starter). */
registerClient('sqs', { service: 'SQS', create: (config, instrument) => instrument(new SQSClient(config)) });
