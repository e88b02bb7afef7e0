import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './accounts';

/**
 * Clients the local harness uses to seed the emulator, build twin worlds and read state back.
 * They talk to the emulator directly as a given account (moto's `x-moto-account-id` header) and are
 * NOT instrumented: their calls never count in a playbook's report.
 */
export interface HarnessClients {
  readonly accountId: string;
  readonly ec2: EC2Client;
  readonly iam: IAMClient;
  readonly kms: KMSClient;
  readonly rds: RDSClient;
  readonly s3: S3Client;
  readonly ddb: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudtrail: CloudTrailClient;
  readonly lambda: LambdaClient;
  readonly ecs: ECSClient;
}

/**
 * Builds harness clients for one account of the emulator, in one region.
 * @param endpoint - emulator URL, e.g. `http://127.0.0.1:5123`.
 * @param accountId - 12-digit account to act as.
 * @param region - the region the clients act in. @default LOCAL_REGION (the local world's home region)
 */
export function harnessClients(endpoint: string, accountId: string, region: string = LOCAL_REGION): HarnessClients {
  const cfg = { region, endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };
  const withAccount = <C extends { middlewareStack: { add: (...a: never[]) => void } }>(c: C): C => {
    (c.middlewareStack.add as unknown as (mw: unknown, o: unknown) => void)(
      (next: (a: { request: { headers: Record<string, string> } }) => unknown) =>
        (args: { request: { headers: Record<string, string> } }) => {
          args.request.headers['x-moto-account-id'] = accountId;
          return next(args);
        },
      { step: 'finalizeRequest', name: 'motoAccount' },
    );
    return c;
  };
  return {
    accountId,
    ec2: withAccount(new EC2Client(cfg)),
    iam: withAccount(new IAMClient(cfg)),
    kms: withAccount(new KMSClient(cfg)),
    rds: withAccount(new RDSClient(cfg)),
    s3: withAccount(new S3Client({ ...cfg, forcePathStyle: true })),
    ddb: DynamoDBDocumentClient.from(withAccount(new DynamoDBClient(cfg)), { marshallOptions: { removeUndefinedValues: true } }),
    sns: withAccount(new SNSClient(cfg)),
    sqs: withAccount(new SQSClient(cfg)),
    events: withAccount(new EventBridgeClient(cfg)),
    autoScaling: withAccount(new AutoScalingClient(cfg)),
    elbv2: withAccount(new ElasticLoadBalancingV2Client(cfg)),
    cloudtrail: withAccount(new CloudTrailClient(cfg)),
    lambda: withAccount(new LambdaClient(cfg)),
    ecs: withAccount(new ECSClient(cfg)),
  };
}
