import { S3Client } from '@aws-sdk/client-s3';
import { registerClient } from '../clients';

/** Registers the S3 client with the client factory ({@link registerClient}): import this module where S3 commands are sent. */
registerClient('s3', { service: 'S3', create: (config, instrument) => instrument(new S3Client(config)) });
