import * as z from 'zod/mini';
import './zod-locale';
import { PlannedActionSchema } from './step-results';

/**
 * What the containment steps of ec2-compromise, credential-compromise and cloudtrail-tamper put on the
 * state, each under its `ResultPath` (see {@link PlaybookStateSchema} in state.ts). Their return types
 * (lib/runtime/playbook/<playbook>/**, lib/runtime/ec2, lib/runtime/iam) are checked against these schemas
 * at compile time by test/infra/state-contract.test.ts: each is assignable to its schema's input and has
 * the same keys, so a handler that parses the state drops nothing a step returned.
 */

/**
 * A step's timeline entry carried in the state to the next step that writes the ledger (`TimelineEntry`,
 * lib/runtime/ledger/records.ts; runStep's `defer` and `carried`, issue 13).
 */
export const DeferredTimelineEntrySchema = z.object({
  at: z.string(),
  step: z.string(),
  status: z.enum(['SUCCEEDED', 'FAILED', 'INFO']),
  executionName: z.optional(z.string()),
  trigger: z.optional(z.string()),
  operator: z.optional(z.string()),
  durationMs: z.optional(z.number()),
  apiCalls: z.optional(z.record(z.string(), z.number())),
  details: z.optional(z.record(z.string(), z.unknown())),
  error: z.optional(z.object({ name: z.string(), message: z.string() })),
});

/** A snapshot batch as it travels through the state machine (`$.snapshots`, `$.memberCopies`, `$.securityCopies`). Times are ISO-8601 UTC. */
export const SnapshotBatchSchema = z.object({
  snapshotIds: z.array(z.string()),
  sourceVolumeIds: z.array(z.string()),
  ownerAccount: z.string(),
  deadline: z.string(),
  /**
   * The case's record of each snapshot, as the stage's step wrote or read it in the ledger (`RecordedSnapshot`,
   * lib/runtime/evidence/provenance.ts): what the poll checks the snapshots against without reading the case (issue 13).
   */
  recorded: z.optional(
    z.array(
      z.object({
        stage: z.enum(['source', 'transit', 'evidence']),
        volumeId: z.string(),
        snapshotId: z.string(),
        sourceSnapshotId: z.optional(z.string()),
        ownerAccount: z.string(),
        encrypted: z.boolean(),
        kmsKeyId: z.optional(z.string()),
        volumeSize: z.optional(z.number()),
        how: z.enum(['created', 'recovered']),
        recordedAt: z.string(),
        executionName: z.optional(z.string()),
      }),
    ),
  ),
  /** The case's creation time (ISO-8601 UTC), with `recorded`. */
  caseCreatedAt: z.optional(z.string()),
  /**
   * `$.memberCopies` only, when CopySnapshots had nothing to copy (every source snapshot unencrypted, shared as it is):
   * its timeline entry, deferred to ShareAndCopySnapshots' write (it wrote nothing itself; issue 13).
   */
  timeline: z.optional(DeferredTimelineEntrySchema),
});

// ec2-compromise

/** `$.contain.preserve`: what Contain did to preserve the instance (`PreserveResult`, lib/runtime/ec2/preserve.ts). */
export const PreserveResultSchema = z.object({
  instanceId: z.string(),
  /** The instance's state before Preserve changed anything (what release restores). */
  prior: z.object({
    disableApiTermination: z.boolean(),
    shutdownBehavior: z.string(),
    /** Device name → DeleteOnTermination. */
    deleteOnTermination: z.record(z.string(), z.boolean()),
    autoScalingGroup: z.optional(z.string()),
    targetGroups: z.array(z.object({ arn: z.string(), port: z.optional(z.number()) })),
  }),
  actions: z.array(PlannedActionSchema),
});

/** The isolation and untrack groups of one VPC (`IsolationGroups`, lib/runtime/ec2/isolation-groups.ts). */
export const IsolationGroupsSchema = z.object({ vpcId: z.string(), isolationGroupId: z.string(), untrackGroupId: z.string() });

