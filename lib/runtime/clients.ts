import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { partition } from '@aws-sdk/core/client';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ConfigError } from '../core/errors';
import { emitApiCall, currentCallContext, isMutatingOperation } from './telemetry';
import { activeInterceptors } from './sdk-hooks';
import { mapAwsError } from './aws-errors';

/** Options of {@link ClientFactory}. */
export interface ClientFactoryOptions {
  /** Region of every client. */
  readonly region: string;
  /** The security account (where the responder runs). */
  readonly securityAccountId: string;
  /** Role assumed in member accounts. @default 'FirebreakResponder' */
  readonly responderRoleName?: string;
  /** Endpoint override (the local emulator). @default the AWS endpoint */
  readonly endpoint?: string;
  /** Step Functions endpoint, when it differs from `endpoint` (the local runner's). @default `endpoint` */
  readonly sfnEndpoint?: string;
  /** Credentials of the security account. @default the SDK's default chain */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** Session name used when assuming the responder role. @default 'firebreak-responder' */
  readonly roleSessionName?: string;
  /** SDK attempts per call (adaptive retry mode). @default 5 */
  readonly maxAttempts?: number;
}

/** Options of {@link ClientFactory.member}. */
export interface MemberClientOptions {
  /**
   * The role to assume in the member account, e.g. the releaser role for the release steps
   * (separation of duties: release never acts through the responder role).
   * @default the factory's `responderRoleName`
   */
  readonly roleName?: string;
  /**
   * Limits the session to these actions (e.g. `ec2:DescribeInstances`) with an inline session policy passed to
   * AssumeRole (`Policy`): the session's permissions are the intersection of the role's identity policy and the
   * session policy ("Session policies", IAM User Guide, Policies and permissions; STS API Reference, AssumeRole).
   * For a step that only reads through a role that can also write (the game-day guard and the responder role).
   * @default the role's own permissions
   */
  readonly sessionActions?: readonly string[];
}

/** The inline session policy that allows exactly `actions` on every resource (the role's policy still applies). */
export function sessionPolicyFor(actions: readonly string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [...actions].sort(), Resource: '*' }] });
}

/**
 * The ARN of a role in a member account, in the partition of `region` (`aws`, `aws-cn`, `aws-us-gov`, ...), as the SDK's
 * own endpoint rules map regions to partitions (`partition` of `@aws-sdk/core`; "Identify AWS resources with Amazon
 * Resource Names (ARNs)", IAM User Guide: `arn:partition:service:region:account-id:resource`). An unknown region
 * falls in `aws`, as the SDK resolves it.
 * @param accountId - 12-digit account ID.
 * @param roleName - the role's name (no path).
 * @param region - the region the clients act in (the finding's region).
 * @returns `arn:<partition>:iam::<accountId>:role/<roleName>`.
 */
export function memberRoleArn(accountId: string, roleName: string, region: string): string {
  return `arn:${partition(region).name}:iam::${accountId}:role/${roleName}`;
}

/** Clients that act in a member account (through the responder role, or the role given). */
export interface MemberClients {
  readonly accountId: string;
  /** The role the clients act through (assumed in every account, the security account included). */
  readonly roleName?: string;
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  /** IAM (a global service; requests go to its global endpoint, or to the emulator). */
  readonly iam: IAMClient;
  readonly cloudtrail: CloudTrailClient;
  /** KMS (DescribeKey of the transit key: the key ARN a transit copy must carry). */
  readonly kms: KMSClient;
  /** S3 (s3-compromise: the bucket's policy, ACL, public access block, versioning and object versions). */
  readonly s3: S3Client;
  /** Lambda (lambda-compromise: the function's configuration, code, versions and reserved concurrency). */
  readonly lambda: LambdaClient;
  /** ECS (ecs-task-compromise: the task, its definition and service, StopTask). */
  readonly ecs: ECSClient;
  /** RDS (rds-compromise: the DB instance, its evidence snapshots, its public accessibility). */
  readonly rds: RDSClient;
}

/** Clients that act in the security account. */
export interface SecurityClients {
  readonly accountId: string;
  readonly ec2: EC2Client;
  readonly s3: S3Client;
  /** RDS (rds-compromise: the security account's copy of a DB snapshot). */
  readonly rds: RDSClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  /** Step Functions (starting a chained playbook). */
  readonly sfn: SFNClient;
  /** SQS (the finding buffer's starter delays the messages it gives back). */
  readonly sqs: SQSClient;
  /** Security Hub (config `securityHubWorkflow`: the workflow status of a case's GuardDuty findings, issue 16). */
  readonly securityHub: SecurityHubClient;
  /** EventBridge (the `Firebreak Case` events on Firebreak's bus, issue 16). */
  readonly events: EventBridgeClient;
}

