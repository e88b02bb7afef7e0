import * as z from 'zod';

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
  networkInterfaceId: z.string().min(1),
  subnetId: z.string().min(1).optional(),
  vpcId: z.string().min(1).optional(),
  privateIpAddress: z.string().optional(),
  ipv6Addresses: z.array(z.string()).default([]),
  publicIp: z.string().optional(),
  securityGroups: z.array(z.object({ groupId: z.string(), groupName: z.string().optional() })).default([]),
});

export const InstanceDetailsSchema = z.object({
  instanceId: z.string().min(1),
  instanceType: z.string().optional(),
  availabilityZone: z.string().optional(),
  iamInstanceProfile: z.object({ arn: z.string().optional(), id: z.string().optional() }).nullish(),
  networkInterfaces: z.array(NetworkInterfaceSchema).default([]),
  tags: z.array(z.object({ key: z.string(), value: z.string() })).nullish(),
  instanceState: z.string().optional(),
  imageId: z.string().optional(),
});

/** `resource.accessKeyDetails` of IAM findings. */
export const AccessKeyDetailsSchema = z.object({
  accessKeyId: z.string().min(1),
  principalId: z.string().optional(),
  userName: z.string().optional(),
  userType: z.string().min(1),
});

export const GuardDutyFindingDetailSchema = z.object({
  schemaVersion: z.string().optional(),
  accountId: z.string().regex(/^\d{12}$/, 'detail.accountId must be a 12-digit account ID'),
  region: z.string().min(1),
  partition: z.string().default('aws'),
  id: z.string().min(1),
  arn: z.string().optional(),
  type: z.string().min(1),
  resource: z.object({
    resourceType: z.string().min(1),
    instanceDetails: InstanceDetailsSchema.optional(),
    accessKeyDetails: AccessKeyDetailsSchema.optional(),
    /**
     * The details that name the resource of a finding-triage case ("Finding details", GuardDuty User Guide), one
     * key per resource type, each an object or a list of them whose shape GuardDuty gives per type: read
     * field by field, each checked where read (`resourceIdentity`, lib/core/incident/normalize.ts).
     */
    s3BucketDetails: z.unknown().optional(),
    eksClusterDetails: z.unknown().optional(),
    ecsClusterDetails: z.unknown().optional(),
    containerDetails: z.unknown().optional(),
    rdsDbInstanceDetails: z.unknown().optional(),
    rdsLimitlessDbDetails: z.unknown().optional(),
    lambdaDetails: z.unknown().optional(),
    ebsSnapshotDetails: z.unknown().optional(),
    ec2ImageDetails: z.unknown().optional(),
    recoveryPointDetails: z.unknown().optional(),
  }),
  service: z.object({
    resourceRole: z.string().optional(),
    count: z.number().int().nonnegative().optional(),
    eventFirstSeen: z.string().optional(),
    eventLastSeen: z.string().optional(),
    archived: z.boolean().optional(),
    /** The detector that produced the finding (the incident's `finding.detectorId`); anything but a string is dropped. */
    detectorId: z.string().optional().catch(undefined),
    additionalInfo: z.object({ value: z.string().optional(), type: z.string().optional(), sample: z.boolean().optional() }).nullish(),
  }),
  severity: z.number().min(0).max(10),
  title: z.string().optional(),
  updatedAt: z.string().optional(),
});

export const GuardDutyEventSchema = z
  .object({
    version: z.string().optional(),
    id: z.string().min(1),
    'detail-type': z.literal('GuardDuty Finding'),
    /** `aws.guardduty`, or `firebreak.gameday` for a game-day event (which must carry `detail.firebreakGameDay`). */
    source: z.enum(['aws.guardduty', 'firebreak.gameday']),
    account: z.string().regex(/^\d{12}$/),
    time: z.string().min(1),
    region: z.string().min(1),
    resources: z.array(z.string()).default([]),
    detail: GuardDutyFindingDetailSchema.and(
      z.object({
        /** Game-day events only: the game day that injected it; the target must carry the same `firebreak:gameday` tag. */
        firebreakGameDay: z.object({ runId: z.string().regex(/^[\w-]{1,64}$/, 'must be a game-day run ID') }).optional(),
      }),
    ),
  })
  .refine((e) => (e.source === 'firebreak.gameday') === (e.detail.firebreakGameDay !== undefined), {
    message: 'a firebreak.gameday event carries detail.firebreakGameDay.runId, and only such an event does',
    path: ['detail', 'firebreakGameDay'],
  });

