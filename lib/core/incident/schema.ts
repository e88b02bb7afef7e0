import * as z from 'zod/mini';
import '../contracts/zod-locale';

/**
 * Schemas of the events Firebreak accepts, following the documented formats:
 * - "Amazon EventBridge event structure" (EventBridge User Guide) for the envelope;
 * - "GuardDuty finding format" (GuardDuty User Guide) for `detail`.
 * Each declares what Firebreak reads (Normalize, and the local harness's twins); the fields it does not declare
 * are stripped (zod's default), not refused: GuardDuty and CloudTrail add fields over time. Nothing is lost by
 * stripping: Normalize stores the event as it came (the execution's input, never the parsed object) in the
 * evidence bucket, and builds the incident from the declared fields only.
 */

const NetworkInterfaceSchema = z.object({
  networkInterfaceId: z.string().check(z.minLength(1)),
  subnetId: z.optional(z.string().check(z.minLength(1))),
  vpcId: z.optional(z.string().check(z.minLength(1))),
  privateIpAddress: z.optional(z.string()),
  ipv6Addresses: z._default(z.array(z.string()), []),
  publicIp: z.optional(z.string()),
  securityGroups: z._default(z.array(z.object({ groupId: z.string(), groupName: z.optional(z.string()) })), []),
});

export const InstanceDetailsSchema = z.object({
  instanceId: z.string().check(z.minLength(1)),
  instanceType: z.optional(z.string()),
  availabilityZone: z.optional(z.string()),
  iamInstanceProfile: z.nullish(z.object({ arn: z.optional(z.string()), id: z.optional(z.string()) })),
  networkInterfaces: z._default(z.array(NetworkInterfaceSchema), []),
  tags: z.nullish(z.array(z.object({ key: z.string(), value: z.string() }))),
  instanceState: z.optional(z.string()),
  imageId: z.optional(z.string()),
});

/** `resource.accessKeyDetails` of IAM findings. */
export const AccessKeyDetailsSchema = z.object({
  accessKeyId: z.string().check(z.minLength(1)),
  principalId: z.optional(z.string()),
  userName: z.optional(z.string()),
  userType: z.string().check(z.minLength(1)),
});

export const GuardDutyFindingDetailSchema = z.object({
  schemaVersion: z.optional(z.string()),
  accountId: z.string().check(z.regex(/^\d{12}$/, 'detail.accountId must be a 12-digit account ID')),
  region: z.string().check(z.minLength(1)),
  partition: z._default(z.string(), 'aws'),
  id: z.string().check(z.minLength(1)),
  arn: z.optional(z.string()),
  type: z.string().check(z.minLength(1)),
  resource: z.object({
    resourceType: z.string().check(z.minLength(1)),
    instanceDetails: z.optional(InstanceDetailsSchema),
    accessKeyDetails: z.optional(AccessKeyDetailsSchema),
    /**
     * The details that name the resource of a finding-triage case ("Finding details", GuardDuty User Guide), one
     * key per resource type, each an object or a list of them whose shape GuardDuty gives per type: read
     * field by field, each checked where read (`resourceIdentity`, lib/core/incident/normalize.ts).
     */
    s3BucketDetails: z.optional(z.unknown()),
    eksClusterDetails: z.optional(z.unknown()),
    kubernetesDetails: z.optional(z.unknown()),
    ecsClusterDetails: z.optional(z.unknown()),
    containerDetails: z.optional(z.unknown()),
    rdsDbInstanceDetails: z.optional(z.unknown()),
    rdsLimitlessDbDetails: z.optional(z.unknown()),
    /** The database user of an RDS Protection finding (`dbUserOf`, lib/core/incident/normalize-core.ts). */
    rdsDbUserDetails: z.optional(z.unknown()),
    lambdaDetails: z.optional(z.unknown()),
    ebsSnapshotDetails: z.optional(z.unknown()),
    ec2ImageDetails: z.optional(z.unknown()),
    recoveryPointDetails: z.optional(z.unknown()),
  }),
  service: z.object({
    resourceRole: z.optional(z.string()),
    count: z.optional(z.number().check(z.int()).check(z.nonnegative())),
    eventFirstSeen: z.optional(z.string()),
    eventLastSeen: z.optional(z.string()),
    archived: z.optional(z.boolean()),
    /** The detector that produced the finding (the incident's `finding.detectorId`); anything but a string is dropped. */
    detectorId: z.catch(z.optional(z.string()), undefined),
    additionalInfo: z.nullish(z.object({ value: z.optional(z.string()), type: z.optional(z.string()), sample: z.optional(z.boolean()) })),
    /** The action the finding saw, as GuardDuty gives it; read field by field where needed (s3-compromise: the caller's account). */
    action: z.optional(z.unknown()),
    /** Attack sequences: `detection.sequence` ("Finding details", GuardDuty User Guide), parsed where read (lib/core/incident/sequence.ts). */
    detection: z.catch(z.nullish(z.object({ sequence: z.optional(z.unknown()) })), undefined),
  }),
  severity: z.number().check(z.gte(0)).check(z.lte(10)),
  title: z.optional(z.string()),
  updatedAt: z.optional(z.string()),
});

