import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { registerClient } from '../clients';

/** Registers the CloudTrail client with the client factory ({@link registerClient}): import this module where CloudTrail commands are sent. */
registerClient('cloudtrail', { service: 'CloudTrail', create: (config, instrument) => instrument(new CloudTrailClient(config)) });