/** A GuardDuty finding event as EventBridge delivers it. */
export type GuardDutyEvent = z.infer<typeof GuardDutyEventSchema>;

const AccountSchema = z.string().regex(/^\d{12}$/, 'must be a 12-digit account ID');
const RegionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region such as us-east-1');

/**
 * A resource named by hand (`firebreak run --instance | --access-key --user | --role`), or by a
 * playbook that chains into another, instead of a finding event.
 */
export const ManualTargetSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('instance'),
      instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'must be an instance ID (i-...)'),
      account: AccountSchema,
      region: RegionSchema,
    })
    .strict(),
  z
    .object({
      kind: z.literal('access-key'),
      accessKeyId: z.string().regex(/^(AKIA|ASIA)[A-Z0-9]{12,124}$/, 'must be an access key ID (AKIA... or ASIA...)'),
      userName: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM user name'),
      account: AccountSchema,
      region: RegionSchema,
    })
    .strict(),
  z
    .object({
      kind: z.literal('role'),
      roleName: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name'),
      account: AccountSchema,
      region: RegionSchema,
    })
    .strict(),
]);
/** A manual target. */
export type ManualTarget = z.infer<typeof ManualTargetSchema>;

/** Options a manual, chained or game-day start wraps around the event (or puts instead of it). */
export const StartOptionsSchema = z
  .object({
    dryRun: z.boolean().default(false),
    trigger: z.enum(['auto', 'manual', 'gameday']).default('manual'),
    reason: z.string().max(1024).optional(),
    operator: z.string().max(2048).optional(),
    /** The resource to act on, when there is no finding event. */
    target: ManualTargetSchema.optional(),
    /** The case that started this one (a playbook chaining into another). */
    chainedFrom: z.string().max(128).optional(),
  })
  .strict();

/**
 * `{ firebreak: StartOptions, event }`: how the CLI starts a playbook on an event by hand, or
 * `{ firebreak: { target, ... } }` on a resource it names.
 */
export const StartEnvelopeSchema = z
  .object({ firebreak: StartOptionsSchema, event: z.unknown().optional() })
  .strict()
  .refine((e) => (e.event === undefined) !== (e.firebreak.target === undefined), {
    message: 'a start envelope carries either an event or firebreak.target, not both and not neither',
  });

/** CloudTrail's `userIdentity` ("CloudTrail userIdentity element", CloudTrail User Guide). */
export const UserIdentitySchema = z.object({
  type: z.string().min(1),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  accessKeyId: z.string().optional(),
  userName: z.string().optional(),
  sessionContext: z
    .object({
      sessionIssuer: z.object({ type: z.string().optional(), userName: z.string().optional(), arn: z.string().optional() }).optional(),
    })
    .optional(),
});

/** An AWS API call or console sign-in delivered by EventBridge via CloudTrail. */
export const ApiCallEventSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.enum(['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail']),
  source: z.string().startsWith('aws.'),
  account: z.string().regex(/^\d{12}$/),
  time: z.string().min(1),
  region: z.string().min(1),
  detail: z.object({
    eventID: z.string().min(1),
    eventName: z.string().min(1),
    eventSource: z.string().min(1),
    awsRegion: z.string().min(1),
    recipientAccountId: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    userIdentity: UserIdentitySchema,
    requestParameters: z.record(z.string(), z.unknown()).nullable().optional(),
    errorCode: z.string().optional(),
  }),
});
/** A validated API-call event. */
export type ApiCallEvent = z.infer<typeof ApiCallEventSchema>;