/** `$.contain.isolate`: what Contain did to isolate the instance (`IsolateResult`, lib/runtime/ec2/isolate.ts). */
export const IsolateResultSchema = z.object({
  instanceId: z.string(),
  /** VPC ID → groups (Contain's read-back checks against them). */
  groups: z.record(z.string(), IsolationGroupsSchema),
  /** ENI ID → the isolation group it ends on. */
  isolationGroupByEni: z.record(z.string(), z.string()),
  /** The network state before Isolate changed anything (what release restores). */
  prior: z.object({
    securityGroupsByEni: z.record(z.string(), z.array(z.string())),
    instanceProfileArn: z.optional(z.string()),
    elasticIps: z.array(
      z.object({
        allocationId: z.optional(z.string()),
        publicIp: z.optional(z.string()),
        networkInterfaceId: z.optional(z.string()),
        privateIpAddress: z.optional(z.string()),
      }),
    ),
  }),
  actions: z.array(PlannedActionSchema),
  /** Per ENI moved in this run, the milliseconds it spent on the allow-all group. */
  untrackWindows: z.array(z.object({ networkInterfaceId: z.string(), untrackedMs: z.number(), resumed: z.boolean() })),
});

/** `$.contain.verify`: what Contain read back after its last move (`VerifyResult`, lib/runtime/ec2/verify.ts). */
export const IsolationVerificationSchema = z.object({
  instanceId: z.string(),
  groupsByEni: z.record(z.string(), z.array(z.string())),
  checks: z.array(z.object({ name: z.string(), passed: z.boolean(), details: z.string() })),
});

/** `$.contain`: what Contain did (`ContainResult`, lib/runtime/ec2/contain.ts): Preserve's and Isolate's parts, and the read-back. */
export const ContainResultSchema = z.object({
  instanceId: z.string(),
  preserve: PreserveResultSchema,
  isolate: IsolateResultSchema,
  verify: IsolationVerificationSchema,
  /**
   * The instance as Contain's first round described it (DescribeInstances), before any change (`PreContainmentDescription`,
   * lib/runtime/evidence/instance-description.ts): CollectArtifacts writes it as instance metadata. Absent when its JSON
   * is over 64 KiB (then CollectArtifacts describes the instance), so the state never nears the 256 KiB quota.
   */
  preContainmentDescription: z.optional(
    z.object({ takenAt: z.string(), takenBy: z.literal('Contain'), instance: z.record(z.string(), z.unknown()) }),
  ),
});

/**
 * `$.instanceCredentials`: what DenyInstanceCredentials did (`InstanceCredentialsResult`,
 * lib/runtime/playbook/ec2-compromise/deny-instance-credentials.ts): the instance role's deny scoped to the instance
 * (`ec2:SourceInstanceARN`), and with `revokeInstanceRoleSessions` the role's older sessions revoked.
 */
export const InstanceCredentialsResultSchema = z.object({
  status: z.enum(['denied', 'no-profile', 'no-role', 'profile-gone', 'protected', 'access-denied']),
  instanceArn: z.string(),
  roleName: z.optional(z.string()),
  policyName: z.optional(z.string()),
  reason: z.optional(z.string()),
  actions: z.array(PlannedActionSchema),
  verified: z.optional(z.boolean()),
  olderSessions: z.optional(
    z.object({
      roleName: z.string(),
      cutoff: z.string(),
      actions: z.array(PlannedActionSchema),
      protectedReason: z.optional(z.string()),
      coveredBy: z.optional(z.string()),
      accessDenied: z.optional(z.string()),
      verified: z.optional(z.boolean()),
    }),
  ),
});

/** `$.reseal`: what ResealIsolation did on the failure path (`ResealResult`, lib/runtime/ec2/isolate.ts). */
export const ResealResultSchema = z.object({
  /** ENIs moved off the allow-all untrack group onto the isolation group. */
  moved: z.array(z.string()),
  /** ENIs still on the untrack group, and why. */
  stillOpen: z.array(z.object({ networkInterfaceId: z.string(), error: z.string() })),
  checked: z.number(),
});
export type ResealResult = z.infer<typeof ResealResultSchema>;

