import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { InvalidInput } from '../core/errors';
import { CaseLedger } from '../runtime/ledger/ledger';
import { DEFAULT_NAME_PREFIX, ledgerTableName, NAME_PREFIX_PATTERN, stateMachineName } from '../core/names';
import { LOCAL_STACK_PATH, LocalStackDescriptor } from './local-stack';
import { LOCAL_STACK_FILE } from './local-stack';
import { probeEndpoint } from './probe';

/**
 * What the operator commands (`run`, `status`, `cases`, `release`, `approve`, `deny`) work through:
 * a Firebreak deployment in AWS, or a local stack (emulator + local Step Functions) that stands in
 * for one behind the same APIs.
 */
export interface Connection {
  readonly kind: 'aws' | 'local';
  /** The security account (where the playbooks and the ledger are). */
  readonly securityAccount: string;
  readonly region: string;
  readonly partition: string;
  /** The member account a target is in when `--account` is not given. */
  readonly defaultAccount: string;
  readonly sfn: SFNClient;
  readonly sts: STSClient;
  readonly ledger: CaseLedger;
  /** Resources of a local stack's demo world, for the hints the CLI prints. */
  readonly world?: Record<string, unknown>;
  /** The deployment's name prefix (its state machines are `<prefix>-<playbook>`, its ledger `<prefix>-ledger`). @default 'firebreak' */
  readonly prefix?: string;
  /** The configuration the connection's clients use, for building more (EC2, IAM, EventBridge...). */
  readonly clientConfig: {
    readonly region: string;
    readonly endpoint?: string;
    readonly credentials: AwsCredentialIdentityProvider | { accessKeyId: string; secretAccessKey: string };
    readonly maxAttempts: number;
  };
}

/**
 * The ARN of a playbook's state machine (`<prefix>-<playbook>`, a name fixed by the deployment's prefix; see lib/infra).
 * @param playbook - e.g. `ec2-compromise`, `release`.
 */
export function stateMachineArn(c: Pick<Connection, 'partition' | 'region' | 'securityAccount' | 'prefix'>, playbook: string): string {
  return `arn:${c.partition}:states:${c.region}:${c.securityAccount}:stateMachine:${stateMachineName(playbook, c.prefix)}`;
}

/** The ARN of an execution of a playbook, from its name. */
export function executionArn(
  c: Pick<Connection, 'partition' | 'region' | 'securityAccount' | 'prefix'>,
  playbook: string,
  name: string,
): string {
  return `${stateMachineArn(c, playbook).replace(':stateMachine:', ':execution:')}:${name}`;
}

/** Options that choose the connection (common to the operator commands). */
export interface ConnectOptions {
  /** Use the local stack recorded by `firebreak local up` in {@link LOCAL_STACK_FILE}. */
  readonly local?: boolean;
  /** Use the local stack at this URL. */
  readonly endpoint?: string;
  /** AWS: a named profile of the shared config files. @default the SDK's default chain */
  readonly profile?: string;
  /** AWS: the region of the deployment. @default AWS_REGION, then us-east-1 */
  readonly region?: string;
  /** AWS: the deployment's name prefix (its `prefix` configuration). @default 'firebreak' */
  readonly prefix?: string;
}

/**
 * Connects to a deployment (AWS) or a local stack.
 * - local (`--local` / `--endpoint`): reads the stack's descriptor (`GET /firebreak/local-stack`);
 *   every client talks to the stack's one endpoint, as the seeded operator user;
 * - AWS: the profile's credentials; the security account is the caller's (STS GetCallerIdentity).
 * @throws {InvalidInput} when `--local` finds no local stack, or `--endpoint` is not a Firebreak
 *   local stack, or `--prefix` is not a valid name prefix (before any AWS call).
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const prefix = options.prefix ?? DEFAULT_NAME_PREFIX;
  if (!NAME_PREFIX_PATTERN.test(prefix))
    throw new InvalidInput(
      `--prefix: ${JSON.stringify(prefix)} is not a Firebreak name prefix (1-20 characters of lowercase letters, digits and hyphens, starting with a letter)`,
    );
  if (options.local || options.endpoint) return connectLocal(options.endpoint ?? localStackEndpoint());
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const credentials: AwsCredentialIdentityProvider = options.profile ? fromIni({ profile: options.profile }) : fromNodeProviderChain();
  const cfg = { region, credentials, retryMode: 'adaptive' as const, maxAttempts: 5 };
  const sts = new STSClient(cfg);
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  const partition = identity.Arn?.split(':')[1] ?? 'aws';
  return {
    kind: 'aws',
    securityAccount: identity.Account!,
    region,
    partition,
    defaultAccount: identity.Account!,
    sfn: new SFNClient(cfg),
    sts,
    clientConfig: cfg,
    prefix,
    ledger: new CaseLedger({
      ddb: DynamoDBDocumentClient.from(new DynamoDBClient(cfg), { marshallOptions: { removeUndefinedValues: true } }),
      tableName: ledgerTableName(prefix),
    }),
  };
}

/** The endpoint `firebreak local up` recorded. @throws {InvalidInput} when there is none. */
export function localStackEndpoint(cwd = process.cwd()): string {
  const file = path.join(cwd, LOCAL_STACK_FILE);
  if (!fs.existsSync(file))
    throw new InvalidInput(`--local: no local stack is running here (${LOCAL_STACK_FILE} is missing); start one with: firebreak local up`);
  const { endpoint } = JSON.parse(fs.readFileSync(file, 'utf8')) as { endpoint?: string };
  if (!endpoint) throw new InvalidInput(`--local: ${LOCAL_STACK_FILE} names no endpoint`);
  return endpoint;
}

/**
 * Connects to a local stack (lib/harness/local/sfn-service.ts in front of the emulator).
 * @throws {InvalidInput} when nothing answers at the URL, or it is not a Firebreak local stack.
 */
export async function connectLocal(endpoint: string): Promise<Connection> {
  const res = await probeEndpoint(endpoint, LOCAL_STACK_PATH, {
    what: 'local stack',
    example: 'http://127.0.0.1:4599',
    start: 'firebreak local up',
  });
  const url = new URL(endpoint);
  if (!res.ok) {
    await res.body?.cancel();
    throw new InvalidInput(
      `${endpoint} is not a Firebreak local stack (HTTP ${res.status} for ${LOCAL_STACK_PATH}); start one with: firebreak local up`,
    );
  }
  const d = (await res.json()) as LocalStackDescriptor;
  const cfg = { region: d.region, endpoint: url.origin, credentials: d.operatorCredentials, maxAttempts: 3 };
  return {
    kind: 'local',
    securityAccount: d.securityAccount,
    region: d.region,
    partition: 'aws',
    defaultAccount: d.memberAccount,
    sfn: new SFNClient(cfg),
    sts: new STSClient(cfg),
    clientConfig: cfg,
    ledger: new CaseLedger({
      ddb: DynamoDBDocumentClient.from(new DynamoDBClient(cfg), { marshallOptions: { removeUndefinedValues: true } }),
      tableName: d.ledgerTable,
    }),
    world: d.world,
  };
}
