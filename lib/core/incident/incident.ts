import * as z from 'zod/mini';
import '../contracts/zod-locale';
import { PlaybookSchema } from '../catalog/catalog';
import type { SequenceSummary } from './sequence-summary';
import { ContainerWorkloadSchema } from './container-workload';

/** The finding fields every playbook step can rely on. */
export const FindingSummarySchema = z.object({
  /** GuardDuty finding ID, or the CloudTrail event ID. */
  id: z.string(),
  /** GuardDuty finding type, or `<eventSource>:<eventName>` for an API call. */
  type: z.string(),
  /** GuardDuty severity; API calls have none. */
  severity: z.optional(z.number()),
  count: z.optional(z.number().check(z.int())),
  resourceRole: z.optional(z.string()),
  eventLastSeen: z.optional(z.string()),
  title: z.optional(z.string()),
  /** GuardDuty `detail.resource.resourceType`. */
  resourceType: z.optional(z.string()),
  /** GuardDuty `detail.service.detectorId` (of the account that generated the finding), for `aws guardduty get-findings`. */
  detectorId: z.optional(z.string()),
});

/**
 * An EC2 instance (ec2-compromise). `id` is the instance ID; `networkInterfaceIds` the ENIs the finding names
 * (`instanceDetails.networkInterfaces[].networkInterfaceId`, at most 128), read at Normalize so that no later step
 * needs the event itself; absent for a start on a named instance.
 */
export const InstanceResourceSchema = z.object({
  type: z.literal('Instance'),
  id: z.string().check(z.minLength(1)),
  networkInterfaceIds: z.optional(z.array(z.string().check(z.regex(/^eni-[0-9a-f]{1,64}$/))).check(z.maxLength(128))),
  /** The pod or task the finding is about, when the instance is the node it runs on (catalog `container-node-*`). */
  workload: z.optional(ContainerWorkloadSchema),
});

/**
 * Credentials (credential-compromise), from GuardDuty's `accessKeyDetails`. `id` is what the case
 * is about, and so what Claim keys on: the access key for an IAM user, `role/<name>/finding/<findingId>` for an assumed
 * role (revocation acts on the whole role), `root` for the root user.
 */
export const CredentialResourceSchema = z.object({
  type: z.literal('AccessKey'),
  id: z.string().check(z.minLength(1)),
  /** The leaked key; absent for a role named by hand (`firebreak run --role`). */
  accessKeyId: z.optional(z.string().check(z.minLength(1))),
  /** `IAMUser`, `AssumedRole`, `Root`, `FederatedUser`, ... (GuardDuty `accessKeyDetails.userType`). */
  userType: z.string().check(z.minLength(1)),
  /** The IAM user name, or the role name for an assumed role. */
  userName: z.optional(z.string()),
  principalId: z.optional(z.string()),
  /** For an assumed role: the session name (for instance credentials, the instance ID). */
  sessionName: z.optional(z.string()),
  /** The instance whose credentials were exfiltrated (InstanceCredentialExfiltration findings). */
  instanceId: z.optional(z.string()),
});

/** The caller of an API call, from CloudTrail's `userIdentity`. */
export const ActorSchema = z.object({
  /** `IAMUser`, `AssumedRole`, `Root`, `FederatedUser`, `AWSService`, ... */
  type: z.string().check(z.minLength(1)),
  arn: z.optional(z.string()),
  accountId: z.optional(z.string()),
  principalId: z.optional(z.string()),
  accessKeyId: z.optional(z.string()),
  /** IAM user name (IAMUser). */
  userName: z.optional(z.string()),
  /** The role behind an assumed-role session (`sessionContext.sessionIssuer.userName`). */
  roleName: z.optional(z.string()),
  /** The ARN of the role behind an assumed-role session (`sessionContext.sessionIssuer.arn`): account, path and name. */
  issuerArn: z.optional(z.string()),
});
export type Actor = z.infer<typeof ActorSchema>;

/**
 * An API call recorded by CloudTrail (cloudtrail-tamper, root-activity). `id` is `event/<eventID>`:
 * every CloudTrail event is its own case, so a replay of the same event is already handled.
 */
export const ApiCallResourceSchema = z.object({
  type: z.literal('ApiCall'),
  id: z.string().check(z.minLength(1)),
  eventId: z.string().check(z.minLength(1)),
  eventName: z.string().check(z.minLength(1)),
  eventSource: z.string().check(z.minLength(1)),
  /** What the call acted on: the trail (name or ARN) or the GuardDuty detector ID. */
  target: z.optional(z.string()),
  actor: ActorSchema,
  requestParameters: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  errorCode: z.optional(z.string()),
  /** When the call was made: CloudTrail's `eventTime` (the incident's `eventTime` is the EventBridge envelope's). */
  callTime: z.optional(z.string()),
});