/** `$.snapshotsCheck`, `$.memberCopiesCheck`, `$.securityCopiesCheck`: one poll of a Wait loop (`checkSnapshotBatch`). */
export const SnapshotCheckSchema = z.object({
  status: z.enum(['pending', 'completed']),
  /** Snapshot ID → progress as EC2 reports it (e.g. `42%`). */
  progress: z.record(z.string(), z.string()),
});

/** One object stored in the evidence bucket (`StoredArtifact`, lib/runtime/evidence/vault.ts). */
export const StoredArtifactSchema = z.object({
  /** Logical name, e.g. `instance.json`. */
  name: z.string(),
  bucket: z.string(),
  key: z.string(),
  /** Hex SHA-256 of the object's bytes. */
  sha256: z.string(),
  /** Size in bytes. */
  bytes: z.number(),
  versionId: z.optional(z.string()),
});

/** `$.artifacts`: what CollectArtifacts stored. */
/** `$.artifacts`: what CollectArtifacts stored, and its timeline entry, which WriteManifest writes with its own. */
export const CollectedArtifactsSchema = z.object({
  artifacts: z.array(StoredArtifactSchema),
  timeline: z.optional(DeferredTimelineEntrySchema),
});

/** `$.manifest`: where WriteManifest stored the evidence manifest. */
export const ManifestRefSchema = z.object({ bucket: z.string(), key: z.string(), sha256: z.string(), versionId: z.optional(z.string()) });

// credential-compromise

/** One access key of an IAM user, as ListAccessKeys returns it (`UserAccessKey`, lib/runtime/iam/revoke.ts). */
export const UserAccessKeySchema = z.object({ accessKeyId: z.string(), status: z.string(), createDate: z.optional(z.string()) });

/** What became of the finding's key (`LeakedKeyState`, lib/runtime/iam/revoke.ts). */
export const LeakedKeyStateSchema = z.enum(['deactivated', 'already-inactive', 'absent', 'temporary', 'none']);

/** An IAM user's state before revocation (`UserPriorState`). */
const UserPriorStateSchema = z.object({
  userName: z.string(),
  keyStatus: z.record(z.string(), z.string()),
  inlinePolicies: z.array(z.string()),
  attachedPolicies: z.array(z.string()),
  hadLoginProfile: z.boolean(),
});
/** A role's state before revocation (`RolePriorState`). */
const RolePriorStateSchema = z.object({ roleName: z.string(), previousRevocationPolicy: z.optional(z.string()) });

/** `$.revocation` of credential-compromise: what RevokeCredentials did (`RevocationResult`, lib/runtime/playbook/credential-compromise/revoke.ts). */
export const RevocationResultSchema = z.object({
  principal: z.enum(['IAMUser', 'AssumedRole']),
  actions: z.array(PlannedActionSchema),
  /** Who else is affected, in words. */
  affected: z.string(),
  userName: z.optional(z.string()),
  accessKeyId: z.optional(z.string()),
  otherKeysLeftActive: z.optional(z.array(z.string())),
  leakedKey: z.optional(LeakedKeyStateSchema),
  userKeys: z.optional(z.array(UserAccessKeySchema)),
  roleName: z.optional(z.string()),
  /** ISO-8601 UTC session cutoff (AssumedRole). */
  cutoff: z.optional(z.string()),
  instanceId: z.optional(z.string()),
  recommendation: z.optional(z.string()),
  /** Set when the principal is protected and nothing was done. */
  protectedReason: z.optional(z.string()),
  /** `restrict-to-vpc` when the scoped alternative was applied instead of revoking sessions. */
  scope: z.optional(z.literal('restrict-to-vpc')),
  // Disjoint: a user's prior state has `userName`, a role's `roleName`.
  prior: z.optional(z.union([UserPriorStateSchema, RolePriorStateSchema])),
});

