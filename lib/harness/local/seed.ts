import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetObjectLockConfigurationCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { LEDGER_TABLE_NAME } from '../../core/names';
import { hasAwsCode } from '../../runtime/aws-errors';
import { LOCAL_MEMBER_ACCOUNT, LOCAL_REGION, LOCAL_REGIONS, LOCAL_SECURITY_ACCOUNT } from './accounts';
import { harnessClients, HarnessClients } from './harness-clients';

/** What {@link seedLocalAccounts} created: the stand-ins for the stacks' resources. */
export interface LocalEnvironment {
  readonly endpoint: string;
  /** The home region: the security account's resources, and the member account's unless a finding names another. */
  readonly region: string;
  /** Every region of the local world, home first ({@link LOCAL_REGIONS}): each has the member stack's transit key. */
  readonly regions: readonly string[];
  readonly memberAccount: string;
  readonly securityAccount: string;
  readonly member: HarnessClients;
  readonly security: HarnessClients;
  readonly ledgerTable: string;
  readonly evidenceBucket: string;
  readonly evidenceKeyArn: string;
  readonly transitKeyArn: string;
  readonly transitKeyAlias: string;
  readonly topicArn: string;
  /** SQS queue subscribed to the topic, so checks can read the notifications sent. */
  readonly notificationQueueUrl: string;
  readonly responderRoleName: string;
  /** The stand-in of the member stack's releaser role (the release steps assume it). */
  readonly releaserRoleName: string;
  /** Access key of the security account's responder identity (what the Lambdas' role would have). */
  readonly responderCredentials: { accessKeyId: string; secretAccessKey: string };
  /** Access key of a security-account IAM user that stands for a security engineer using the CLI. */
  readonly operatorCredentials: { accessKeyId: string; secretAccessKey: string };
}

/** Options of {@link seedLocalAccounts}. */
export interface SeedOptions {
  readonly memberAccount?: string;
  readonly securityAccount?: string;
  /** Object Lock default retention of the evidence bucket, in days. @default 1 */
  readonly retentionDays?: number;
}

const LEDGER_TABLE = LEDGER_TABLE_NAME;
const TOPIC = 'firebreak-notifications';
const TRANSIT_ALIAS = 'alias/firebreak-evidence-transit';
const EVIDENCE_ALIAS = 'alias/firebreak-evidence';
const RESPONDER_ROLE = 'FirebreakResponder';
const RELEASER_ROLE = 'FirebreakReleaser';

/**
 * Creates a case ledger table (partition key `pk`, sort key `sk`, both strings, on demand: the shape
 * lib/infra/case-ledger.ts deploys) in the emulator; an existing table of that name is left as it is.
 * @param security - harness clients of the security account.
 * @param tableName - the table's name.
 */
export async function createLedgerTable(security: HarnessClients, tableName: string): Promise<void> {
  await ignore(
    ['ResourceInUseException'],
    security.ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }) as never,
    ),
  );
}

async function ignore(codes: string[], p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!hasAwsCode(err, ...codes)) throw err;
  }
}

async function ensureKey(c: HarnessClients, alias: string, description: string): Promise<string> {
  try {
    const k = await c.kms.send(new DescribeKeyCommand({ KeyId: alias }));
    return k.KeyMetadata!.Arn!;
  } catch (err) {
    if (!hasAwsCode(err, 'NotFoundException')) throw err;
  }
  const k = await c.kms.send(new CreateKeyCommand({ Description: description, KeyUsage: 'ENCRYPT_DECRYPT' }));
  await c.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: k.KeyMetadata!.KeyId }));
  return k.KeyMetadata!.Arn!;
}

/**
 * Seeds the emulator with what the two stacks would create (idempotent, so it can run against an
 * emulator that already holds a previous run's state):
 * - security account: evidence CMK, Object Lock evidence bucket (versioned, SSE-KMS, public
 *   access blocked, default GOVERNANCE retention), DynamoDB ledger (`pk`/`sk`), SNS topic with an
 *   SQS subscription, and an IAM user whose key stands in for the Lambdas' execution role;
 * - member account: the FirebreakResponder and FirebreakReleaser roles trusting the security account,
 *   and the transit CMK with its alias (also in the security account, where a sandbox game day acts).
 * @param endpoint - emulator URL.
 * @returns the names and ARNs the runtime configuration needs.
 */