type AnyClient = { middlewareStack: { add: (...args: never[]) => void } };

/** The clients a factory can build, by their property on {@link MemberClients} / {@link SecurityClients}. */
export interface ServiceClients {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly iam: IAMClient;
  readonly cloudtrail: CloudTrailClient;
  readonly kms: KMSClient;
  readonly s3: S3Client;
  readonly lambda: LambdaClient;
  readonly ecs: ECSClient;
  readonly rds: RDSClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly sfn: SFNClient;
  readonly sqs: SQSClient;
  readonly securityHub: SecurityHubClient;
  readonly events: EventBridgeClient;
}

/** A service's property name on the client sets. */
export type ServiceKey = keyof ServiceClients;

/** The configuration every client gets from the factory (region, endpoint, credentials, adaptive retries). */
export interface ClientConfig {
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials?: AwsCredentialIdentityProvider;
  readonly retryMode: 'adaptive';
  readonly maxAttempts: number;
}

/**
 * How one service's client is built: registered by its module in lib/runtime/clients/ (e.g. `clients/ec2.ts`), the only
 * place that imports the service's SDK client class. `instrument` adds Firebreak's telemetry and interceptors
 * ({@link instrumentClient}) with the service name, account and role.
 */
export interface ClientMaker<K extends ServiceKey> {
  /** The service name in `Service.Operation` (e.g. `EC2`). */
  readonly service: string;
  create(config: ClientConfig, instrument: <C extends AnyClient>(client: C) => C): ServiceClients[K];
}

const makers = new Map<ServiceKey, ClientMaker<ServiceKey>>();

/**
 * What the credentials of a member-account session are built from: AssumeRole's parameters, the security account's
 * credentials, and the STS client's region and endpoint (the options of the SDK's `fromTemporaryCredentials`).
 */
export interface AssumeRoleOptions {
  readonly params: {
    readonly RoleArn: string;
    readonly RoleSessionName: string;
    readonly DurationSeconds: number;
    readonly Policy?: string;
  };
  readonly masterCredentials?: AwsCredentialIdentityProvider;
  readonly clientConfig: { readonly region: string; readonly endpoint?: string };
}

/** Builds a member-account session's credentials (STS AssumeRole, cached and refreshed by the provider). */
export type AssumeRoleCredentials = (options: AssumeRoleOptions) => AwsCredentialIdentityProvider;

let assumeRole: AssumeRoleCredentials | undefined;

/**
 * Registers how member-account credentials are built. lib/runtime/clients/assume-role.ts calls it when it is loaded (the
 * only importer of `@aws-sdk/credential-providers`); a module that calls {@link ClientFactory.member} imports that
 * module, so only the bundles of the steps that assume a role carry the credential providers and STS
 * (test/infra/lean-bundles.test.ts).
 * @param credentials - the SDK's `fromTemporaryCredentials`.
 */
export function registerAssumeRole(credentials: AssumeRoleCredentials): void {
  assumeRole = credentials;
}

/**
 * Registers how to build a service's client. Each module in lib/runtime/clients/ calls it once when it is loaded; a
 * module that sends a service's commands imports that service's module, so a Lambda bundle holds the client modules
 * of the services its step calls and no other (test/infra/lean-bundles.test.ts).
 * @param key - the service's property on the client sets.
 * @param maker - how to build it.
 */
export function registerClient<K extends ServiceKey>(key: K, maker: ClientMaker<K>): void {
  makers.set(key, maker as unknown as ClientMaker<ServiceKey>);
}

/**
 * Defines `key` on `target` as a getter that builds the client on first use and keeps it: a step constructs only the
 * clients it uses.
 * @throws {ConfigError} on first use when no module registered the service (its lib/runtime/clients/ module was not imported).
 */
function defineLazy<K extends ServiceKey>(target: object, key: K, build: (maker: ClientMaker<K>) => ServiceClients[K]): void {
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      const maker = makers.get(key) as ClientMaker<K> | undefined;
      if (!maker) throw new ConfigError(`No ${key} client: the module that calls it must import lib/runtime/clients/ for its service`);
      const client = build(maker);
      Object.defineProperty(target, key, { value: client, enumerable: true, configurable: false, writable: false });
      return client;
    },
  });
}

const MEMBER_SERVICES: readonly (keyof MemberClients & ServiceKey)[] = [
  'ec2',
  'autoScaling',
  'elbv2',
  'iam',
  'cloudtrail',
  'kms',
  's3',
  'lambda',
  'ecs',
  'rds',
];
const SECURITY_SERVICES: readonly (keyof SecurityClients & ServiceKey)[] = [
  'ec2',
  's3',
  'rds',
  'ddb',
  'sns',
  'sfn',
  'sqs',
  'securityHub',
  'events',
];