/** `$.verify` of credential-compromise: what VerifyRevocation read back (`verifyRevocation`). */
export const RevocationVerificationSchema = z.object({
  verified: z.boolean(),
  /** Why nothing was verified (a protected principal). */
  skipped: z.optional(z.string()),
  /** What the finding's key reads back as (`readUserRevocation`). */
  leakedKey: z.optional(z.string()),
  denyAllPolicy: z.optional(z.string()),
  userKeys: z.optional(z.array(UserAccessKeySchema)),
  roleName: z.optional(z.string()),
  scope: z.optional(z.literal('restrict-to-vpc')),
  cutoff: z.optional(z.string()),
});

/** `$.chained`: what ChainInstanceContainment started (`ChainResult`). */
export const ChainResultSchema = z.object({
  playbook: z.literal('ec2-compromise'),
  instanceId: z.string(),
  executionArn: z.string(),
  executionName: z.string(),
  /** `true` when an earlier run of this step had started it already. */
  alreadyStarted: z.boolean(),
});

/** One chained containment ChainSequenceContainment started (or found started) for a resource of an attack sequence. */
export const SequenceChainSchema = z.object({
  playbook: z.enum(['credential-compromise', 'ec2-compromise']),
  /** The resource in the chained playbook's terms: the access key ID, `role/<name>`, or the instance ID. */
  resource: z.string(),
  account: z.string(),
  executionArn: z.string(),
  executionName: z.string(),
  /** `true` when an earlier run of this step had started it already. */
  alreadyStarted: z.boolean(),
});

/** `$.sequenceChains`: what ChainSequenceContainment (attack-sequence) started, and how many resources it only named. */
export const SequenceChainsSchema = z.object({
  chains: z.array(SequenceChainSchema),
  named: z.number(),
});

// cloudtrail-tamper

/** One change JudgeTrailChange found: its name in the field's terms (`logging-stopped`, `data-events-added`, ...) and in words. */
export const TrailChangeSchema = z.object({ kind: z.string(), detail: z.string() });

/**
 * `$.judgement` of cloudtrail-tamper: what JudgeTrailChange found and where the case goes (`TrailJudgement`,
 * lib/runtime/playbook/cloudtrail-tamper/judge-trail-change.ts; issue 14). `route`: `contain` (RestoreLogging →
 * RevokeActor → VerifyTamperResponse), `restore` (RestoreLogging → VerifyTamperResponse: a known automation principal, or
 * an unknown change nobody answered), `notify` (notify-only), `approval` (RequestApproval).
 */
export const TrailJudgementSchema = z.object({
  verdict: z.enum(['reduces', 'increases', 'unchanged', 'unknown']),
  reductions: z.array(TrailChangeSchema),
  increases: z.array(TrailChangeSchema),
  unknowns: z.array(TrailChangeSchema),
  route: z.enum(['contain', 'restore', 'notify', 'approval']),
  reason: z.string(),
  /** Whether a baseline of the trail was found (usable or not: one read after the call is not used). */
  baselineFound: z.boolean(),
  /** The `tamperAutomationPrincipals` entry the actor's session issuer matched. */
  automationPrincipal: z.optional(z.string()),
});

/** `$.restore` of cloudtrail-tamper: what RestoreLogging did and found (`RestoreResult`, lib/runtime/playbook/cloudtrail-tamper/restore.ts). */
export const LoggingRestoreSchema = z.object({
  eventName: z.string(),
  target: z.optional(z.string()),
  actions: z.array(PlannedActionSchema),
  trailState: z.enum(['logging', 'deleted', 'recorded', 'not-a-trail']),
  /** The trail's configuration as read now, and the change the call requested: AWS's own shapes, kept as read. */
  record: z.record(z.string(), z.unknown()),
});

/** `$.revocation` of cloudtrail-tamper: what RevokeActor did (`ActorRevocation`, lib/runtime/playbook/cloudtrail-tamper/actor.ts). */
export const ActorRevocationSchema = z.object({
  actorType: z.string(),
  actions: z.array(PlannedActionSchema),
  affected: z.string(),
  userName: z.optional(z.string()),
  accessKeyId: z.optional(z.string()),
  roleName: z.optional(z.string()),
  cutoff: z.optional(z.string()),
  protectedReason: z.optional(z.string()),
});