/**
 * A resource GuardDuty names that no containment playbook acts on (finding-triage): an S3 bucket or
 * object, an EKS or ECS cluster, a container, an RDS database, a Lambda function, a malware scan's
 * snapshot, image or recovery point, an attack sequence. `id` is `<resourceType>/<name>/finding/<findingId>`:
 * one case per finding (repeats of it are already handled; a new finding on the same resource is a new
 * case that a person sees).
 */
export const FindingResourceSchema = z.object({
  type: z.literal('GuardDutyResource'),
  id: z.string().check(z.minLength(1)),
  /** GuardDuty `detail.resource.resourceType`. */
  resourceType: z.string().check(z.minLength(1)),
  /** The resource's name or identifier (bucket, cluster, function, DB instance, ...), control characters removed; absent when GuardDuty gives none. */
  name: z.optional(z.string()),
  /** Its ARN, when GuardDuty gives one. */
  arn: z.optional(z.string()),
  /** The pod or task, for a finding on `EKSCluster` or `ECSCluster`. */
  workload: z.optional(ContainerWorkloadSchema),
  /**
   * The database user of an RDS Protection finding (`resource.rdsDbUserDetails`: `user`, `application`, `database`,
   * `ssl`, `authMethod`; "Finding details", GuardDuty User Guide), each as the finding gives it, control characters
   * removed, at most 128 characters: what the person on call rotates or revokes (runbooks/findings/rds.md).
   */
  dbUser: z.optional(
    z.object({
      user: z.optional(z.string()),
      application: z.optional(z.string()),
      database: z.optional(z.string()),
      ssl: z.optional(z.string()),
      authMethod: z.optional(z.string()),
    }),
  ),
});

/**
 * An S3 bucket (s3-compromise), from an S3 Protection finding (`resource.s3BucketDetails[0]`, `resource.accessKeyDetails`:
 * "Finding details", GuardDuty User Guide). `id` is `bucket/<name>`: one case per bucket, so a later finding on the same
 * bucket attaches to its open case. The principal is what the finding says, as it says it: s3-compromise decides from it
 * whether it can name the principal exactly (lib/runtime/s3/principal.ts).
 */
export const S3BucketResourceSchema = z.object({
  type: z.literal('S3Bucket'),
  id: z.string().check(z.minLength(1)),
  /** The bucket's name (S3 bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens). */
  bucketName: z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)),
  /** The finding's public-exposure signal: a `Policy:S3/` type, or `publicAccess.effectivePermission` `PUBLIC`. */
  exposed: z.boolean(),
  /** `accessKeyDetails`: who made the calls, when the finding names someone. */
  principal: z.optional(
    z.object({
      userType: z.string().check(z.minLength(1)),
      userName: z.optional(z.string()),
      principalId: z.optional(z.string()),
      accessKeyId: z.optional(z.string()),
    }),
  ),
  /** `service.action.awsApiCallAction.remoteAccountDetails.accountId`: the caller's account when it is another one. */
  remoteAccountId: z.optional(z.string()),
  /** Other buckets the finding lists (`s3BucketDetails[1..]`), named in the case; only the first is contained. */
  otherBuckets: z.optional(z.array(z.string()).check(z.maxLength(32))),
});

/** An s3-compromise incident's bucket. */
export type S3BucketResource = z.infer<typeof S3BucketResourceSchema>;

/**
 * A Lambda function (lambda-compromise), from a Lambda Protection finding (`resource.lambdaDetails`: "Finding details",
 * GuardDuty User Guide; "Lambda Protection finding types"). `id` is `function/<name>`: one case per function. The role
 * is what the finding says; lambda-compromise acts on the role the function's configuration names when it runs.
 */
export const LambdaFunctionResourceSchema = z.object({
  type: z.literal('LambdaFunction'),
  id: z.string().check(z.minLength(1)),
  /** The function's name (CreateFunction, Lambda API Reference: 1-64 letters, digits, hyphens and underscores). */
  functionName: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  /** `lambdaDetails.functionArn`. */
  functionArn: z.optional(z.string()),
  /** `lambdaDetails.functionVersion` (e.g. `$LATEST`). */
  functionVersion: z.optional(z.string()),
  /** `lambdaDetails.revisionId`. */
  revisionId: z.optional(z.string()),
  /** `lambdaDetails.role`: the execution role's ARN as the finding saw it. */
  roleArn: z.optional(z.string()),
});

/** A lambda-compromise incident's function. */
export type LambdaFunctionResource = z.infer<typeof LambdaFunctionResourceSchema>;