/**
 * Builds AWS SDK v3 clients for the security account and, by assuming the responder role (or, for
 * the release steps, the releaser role), for member accounts. Credentials are cached per account
 * and role by the SDK's temporary-credentials provider
 * (STS AssumeRole, refreshed before expiry). Every client uses the adaptive retry mode and reports
 * each logical call to the telemetry (lib/runtime/telemetry.ts) and through the registered SDK
 * interceptors (lib/runtime/sdk-hooks.ts). DESIGN.md §4.
 *
 * Each client is built on first use, by the maker its service's module registered ({@link registerClient});
 * using a service whose module no code imported throws {@link ConfigError}. Member-account credentials come from the
 * provider lib/runtime/clients/assume-role.ts registers ({@link registerAssumeRole}), so a step that acts in no member
 * account loads no credential provider and no STS client.
 *
 * The role is assumed in the security account too, when it is also the member (single-account mode).
 */
export class ClientFactory {
  private readonly members = new Map<string, MemberClients>();
  private securityClients?: SecurityClients;

  constructor(private readonly options: ClientFactoryOptions) {}

  /** Clients for the security account (cached; each built on first use). */
  security(): SecurityClients {
    if (!this.securityClients) {
      const accountId = this.options.securityAccountId;
      const cfg = this.baseConfig(this.options.credentials);
      const clients = { accountId } as SecurityClients;
      // S3 by path on an endpoint override (the emulator); Step Functions may have its own endpoint (the local runner's).
      const configOf = (key: ServiceKey): ClientConfig =>
        key === 's3'
          ? ({ ...cfg, forcePathStyle: this.options.endpoint !== undefined } as ClientConfig)
          : key === 'sfn'
            ? { ...cfg, endpoint: this.options.sfnEndpoint ?? this.options.endpoint }
            : cfg;
      for (const key of SECURITY_SERVICES) {
        defineLazy(clients, key, (maker) => maker.create(configOf(key), (c) => this.instrument(c, maker.service, accountId)));
      }
      this.securityClients = clients;
    }
    return this.securityClients;
  }

  /**
   * Clients acting in a member account through `arn:<partition>:iam::<accountId>:role/<roleName>` (the
   * responder role unless `options.roleName` names another). The role is assumed lazily, on the
   * first call, with STS AssumeRole; the session name is `firebreak-responder` for the responder
   * role (or the factory's `roleSessionName`) and `firebreak-<roleName>` for any other.
   * @param accountId - 12-digit member account ID.
   * @param region - the region of the resource (a finding's `detail.region`). @default the factory's region
   * @param options - see {@link MemberClientOptions}.
   * @returns clients cached per account, region and role (each built on first use).
   * @throws {ConfigError} when no module registered the member credentials (lib/runtime/clients/assume-role.ts was not imported).
   */
  member(accountId: string, region: string = this.options.region, options: MemberClientOptions = {}): MemberClients {
    const responderRoleName = this.options.responderRoleName ?? 'FirebreakResponder';
    const roleName = options.roleName ?? responderRoleName;
    const policy = options.sessionActions ? sessionPolicyFor(options.sessionActions) : undefined;
    const cacheKey = `${accountId}/${region}/${roleName}${policy ? `/${policy}` : ''}`;
    let clients = this.members.get(cacheKey);
    if (!clients) {
      if (!assumeRole) {
        throw new ConfigError('No member-account credentials: a module calling clients.member must import lib/runtime/clients/assume-role');
      }
      const sessionName =
        roleName === responderRoleName ? (this.options.roleSessionName ?? 'firebreak-responder') : `firebreak-${roleName}`.slice(0, 64);
      // The role is assumed in the security account too (single-account mode): the step functions' own
      // roles hold nothing but sts:AssumeRole on it, so containment and release keep their separate
      // permissions wherever they act.
      const credentials = assumeRole({
        params: {
          RoleArn: memberRoleArn(accountId, roleName, region),
          RoleSessionName: sessionName,
          DurationSeconds: 900,
          ...(policy ? { Policy: policy } : {}),
        },
        masterCredentials: this.options.credentials,
        clientConfig: { region: this.options.region, endpoint: this.options.endpoint },
      });
      const cfg = { ...this.baseConfig(credentials), region };
      const built = { accountId, roleName } as MemberClients;
      // S3 by path on an endpoint override (the emulator), as in the security account.
      const configOf = (key: ServiceKey): ClientConfig =>
        key === 's3' ? ({ ...cfg, forcePathStyle: this.options.endpoint !== undefined } as ClientConfig) : cfg;
      for (const key of MEMBER_SERVICES) {
        defineLazy(built, key, (maker) => maker.create(configOf(key), (c) => this.instrument(c, maker.service, accountId, roleName)));
      }
      clients = built;
      this.members.set(cacheKey, clients);
    }
    return clients;
  }

