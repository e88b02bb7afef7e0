import { SNSClient } from '@aws-sdk/client-sns';
import { registerClient } from '../clients';

/** Registers the SNS client with the client factory ({@link registerClient}): import this module where SNS commands are sent. */
registerClient('sns', { service: 'SNS', create: (config, instrument) => instrument(new SNSClient(config)) });