export const GuardDutyEventSchema = z
  .object({
    version: z.optional(z.string()),
    id: z.string().check(z.minLength(1)),
    'detail-type': z.literal('GuardDuty Finding'),
    /** `aws.guardduty`, or `firebreak.gameday` for a game-day event (which must carry `detail.firebreakGameDay`). */
    source: z.enum(['aws.guardduty', 'firebreak.gameday']),
    account: z.string().check(z.regex(/^\d{12}$/)),
    time: z.string().check(z.minLength(1)),
    region: z.string().check(z.minLength(1)),
    resources: z._default(z.array(z.string()), []),
    detail: z.intersection(
      GuardDutyFindingDetailSchema,
      z.object({
        /** Game-day events only: the game day that injected it; the target must carry the same `firebreak:gameday` tag. */
        firebreakGameDay: z.optional(z.object({ runId: z.string().check(z.regex(/^[\w-]{1,64}$/, 'must be a game-day run ID')) })),
      }),
    ),
  })
  .check(
    z.refine((e) => (e.source === 'firebreak.gameday') === (e.detail.firebreakGameDay !== undefined), {
      message: 'a firebreak.gameday event carries detail.firebreakGameDay.runId, and only such an event does',
      path: ['detail', 'firebreakGameDay'],
    }),
  );

/** A GuardDuty finding event as EventBridge delivers it. */
export type GuardDutyEvent = z.infer<typeof GuardDutyEventSchema>;

const AccountSchema = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit account ID'));
const RegionSchema = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region such as us-east-1'));

/**
 * A resource named by hand (`firebreak run --instance | --access-key --user | --role`), or by a
 * playbook that chains into another, instead of a finding event.
 */
export const ManualTargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('instance'),
    instanceId: z.string().check(z.regex(/^i-[0-9a-f]{8,17}$/, 'must be an instance ID (i-...)')),
    account: AccountSchema,
    region: RegionSchema,
  }),
  z.strictObject({
    kind: z.literal('access-key'),
    accessKeyId: z.string().check(z.regex(/^(AKIA|ASIA)[A-Z0-9]{12,124}$/, 'must be an access key ID (AKIA... or ASIA...)')),
    userName: z.string().check(z.regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM user name')),
    account: AccountSchema,
    region: RegionSchema,
  }),
  z.strictObject({
    kind: z.literal('role'),
    roleName: z.string().check(z.regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name')),
    account: AccountSchema,
    region: RegionSchema,
  }),
]);
/** A manual target. */
export type ManualTarget = z.infer<typeof ManualTargetSchema>;

/** Options a manual, chained or game-day start wraps around the event (or puts instead of it). */
export const StartOptionsSchema = z.strictObject({
  dryRun: z._default(z.boolean(), false),
  trigger: z._default(z.enum(['auto', 'manual', 'gameday']), 'manual'),
  reason: z.optional(z.string().check(z.maxLength(1024))),
  operator: z.optional(z.string().check(z.maxLength(2048))),
  /** The resource to act on, when there is no finding event. */
  target: z.optional(ManualTargetSchema),
  /** The case that started this one (a playbook chaining into another). */
  chainedFrom: z.optional(z.string().check(z.maxLength(128))),
});

/**
 * `{ firebreak: StartOptions, event }`: how the CLI starts a playbook on an event by hand, or
 * `{ firebreak: { target, ... } }` on a resource it names.
 */
export const StartEnvelopeSchema = z.strictObject({ firebreak: StartOptionsSchema, event: z.optional(z.unknown()) }).check(
  z.refine((e) => (e.event === undefined) !== (e.firebreak.target === undefined), {
    message: 'a start envelope carries either an event or firebreak.target, not both and not neither',
  }),
);

/** CloudTrail's `userIdentity` ("CloudTrail userIdentity element", CloudTrail User Guide). */
export const UserIdentitySchema = z.object({
  type: z.string().check(z.minLength(1)),
  principalId: z.optional(z.string()),
  arn: z.optional(z.string()),
  accountId: z.optional(z.string()),
  accessKeyId: z.optional(z.string()),
  userName: z.optional(z.string()),
  sessionContext: z.optional(
    z.object({
      sessionIssuer: z.optional(z.object({ type: z.optional(z.string()), userName: z.optional(z.string()), arn: z.optional(z.string()) })),
    }),
  ),
});

/** An AWS API call or console sign-in delivered by EventBridge via CloudTrail. */
export const ApiCallEventSchema = z.object({
  id: z.string().check(z.minLength(1)),
  'detail-type': z.enum(['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail']),
  source: z.string().check(z.startsWith('aws.')),
  account: z.string().check(z.regex(/^\d{12}$/)),
  time: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  detail: z.object({
    eventID: z.string().check(z.minLength(1)),
    eventName: z.string().check(z.minLength(1)),
    eventSource: z.string().check(z.minLength(1)),
    awsRegion: z.string().check(z.minLength(1)),
    recipientAccountId: z.optional(z.string().check(z.regex(/^\d{12}$/))),
    userIdentity: UserIdentitySchema,
    requestParameters: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
    errorCode: z.optional(z.string()),
    /** When the call was made (CloudTrail's `eventTime`, ISO-8601 UTC to the second). */
    eventTime: z.optional(z.string()),
  }),
});
/** A validated API-call event. */
export type ApiCallEvent = z.infer<typeof ApiCallEventSchema>;