  private baseConfig(credentials?: AwsCredentialIdentityProvider): ClientConfig {
    return {
      region: this.options.region,
      endpoint: this.options.endpoint,
      credentials,
      retryMode: 'adaptive' as const,
      maxAttempts: this.options.maxAttempts ?? 5,
    };
  }

  private instrument<C extends AnyClient>(client: C, service: string, accountId: string, role?: string): C {
    instrumentClient(client, service, accountId, role);
    return client;
  }
}

/**
 * Adds Firebreak's telemetry and interceptor middleware to an SDK v3 client. Exported for the
 * local harness, which builds its own clients for seeding and verification.
 * @param client - any SDK v3 client.
 * @param service - service name used in `Service.Operation`.
 * @param accountId - the account the client acts in.
 * @param role - the role the client acts through in that account, when it assumed one.
 */
export function instrumentClient(client: AnyClient, service: string, accountId: string, role?: string): void {
  const middleware =
    (next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>, context: { commandName?: string }) =>
    async (args: { input: Record<string, unknown> }) => {
      const operation = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
      const call = { operation, input: args.input, accountId };
      const startedAt = Date.now();
      const ctx = currentCallContext();
      const eni = args.input.NetworkInterfaceId;
      const networkInterfaceId = typeof eni === 'string' ? eni : undefined;
      try {
        for (const i of activeInterceptors()) await i.before?.(call);
        const result = await next(args);
        for (const i of activeInterceptors()) {
          const replaced = await i.after?.(call, result.output);
          if (replaced) result.output = replaced;
        }
        emitApiCall({
          operation,
          mutating: isMutatingOperation(operation),
          startedAt,
          endedAt: Date.now(),
          context: ctx,
          account: accountId,
          role,
          networkInterfaceId,
          region: signedRegions.get(context),
        });
        return result;
      } catch (err) {
        const name = err instanceof Error ? err.name : 'Error';
        emitApiCall({
          operation,
          mutating: isMutatingOperation(operation),
          startedAt,
          endedAt: Date.now(),
          error: name,
          context: ctx,
          account: accountId,
          role,
          networkInterfaceId,
          region: signedRegions.get(context),
        });
        throw mapAwsError(err, operation);
      }
    };
  (client.middlewareStack.add as unknown as (mw: unknown, opts: unknown) => void)(middleware, {
    step: 'initialize',
    name: 'firebreakTelemetry',
    override: true,
  });
  // Per HTTP attempt: the `deserialize` step runs inside the SDK's retry middleware (step `finalizeRequest`),
  // so an interceptor's `attempt` hook that throws fails one attempt, unsent, and the SDK's retry strategy
  // handles the error as one AWS answered ("Middleware stack", AWS SDK for JavaScript v3 Developer Guide:
  // initialize → serialize → build → finalizeRequest → deserialize).
  const perAttempt =
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: { input: Record<string, unknown>; request?: { headers?: Record<string, string> } }) => {
      const signed = signedRegion(args.request?.headers?.authorization);
      if (signed) signedRegions.set(context, signed);
      const hooks = activeInterceptors().filter((i) => i.attempt);
      if (hooks.length) {
        const operation = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        const attempt = (attempts.get(args.input) ?? 0) + 1;
        attempts.set(args.input, attempt);
        for (const i of hooks) await i.attempt!({ operation, input: args.input, accountId }, attempt);
      }
      return next(args);
    };
  (client.middlewareStack.add as unknown as (mw: unknown, opts: unknown) => void)(perAttempt, {
    step: 'deserialize',
    name: 'firebreakAttemptHooks',
    priority: 'high',
    override: true,
  });
}

/** Attempts made so far per command input (one input object per logical call; the SDK's retries reuse it). */
const attempts = new WeakMap<object, number>();
/** The region each call was signed for, per call (the SDK's handler context, one per command sent; its last attempt's). */
const signedRegions = new WeakMap<object, string>();

/**
 * The region of a Signature Version 4 `Authorization` header's credential scope (`Credential=<key>/<date>/<region>/
 * <service>/aws4_request`: "Signature Version 4 signing elements", IAM User Guide): the region the request was
 * signed for, which is the region AWS acts in.
 */
function signedRegion(authorization: string | undefined): string | undefined {
  return authorization ? /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization)?.[1] : undefined;
}