/**
 * An ECS task (ecs-task-compromise), from a Runtime Monitoring finding on `ECSCluster`
 * (`resource.ecsClusterDetails.taskDetails`: "Finding details", GuardDuty User Guide,
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-summary.html). `id` is the task's ARN, so a later
 * finding on the same task attaches to its open case; `ECSCluster/<cluster>/finding/<findingId>` when the finding names
 * no task Firebreak can act on (`notActionable` says why; Decide makes it a notify-only case).
 */
export const EcsTaskResourceSchema = z.object({
  type: z.literal('EcsTask'),
  id: z.string().check(z.minLength(1)),
  /** The task ARN, only when it is an ECS task's in the finding's own partition, account, region and cluster. */
  taskArn: z.optional(z.string().check(z.minLength(1))),
  /** The cluster's name (from the task ARN, else `ecsClusterDetails.name`). */
  cluster: z.optional(z.string()),
  /** Why the finding's task cannot be acted on (no task ARN, or one outside the finding's account or region). */
  notActionable: z.optional(z.string()),
  /** The task as the finding names it (cluster, task and task definition ARNs), checked field by field. */
  workload: z.optional(ContainerWorkloadSchema),
  /** `resource.instanceDetails.instanceId`: the container instance (ECS on EC2) AWS names; named on the case only. */
  nodeInstanceId: z.optional(z.string().check(z.regex(/^i-[0-9a-f]{8,17}$/))),
});

/** An ecs-task-compromise incident's task. */
export type EcsTaskResource = z.infer<typeof EcsTaskResourceSchema>;

/** The assessment of a GuardDuty finding against the finding-type table (`FindingAssessment`). */
export const TriageSchema = z.object({
  family: z.string(),
  playbook: z.string(),
  containable: z.boolean(),
  victim: z.boolean(),
  why: z.string(),
  runbook: z.string(),
});

/** What an incident is about. */
export const ResourceSchema = z.discriminatedUnion('type', [
  InstanceResourceSchema,
  CredentialResourceSchema,
  ApiCallResourceSchema,
  FindingResourceSchema,
  S3BucketResourceSchema,
  LambdaFunctionResourceSchema,
  EcsTaskResourceSchema,
]);
export type IncidentResource = z.infer<typeof ResourceSchema>;

/**
 * An incident: the normalized form of an event that a playbook works on. Built by Normalize
 * (DESIGN.md §3) and passed to every later step.
 */
export const IncidentSchema = z.object({
  /** The playbook (state machine) name. */
  playbook: PlaybookSchema,
  /** The member account that owns the resource (`detail.accountId`, not the envelope's `account`). */
  account: z.string().check(z.regex(/^\d{12}$/)),
  region: z.string().check(z.minLength(1)),
  partition: z._default(z.string(), 'aws'),
  resource: ResourceSchema,
  finding: FindingSummarySchema,
  /** Who started the response. */
  trigger: z.enum(['auto', 'manual', 'gameday']),
  /** A dry run makes no mutating call and returns the plan. */
  dryRun: z.boolean(),
  /** The finding came from GuardDuty `CreateSampleFindings`. */
  sample: z.boolean(),
  /** The catalog entry that covers the finding, if any. */
  catalogEntryId: z.optional(z.string()),
  /** The catalog's response mode for the finding; `none` when no entry covers it. */
  mode: z.enum(['auto', 'approval', 'notify', 'shadow', 'none']),
  /** EventBridge event ID. */
  eventId: z.string(),
  /** ISO-8601 UTC time of the event. */
  eventTime: z.string(),
  reason: z.optional(z.string()),
  operator: z.optional(z.string()),
  /** For a game-day event: its run ID; the target must be tagged `firebreak:gameday=<runId>`. */
  gameDayRunId: z.optional(z.string()),
  /**
   * For a game-day event: the account that sent it (the event's top-level `account`); only the security
   * account's game-day events may act (lib/runtime/playbook/shared/guard-gameday.ts).
   */
  gameDaySender: z.optional(z.string().check(z.regex(/^\d{12}$/))),
  /** The case whose playbook started this one (e.g. credential-compromise chaining into ec2-compromise). */
  chainedFrom: z.optional(z.string()),
  /** GuardDuty findings: what the finding-type table makes of the finding (lib/core/catalog/triage.ts). */
  triage: z.optional(TriageSchema),
  /**
   * Attack sequences (attack-sequence): the sequence, its signals and what is done with each resource, as Normalize wrote
   * it (lib/core/incident/sequence.ts). Not checked here, so that the steps that do not read it do not carry its schema:
   * the chaining step parses it (`SequenceSummarySchema`) before it acts.
   */
  sequence: z.optional(z.custom<SequenceSummary>()),
});

/** A normalized incident. */
export type Incident = z.infer<typeof IncidentSchema>;
