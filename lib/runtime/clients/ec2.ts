import { EC2Client } from '@aws-sdk/client-ec2';
import { registerClient } from '../clients';

/** Registers the EC2 client with the client factory ({@link registerClient}): import this module where EC2 commands are sent. */
registerClient('ec2', { service: 'EC2', create: (config, instrument) => instrument(new EC2Client(config)) });