/** `$.verify` of cloudtrail-tamper: what VerifyTamperResponse read back (each key set only when it was checked). */
export const TamperVerificationSchema = z.object({ trailLogging: z.optional(z.literal(true)), actorRevoked: z.optional(z.literal(true)) });

// s3-compromise

/** A planned or made change (`PlannedAction`), as the S3 steps report it. */
const S3ActionSchema = z.object({ operation: z.string(), target: z.string(), change: z.string() });

/** `$.bucketPreservation`: PreserveBucket's result (`BucketPreservationResult` and the manifest, lib/runtime/s3/preserve.ts). */
export const BucketPreservationSchema = z.object({
  bucket: z.string(),
  priorVersioning: z.enum(['never-enabled', 'Suspended', 'Enabled']),
  versioning: z.enum(['turned-on', 'already-on']),
  artifacts: z.array(StoredArtifactSchema),
  objectVersions: z.number(),
  listingTruncated: z.boolean(),
  actions: z.array(S3ActionSchema),
  manifest: ManifestRefSchema,
});

/** `$.bucketContainment`: ContainBucket's result (`BucketContainmentResult`, lib/runtime/s3/contain.ts). */
export const BucketContainmentSchema = z.object({
  bucket: z.string(),
  policy: z.enum(['added', 'present', 'not-named']),
  sid: z.optional(z.string()),
  principalArn: z.optional(z.string()),
  /** Why no principal was denied (the finding does not name one exactly, or it is exposure only). */
  notNamed: z.optional(z.string()),
  publicAccessBlock: z.enum(['turned-on', 'already-on', 'not-asked']),
  actions: z.array(S3ActionSchema),
});

/** `$.verify` of s3-compromise: what VerifyBucketContainment read back (`BucketContainmentCheck`). */
export const BucketContainmentCheckSchema = z.object({ bucket: z.string(), statement: z.boolean(), publicAccessBlock: z.boolean() });

// lambda-compromise

/** `$.functionPreservation`: PreserveFunction's result (`FunctionPreservationResult` and the manifest, lib/runtime/lambda/preserve.ts). */
export const FunctionPreservationSchema = z.object({
  functionName: z.string(),
  /** The published evidence version. */
  version: z.optional(z.string()),
  codeSha256: z.optional(z.string()),
  /** Why the code package is not among the artifacts, when it is not. */
  codeNotStored: z.optional(z.string()),
  artifacts: z.array(StoredArtifactSchema),
  actions: z.array(S3ActionSchema),
  manifest: ManifestRefSchema,
});

// ecs-task-compromise

/** `$.taskPreservation`: PreserveTask's result (`TaskPreservationResult` and the manifest, lib/runtime/ecs/preserve.ts). */
export const TaskPreservationSchema = z.object({
  taskArn: z.string(),
  lastStatus: z.optional(z.string()),
  desiredStatus: z.optional(z.string()),
  launchType: z.optional(z.string()),
  service: z.optional(z.string()),
  networkInterfaceIds: z.array(z.string()),
  artifacts: z.array(StoredArtifactSchema),
  actions: z.array(S3ActionSchema),
  manifest: ManifestRefSchema,
});

/** `$.functionContainment`: ContainFunction's result (lib/runtime/lambda/contain.ts). */
export const FunctionContainmentSchema = z.object({
  functionName: z.string(),
  /** The reserved concurrency before containment (`null`: none). */
  priorReservedConcurrency: z.nullable(z.number()),
  roleName: z.optional(z.string()),
  /** The role's revocation cutoff, when its sessions were revoked. */
  cutoff: z.optional(z.string()),
  /** Why the role's sessions are not revoked (shared, protected), when they are not. */
  notRevoked: z.optional(z.string()),
  /** The other functions that use the role (at most 20 named), when it is shared. */
  sharedWith: z.optional(z.array(z.string())),
  actions: z.array(S3ActionSchema),
});

