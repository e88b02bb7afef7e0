import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { registerClient } from '../clients';

/** Registers the AutoScaling client with the client factory ({@link registerClient}): import this module where AutoScaling commands are sent. */
registerClient('autoScaling', { service: 'AutoScaling', create: (config, instrument) => instrument(new AutoScalingClient(config)) });