export async function seedLocalAccounts(endpoint: string, options: SeedOptions = {}): Promise<LocalEnvironment> {
  const memberAccount = options.memberAccount ?? LOCAL_MEMBER_ACCOUNT;
  const securityAccount = options.securityAccount ?? LOCAL_SECURITY_ACCOUNT;
  const member = harnessClients(endpoint, memberAccount);
  const security = harnessClients(endpoint, securityAccount);
  const evidenceBucket = `firebreak-evidence-${securityAccount}-${LOCAL_REGION}`;
  const [evidenceKeyArn, transitKeyArn] = await Promise.all([
    ensureKey(security, EVIDENCE_ALIAS, 'Firebreak evidence (security account)'),
    ensureKey(member, TRANSIT_ALIAS, 'Firebreak evidence transit (member account)'),
    // The member stack deployed in the security account too (single-account mode; sandbox game days act there): its
    // transit key. CopySnapshots resolves the alias with KMS DescribeKey, which fails for an alias that does not exist.
    ensureKey(security, TRANSIT_ALIAS, 'Firebreak evidence transit (member stack in the security account)'),
    // The other regions' member stacks (FirebreakMember-<region>) create a transit key of their own there.
    ...LOCAL_REGIONS.filter((r) => r !== LOCAL_REGION).map((r) =>
      ensureKey(harnessClients(endpoint, memberAccount, r), TRANSIT_ALIAS, `Firebreak evidence transit (member account, ${r})`),
    ),
  ]);
  await seedEvidenceBucket(security, evidenceBucket, evidenceKeyArn, options.retentionDays ?? 1);
  await createLedgerTable(security, LEDGER_TABLE);
  const topic = await security.sns.send(new CreateTopicCommand({ Name: TOPIC }));
  const queue = await security.sqs.send(new CreateQueueCommand({ QueueName: `${TOPIC}-inbox` }));
  const queueArn = (await security.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  await security.sns.send(
    new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }),
  );
  await standInRole(member, RESPONDER_ROLE, securityAccount, ['ec2:*', 'autoscaling:*', 'elasticloadbalancing:*', 'kms:*']);
  // The releaser: a separate role, as in MemberAccountStack. The emulator does not enforce IAM, so its
  // policy only stands in; iam-simulate tests hold the real policies (test/infra/separation-of-duties.test.ts).
  await standInRole(member, RELEASER_ROLE, securityAccount, ['ec2:*', 'autoscaling:*', 'elasticloadbalancing:*', 'iam:*']);
  const user = 'firebreak-local-responder';
  await ignore(['EntityAlreadyExists'], security.iam.send(new CreateUserCommand({ UserName: user })));
  await security.iam.send(
    new PutUserPolicyCommand({
      UserName: user,
      PolicyName: 'local-stand-in',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'ec2:*', 's3:*', 'dynamodb:*', 'sns:*', 'kms:*'], Resource: '*' }],
      }),
    }),
  );
  const key = await freshKey(security, user);
  await ignore(['EntityAlreadyExists'], security.iam.send(new CreateUserCommand({ UserName: LOCAL_OPERATOR_USER })));
  const operatorKey = await freshKey(security, LOCAL_OPERATOR_USER);
  return {
    endpoint,
    region: LOCAL_REGION,
    regions: LOCAL_REGIONS,
    memberAccount,
    securityAccount,
    member,
    security,
    ledgerTable: LEDGER_TABLE,
    evidenceBucket,
    evidenceKeyArn,
    transitKeyArn,
    transitKeyAlias: TRANSIT_ALIAS,
    topicArn: topic.TopicArn!,
    notificationQueueUrl: queue.QueueUrl!,
    responderRoleName: RESPONDER_ROLE,
    releaserRoleName: RELEASER_ROLE,
    responderCredentials: key,
    operatorCredentials: operatorKey,
  };
}

/** The evidence bucket: Object Lock (default GOVERNANCE retention, days), versioned, SSE-KMS under the evidence key, public access blocked. */
async function seedEvidenceBucket(security: HarnessClients, bucket: string, evidenceKeyArn: string, retentionDays: number): Promise<void> {
  await ignore(
    ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'],
    security.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true })),
  );
  await security.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  // Object Lock configuration can only be set on an empty bucket (the emulator, like S3, refuses once
  // it holds evidence): against an emulator that already holds a previous run's state, leave it.
  const lock = await security.s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })).catch(() => undefined);
  if (!lock?.ObjectLockConfiguration?.Rule?.DefaultRetention)
    await security.s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: retentionDays } } },
      }),
    );
  await security.s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [
          { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: evidenceKeyArn }, BucketKeyEnabled: true },
        ],
      },
    }),
  );
  await security.s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
}

/** A member-account role the security account may assume, with a stand-in policy (the emulator does not enforce IAM). */
async function standInRole(member: HarnessClients, roleName: string, securityAccount: string, actions: string[]): Promise<void> {
  await ignore(
    ['EntityAlreadyExists'],
    member.iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${securityAccount}:root` }, Action: 'sts:AssumeRole' }],
        }),
      }),
    ),
  );
  await member.iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'local-stand-in',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }),
    }),
  );
}

/** The IAM user (security account) that stands for the engineer using the CLI locally. */
export const LOCAL_OPERATOR_USER = 'firebreak-local-operator';

/** Replaces a user's access keys with one new key. */
async function freshKey(c: HarnessClients, userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const keys = await c.iam.send(new ListAccessKeysCommand({ UserName: userName }));
  for (const k of keys.AccessKeyMetadata ?? [])
    await c.iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: k.AccessKeyId }));
  const key = (await c.iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
  return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
}