/** `$.verify` of lambda-compromise: what VerifyFunctionContainment read back. */
export const FunctionContainmentCheckSchema = z.object({ functionName: z.string(), throttled: z.literal(true), roleRevoked: z.boolean() });

/** The statuses of a task as Firebreak found them (`TaskPrior`, lib/runtime/ecs/stop.ts). */
const TaskPriorSchema = z.object({
  taskArn: z.string(),
  cluster: z.string(),
  lastStatus: z.nullable(z.string()),
  desiredStatus: z.nullable(z.string()),
});

/** `$.taskStop`: StopTask's result (`TaskStopResult`, lib/runtime/ecs/stop.ts). */
export const TaskStopSchema = z.object({
  taskArn: z.string(),
  outcome: z.enum(['stopped', 'already-stopped', 'gone']),
  prior: z.optional(TaskPriorSchema),
  actions: z.array(S3ActionSchema),
});

/** `$.verify` of ecs-task-compromise: what VerifyTaskStopped read back. */
export const TaskStopCheckSchema = z.object({ taskArn: z.string(), lastStatus: z.string(), desiredStatus: z.string() });
// rds-compromise

/** One snapshot of an RDS evidence chain as read back (`DbSnapshotRecord`, lib/runtime/rds/snapshots.ts). */
const DbSnapshotRecordSchema = z.object({
  kind: z.enum(['instance', 'cluster']),
  stage: z.enum(['member', 'transit', 'security']),
  id: z.string(),
  arn: z.string(),
  account: z.string(),
  dbIdentifier: z.string(),
  encrypted: z.boolean(),
  kmsKeyId: z.optional(z.string()),
  sourceArn: z.optional(z.string()),
  originalCreateTime: z.optional(z.string()),
  createTime: z.optional(z.string()),
  status: z.string(),
});

/** `$.databasePreservation`: PreserveDatabase's result (`DatabasePreservationStatus`, polled until `completed`). */
export const DatabasePreservationSchema = z.object({
  status: z.enum(['completed', 'pending']),
  kind: z.optional(z.enum(['instance', 'cluster'])),
  dbIdentifier: z.optional(z.string()),
  chain: z.optional(z.array(DbSnapshotRecordSchema)),
  waiting: z.optional(z.string()),
  deadline: z.string(),
  /** The case's evidence manifest (completed only): `db-instance.json`, `db-cluster.json`, `snapshots.json` with their SHA-256. */
  manifest: z.optional(ManifestRefSchema),
});

/** `$.databaseContainment`: ContainDatabase's result. */
export const DatabaseContainmentSchema = z.object({
  dbInstanceIdentifier: z.string(),
  /** The finding is about exposure (`dbExposureOf`), and why. */
  exposed: z.boolean(),
  why: z.string(),
  outcome: z.enum(['turned-off', 'already-off', 'not-asked']),
  actions: z.array(z.object({ operation: z.string(), target: z.string(), change: z.string() })),
});

/** `$.verify` of rds-compromise: what VerifyDatabaseContainment read back. */
export const DatabaseContainmentCheckSchema = z.object({ dbInstanceIdentifier: z.string(), notPublic: z.boolean() });

// credential evidence (credential-compromise, cloudtrail-tamper; issue 16, item 4)

/** `$.credentialEvidence`: PreserveCredentialEvidence's result (lib/runtime/playbook/shared/preserve-credential-evidence.ts). */
export const CredentialEvidenceSchema = z.object({
  artifacts: z.array(StoredArtifactSchema),
  manifest: ManifestRefSchema,
  /** CloudTrail events of the principal found, every Region together. */
  eventsFound: z.number(),
  /** The page cap cut a Region's lookup short (recorded in cloudtrail-events.json too). */
  truncated: z.boolean(),
  /** The Regions looked in (none when the principal has no lookup attribute). */
  regions: z.array(z.string()),
});
