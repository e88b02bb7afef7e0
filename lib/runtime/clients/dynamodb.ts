import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { registerClient } from '../clients';

/**
 * Registers the DynamoDB document client (the ledger's) with the client factory ({@link registerClient}): attributes
 * whose value is `undefined` are left out. Import this module where DynamoDB commands are sent.
 */
registerClient('ddb', {
  service: 'DynamoDB',
  create: (config, instrument) =>
    DynamoDBDocumentClient.from(instrument(new DynamoDBClient(config)), { marshallOptions: { removeUndefinedValues: true } }),
});
