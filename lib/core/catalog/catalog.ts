import * as z from 'zod/mini';
import '../contracts/zod-locale';
import { ConfigError } from '../errors';
import { NAME_PREFIX_PATTERN } from '../names';

/**
 * The finding catalog: the routing table from events to playbooks.
 *
 * GuardDuty findings route on the resource they name and their severity: Instance findings to
 * ec2-compromise, AccessKey findings to credential-compromise, every other resource to finding-triage
 * (a case, nothing contained), and findings below the deployment's severity floor to a counter only.
 * Which findings are contained is the finding-type table's say (`finding-types.ts`, `triage.ts`).
 * CloudTrail-delivered API calls route on the call. The catalog generates the EventBridge rule patterns
 * (see `patterns.ts`), it drives the Decide step, and the runbook coverage test reads it. DESIGN.md §2.
 * A finding in a pod (EKSCluster) in which AWS names the node's EC2 instance goes to ec2-compromise, which waits for
 * approval at High (`container-node-high`); one without the instance to finding-triage. A finding in an ECS task
 * (ECSCluster) goes to ecs-task-compromise, which preserves the task and stops it once a person approves at High
 * (`ecs-task-high`), whether or not it names the node.
 *
 * Severity bands follow GuardDuty's documented scale: Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9,
 * Critical 9.0–10.0 ("Severity levels of GuardDuty findings", GuardDuty User Guide).
 */

/** What the playbook does with a matching finding. */
export const ResponseModeSchema = z.enum(['auto', 'approval', 'notify', 'shadow']);
/**
 * `auto` contains without a human; `approval` opens a case, notifies, and waits for
 * `firebreak approve` / `deny` (or the timeout, then {@link ApprovalTimeoutActionSchema}); `notify`
 * opens a case and notifies only; `shadow` (issue 14) runs the plan on real findings (PlanDryRun's read-only calls in
 * the member account), records the case closed `SHADOW` with what would have been done, and changes and notifies nothing.
 */
export type ResponseMode = z.infer<typeof ResponseModeSchema>;

/** What an approval-mode entry does when nobody answers in time. */
export const ApprovalTimeoutActionSchema = z.enum(['notify', 'contain']);

/** Every playbook (state machine) Firebreak has; each has a runbook folder of the same name. */
export const PLAYBOOKS = [
  'ec2-compromise',
  'credential-compromise',
  'cloudtrail-tamper',
  'root-activity',
  'finding-triage',
  's3-compromise',
  'attack-sequence',
  'lambda-compromise',
  'ecs-task-compromise',
  'rds-compromise',
] as const;
export const PlaybookSchema = z.enum(PLAYBOOKS);
/** A playbook name. */
export type Playbook = z.infer<typeof PlaybookSchema>;

/**
 * The catalog playbook a state machine runs, from the state machine's name `<prefix>-<playbook>` (`stateMachineName`,
 * lib/core/names.ts), whatever the deployment's prefix: the name must end in `-<playbook>` and what precedes it must
 * be a valid prefix (`NAME_PREFIX_PATTERN`).
 * @param name - a state machine name, e.g. `firebreak-ec2-compromise` or `blue-team-ec2-compromise`.
 * @returns the playbook, or `undefined` for a name that is no catalog playbook's (`firebreak-release`, another
 *   application's state machine).
 */
export function playbookOfStateMachine(name: string): Playbook | undefined {
  return PLAYBOOKS.find((p) => name.endsWith(`-${p}`) && NAME_PREFIX_PATTERN.test(name.slice(0, -(p.length + 1))));
}

/**
 * Playbooks that an operator starts by hand only, never a rule: no catalog entry routes to them, and
 * they act on a case rather than on an event (`release`: `firebreak release <caseId>`). Each has a
 * runbook folder of the same name (its drill format does not exist yet: drills inject events).
 */
export const OPERATOR_PLAYBOOKS = ['release'] as const;
/** An operator-started playbook name. */
export type OperatorPlaybook = (typeof OPERATOR_PLAYBOOKS)[number];

/**
 * Which `detail.resource.resourceType` values an entry routes: `anyOf` those, or `noneOf` those (every
 * value no other GuardDuty entry routes, for the triage entry; an EventBridge `anything-but`).
 */
export const ResourceTypeFilterSchema = z.union([
  z.strictObject({ anyOf: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)) }),
  z.strictObject({ noneOf: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)) }),
]);
/** A validated resource-type filter. */
export type ResourceTypeFilter = z.infer<typeof ResourceTypeFilterSchema>;

/**
 * Which finding types (`detail.type`) an entry routes, by prefix: `prefix` (the types that start with it) or
 * `notPrefix` (the others; an EventBridge `anything-but` with `prefix`, "Content filtering in Amazon EventBridge event
 * patterns", EventBridge User Guide). Used where one resource type carries findings of two playbooks: the
 * `Policy:S3/` exposure types that GuardDuty sends with resource type AccessKey (from CloudTrail management events:
 * "GuardDuty S3 Protection finding types", GuardDuty User Guide) go to s3-compromise, the other AccessKey findings to
 * credential-compromise.
 */
export const FindingTypeFilterSchema = z.union([
  z.strictObject({ prefix: z.string().check(z.minLength(1)) }),
  z.strictObject({ notPrefix: z.string().check(z.minLength(1)) }),
]);
/** A validated finding-type filter. */
export type FindingTypeFilter = z.infer<typeof FindingTypeFilterSchema>;

/**
 * Whether an entry routes on the presence of the EC2 instance a container finding runs on
 * (`detail.resource.instanceDetails.instanceId`): `present` or `absent` (an EventBridge `exists` filter, "Content
 * filtering in Amazon EventBridge event patterns", EventBridge User Guide); omitted means either. Used for the container
 * resource types ({@link CONTAINER_RESOURCE_TYPES}): only a finding in which AWS names the node's instance is routed to
 * that node's containment (never an instance guessed, or read from tags); the others open a case.
 */
export const NodeInstanceFilterSchema = z.enum(['present', 'absent']);
/** A validated node-instance filter. */
export type NodeInstanceFilter = z.infer<typeof NodeInstanceFilterSchema>;

/**
 * The resource types of a finding in a container workload: `EKSCluster` (a pod, `resource.kubernetesDetails`) and
 * `ECSCluster` (a task, `resource.ecsClusterDetails.taskDetails`) ("Remediating Runtime Monitoring findings", GuardDuty
 * User Guide: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-runtime-monitoring.html).
 */
export const CONTAINER_RESOURCE_TYPES = ['EKSCluster', 'ECSCluster'] as const;

/** The finding types GuardDuty sends about an S3 bucket's public exposure (the `Policy:S3/` types). */
export const S3_EXPOSURE_TYPE_PREFIX = 'Policy:S3/';

/**
 * The severity band of a GuardDuty entry, resolved against the deployment's severity floor
 * (`severityFloor`, default {@link DEFAULT_SEVERITY_FLOOR}): `high` is 7.0 and above, `medium` the floor
 * up to 7.0, `floor` the floor and above.
 */
export const SeverityBandSchema = z.enum(['high', 'medium', 'floor']);
/** A severity band. */
export type SeverityBand = z.infer<typeof SeverityBandSchema>;

/**
 * A GuardDuty finding entry. Its `id` becomes part of the EventBridge rule's name, so keep it stable.
 *
 * Entries route on the resource GuardDuty names (`detail.resource.resourceType`) and the severity, never
 * on the finding type or `service.resourceRole`: every finding at or above the floor reaches the playbook
 * of its resource, and the playbook decides from the finding-type table (`finding-types.ts`,
 * `triage.ts`) whether the finding shows the resource compromised (contain) or not (a case, nothing
 * contained). A type AWS adds later still opens a case.
 */
export const GuardDutyEntrySchema = z.object({
  kind: z.literal('guardduty-finding'),
  /** Stable identifier, `[a-z0-9-]+`. */
  id: z.string().check(z.regex(/^[a-z0-9-]+$/)),
  /** The playbook (state machine) that handles the finding, and the runbook folder's name. */
  playbook: PlaybookSchema,
  description: z.string().check(z.minLength(1)),
  /** EventBridge `source`. */
  source: z.literal('aws.guardduty'),
  /** EventBridge `detail-type`. */
  detailType: z.literal('GuardDuty Finding'),
  /** The `detail.resource.resourceType` values routed to the playbook. */
  resourceTypes: ResourceTypeFilterSchema,
  /** The `detail.type` values routed, by prefix; omitted means every type. */
  findingTypes: z.optional(FindingTypeFilterSchema),
  /** Whether `detail.resource.instanceDetails.instanceId` must be present or absent; omitted means either. */
  nodeInstance: z.optional(NodeInstanceFilterSchema),
  band: SeverityBandSchema,
  /** Inclusive lower bound of `detail.severity` (the band resolved against the floor). */
  minSeverity: z.number().check(z.gte(0)).check(z.lte(10)),
  /** Exclusive upper bound of `detail.severity`; omitted means no upper bound. */
  maxSeverityExclusive: z.optional(z.number().check(z.gte(0)).check(z.lte(10.1))),
  mode: ResponseModeSchema,
  /**
   * `approval` mode: what happens when nobody answers before the deployment's `approvalTimeoutSeconds`.
   * @default 'notify'
   */
  approvalTimeoutAction: z._default(ApprovalTimeoutActionSchema, 'notify'),
  /**
   * credential-compromise only: when the finding names the instance whose credentials leaked
   * (`InstanceCredentialExfiltration.*`), also start ec2-compromise on that instance once the
   * credentials are revoked. Off by default: isolating a production host is a bigger step than
   * revoking its role's sessions.
   * @default false
   */
  chainInstanceContainment: z._default(z.boolean(), false),
  /** GuardDuty findings (member findings included, via the delegated administrator) arrive on the default bus. */
  eventBus: z._default(z.literal('default'), 'default'),
});
/** A validated GuardDuty finding entry. */
export type GuardDutyEntry = z.infer<typeof GuardDutyEntrySchema>;

/**
 * An API-call entry: an AWS API call or console sign-in recorded by CloudTrail and delivered to
 * EventBridge ("Events from AWS services delivered via CloudTrail", EventBridge User Guide). Only
 * successful calls match (the pattern requires `errorCode` to be absent).
 */
export const ApiCallEntrySchema = z.object({
  kind: z.literal('api-call'),
  id: z.string().check(z.regex(/^[a-z0-9-]+$/)),
  playbook: PlaybookSchema,
  description: z.string().check(z.minLength(1)),
  /** EventBridge `source`s (the service's, e.g. `aws.cloudtrail`, `aws.iam`, `aws.signin`). */
  sources: z.array(z.string().check(z.startsWith('aws.'))).check(z.minLength(1)),
  detailType: z.enum(['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail']),
  /** `detail.eventSource`, e.g. `cloudtrail.amazonaws.com`. */
  eventSources: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /** `detail.eventName`, e.g. `StopLogging`. */
  eventNames: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /** `detail.userIdentity.type` required, e.g. `Root`; omitted means any caller. */
  userIdentityTypes: z.optional(z.array(z.string().check(z.minLength(1)))),
  mode: ResponseModeSchema,
  /**
   * `approval` mode: what happens when nobody answers before the deployment's `approvalTimeoutSeconds`.
   * @default 'notify'
   */
  approvalTimeoutAction: z._default(ApprovalTimeoutActionSchema, 'notify'),
  /**
   * The bus the rule listens on: member accounts forward their CloudTrail events to the security
   * account's `firebreak` bus (MemberAccountStack). IAM, STS and sign-in events are recorded in
   * us-east-1 only, so their forwarding rules must live there.
   */
  eventBus: z._default(z.enum(['default', 'firebreak']), 'firebreak'),
});
/** A validated API-call entry. */
export type ApiCallEntry = z.infer<typeof ApiCallEntrySchema>;

/** One catalog entry. */
export const CatalogEntrySchema = z.discriminatedUnion('kind', [GuardDutyEntrySchema, ApiCallEntrySchema]);
/** A validated catalog entry. */
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

/** High severity, per GuardDuty: 7.0 and above (Critical, 9.0–10.0, included). */
export const HIGH_SEVERITY = 7;
/** Medium severity, per GuardDuty: 4.0 to 6.9. */
export const MEDIUM_SEVERITY = 4;
/**
 * The default severity floor: findings at or above it open a case (or are contained); findings below
 * it are only counted. Medium, as the security pillar's "every finding a person sees" asks of findings
 * that matter; Low findings (1.0–3.9) are counted in the `FindingsBelowFloor` metric.
 */
export const DEFAULT_SEVERITY_FLOOR = MEDIUM_SEVERITY;

/** The triage playbook: a case for every finding at or above the floor that no containment takes. */
export const TRIAGE_PLAYBOOK = 'finding-triage' as const;

/** An entry as written in the table below: the severity bounds come from its band and the floor. */
type EntryInput =
  | z.input<typeof ApiCallEntrySchema>
  | (Omit<z.input<typeof GuardDutyEntrySchema>, 'minSeverity' | 'maxSeverityExclusive' | 'resourceTypes'> & {
      resourceTypes: ResourceTypeFilter | 'others';
    });

/** What the container entries share: GuardDuty findings on a pod or task ({@link CONTAINER_RESOURCE_TYPES}). */
/** The pod entries (EKSCluster); an ECS task finding goes to ecs-task-compromise (`ecs-task-*`). */
const CONTAINER_ENTRY = {
  kind: 'guardduty-finding' as const,
  source: 'aws.guardduty' as const,
  detailType: 'GuardDuty Finding' as const,
  resourceTypes: { anyOf: ['EKSCluster'] },
};

/** The ECS task entries: every `ECSCluster` finding, whether or not it names the node's instance. */
const ECS_TASK_ENTRY = {
  kind: 'guardduty-finding' as const,
  playbook: 'ecs-task-compromise' as const,
  source: 'aws.guardduty' as const,
  detailType: 'GuardDuty Finding' as const,
  resourceTypes: { anyOf: ['ECSCluster'] },
};

const ENTRIES: EntryInput[] = [
  {
    kind: 'guardduty-finding',
    id: 'ec2-compromise-high',
    playbook: 'ec2-compromise',
    description:
      'A High or Critical GuardDuty finding on an EC2 instance: contain it and preserve evidence when the finding type shows it compromised, else a case.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['Instance'] },
    band: 'high',
    mode: 'auto',
  },
  {
    kind: 'guardduty-finding',
    id: 'ec2-compromise-medium',
    playbook: 'ec2-compromise',
    description: 'A GuardDuty finding on an EC2 instance from the severity floor up to Medium: open a case and notify, contain nothing.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['Instance'] },
    band: 'medium',
    mode: 'notify',
  },
  {
    kind: 'guardduty-finding',
    id: 'credential-compromise-high',
    playbook: 'credential-compromise',
    description: "A High or Critical GuardDuty finding on an access key: revoke exactly what leaked (the key, or the role's sessions).",
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['AccessKey'] },
    findingTypes: { notPrefix: S3_EXPOSURE_TYPE_PREFIX },
    band: 'high',
    mode: 'auto',
  },
  {
    kind: 'guardduty-finding',
    id: 'credential-compromise-medium',
    playbook: 'credential-compromise',
    description: 'A GuardDuty finding on an access key from the severity floor up to Medium: open a case and notify, revoke nothing.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['AccessKey'] },
    findingTypes: { notPrefix: S3_EXPOSURE_TYPE_PREFIX },
    band: 'medium',
    mode: 'notify',
  },
  {
    kind: 'guardduty-finding',
    id: 's3-compromise-high',
    playbook: 's3-compromise',
    description:
      'A High or Critical GuardDuty finding on an S3 bucket: preserve the bucket (versioning on, its configuration as evidence), deny the principal the finding names in the bucket policy, and block public access when the finding is about exposure.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['S3Bucket'] },
    band: 'high',
    mode: 'auto',
  },
  {
    kind: 'guardduty-finding',
    id: 's3-compromise-medium',
    playbook: 's3-compromise',
    description: 'A GuardDuty finding on an S3 bucket from the severity floor up to Medium: open a case and notify, change nothing.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['S3Bucket'] },
    band: 'medium',
    mode: 'notify',
  },
  {
    kind: 'guardduty-finding',
    id: 'lambda-compromise-high',
    playbook: 'lambda-compromise',
    description:
      "A High or Critical GuardDuty Lambda Protection finding: preserve the function (an evidence version, its code and configuration), set its reserved concurrency to 0 and revoke its execution role's older sessions (unless the role is shared or protected).",
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['Lambda'] },
    band: 'high',
    mode: 'auto',
  },
  {
    kind: 'guardduty-finding',
    id: 'lambda-compromise-medium',
    playbook: 'lambda-compromise',
    description: 'A GuardDuty Lambda Protection finding from the severity floor up to Medium: open a case and notify, change nothing.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['Lambda'] },
    band: 'medium',
    mode: 'notify',
  },
  {
    kind: 'guardduty-finding',
    id: 's3-exposure-high',
    playbook: 's3-compromise',
    description:
      'A High or Critical Policy:S3 exposure finding that GuardDuty sends on an access key (a bucket made public through CloudTrail management events): preserve the bucket and turn its public access block on.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['AccessKey'] },
    findingTypes: { prefix: S3_EXPOSURE_TYPE_PREFIX },
    band: 'high',
    mode: 'auto',
  },
  {
    kind: 'guardduty-finding',
    id: 's3-exposure-medium',
    playbook: 's3-compromise',
    description:
      'A Policy:S3 exposure finding on an access key from the severity floor up to Medium: open a case and notify, change nothing.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['AccessKey'] },
    findingTypes: { prefix: S3_EXPOSURE_TYPE_PREFIX },
    band: 'medium',
    mode: 'notify',
  },
  {
    kind: 'guardduty-finding',
    id: 'attack-sequence-high',
    playbook: 'attack-sequence',
    description: 'A High or Critical GuardDuty attack sequence: one case, and a chained containment per access key and instance it names.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['AttackSequence'] },
    band: 'high',
    mode: 'auto',
  },
  {
    kind: 'guardduty-finding',
    id: 'attack-sequence-medium',
    playbook: 'attack-sequence',
    description:
      'A GuardDuty attack sequence from the severity floor up to Medium: a case naming its signals and resources, nothing contained.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['AttackSequence'] },
    band: 'medium',
    mode: 'notify',
  },
  {
    ...ECS_TASK_ENTRY,
    id: 'ecs-task-high',
    description:
      'A High ECS task finding: preserve the task, its definition, network interface and service, and stop it once a person approves.',
    band: 'high',
    mode: 'approval',
  },
  {
    ...ECS_TASK_ENTRY,
    id: 'ecs-task-medium',
    description: 'An ECS task finding from the severity floor up to Medium: a case naming the task, nothing stopped.',
    band: 'medium',
    mode: 'notify',
  },
  {
    kind: 'guardduty-finding',
    id: 'rds-compromise-high',
    playbook: 'rds-compromise',
    description:
      'A High or Critical GuardDuty RDS Protection finding on a database: preserve the DB instance as a snapshot copied into the security account, turn its public accessibility off when the finding shows it reached from a public address, and name the database user for a person to rotate.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['RDSDBInstance', 'RDSLimitlessDB'] },
    band: 'high',
    mode: 'auto',
  },
  {
    kind: 'guardduty-finding',
    id: 'rds-compromise-medium',
    playbook: 'rds-compromise',
    description:
      'A GuardDuty RDS Protection finding from the severity floor up to Medium: open a case naming the database user and notify, change nothing.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: { anyOf: ['RDSDBInstance', 'RDSLimitlessDB'] },
    band: 'medium',
    mode: 'notify',
  },
  {
    ...CONTAINER_ENTRY,
    id: 'container-node-high',
    playbook: 'ec2-compromise',
    description: "A High pod finding naming its node's instance: contain the node once a person approves.",
    nodeInstance: 'present',
    band: 'high',
    mode: 'approval',
  },
  {
    ...CONTAINER_ENTRY,
    id: 'container-node-medium',
    playbook: 'ec2-compromise',
    description: "A pod finding naming its node's instance, floor to Medium: a case on the node.",
    nodeInstance: 'present',
    band: 'medium',
    mode: 'notify',
  },
  {
    ...CONTAINER_ENTRY,
    id: 'container-workload',
    playbook: TRIAGE_PLAYBOOK,
    description: 'A pod finding naming no instance: a case naming the workload, nothing contained.',
    nodeInstance: 'absent',
    band: 'floor',
    mode: 'notify',
  },
  {
    kind: 'guardduty-finding',
    id: 'finding-triage',
    playbook: TRIAGE_PLAYBOOK,
    description:
      'A GuardDuty finding at or above the severity floor on a resource no containment playbook acts on (S3 objects, containers, Lambda, malware scans, ...): open a case and notify with the runbook entry and the triage commands.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceTypes: 'others',
    band: 'floor',
    mode: 'notify',
  },
  {
    kind: 'api-call',
    id: 'cloudtrail-tamper-trail',
    playbook: 'cloudtrail-tamper',
    description:
      'Someone stopped, deleted or changed a CloudTrail trail: restart logging where possible, record what changed, revoke the actor.',
    sources: ['aws.cloudtrail'],
    detailType: 'AWS API Call via CloudTrail',
    eventSources: ['cloudtrail.amazonaws.com'],
    eventNames: ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'],
    mode: 'auto',
  },
  {
    kind: 'api-call',
    id: 'cloudtrail-tamper-guardduty',
    playbook: 'cloudtrail-tamper',
    description: 'Someone deleted a GuardDuty detector or left the GuardDuty administrator: notify, record, revoke the actor.',
    sources: ['aws.guardduty'],
    detailType: 'AWS API Call via CloudTrail',
    eventSources: ['guardduty.amazonaws.com'],
    eventNames: ['DeleteDetector', 'DisassociateFromAdministratorAccount', 'DisassociateFromMasterAccount'],
    mode: 'auto',
  },
  {
    kind: 'api-call',
    id: 'root-activity-console',
    playbook: 'root-activity',
    description: 'The root user signed in to the console: a notify-only case with the runbook.',
    sources: ['aws.signin'],
    detailType: 'AWS Console Sign In via CloudTrail',
    eventSources: ['signin.amazonaws.com'],
    eventNames: ['ConsoleLogin'],
    userIdentityTypes: ['Root'],
    mode: 'notify',
  },
  {
    kind: 'api-call',
    id: 'root-activity-access-key',
    playbook: 'root-activity',
    description: 'The root user created an access key: a notify-only case with the runbook.',
    sources: ['aws.iam'],
    detailType: 'AWS API Call via CloudTrail',
    eventSources: ['iam.amazonaws.com'],
    eventNames: ['CreateAccessKey'],
    userIdentityTypes: ['Root'],
    mode: 'notify',
  },
];

/** The severity bounds of a band, or `undefined` when the floor leaves it empty (a floor of 7 empties `medium`). */
export function bandBounds(band: SeverityBand, floor: number): { minSeverity: number; maxSeverityExclusive?: number } | undefined {
  if (band === 'high') return { minSeverity: Math.max(HIGH_SEVERITY, floor) };
  if (band === 'floor') return { minSeverity: floor };
  return floor < HIGH_SEVERITY ? { minSeverity: floor, maxSeverityExclusive: HIGH_SEVERITY } : undefined;
}

/**
 * Builds the catalog for a severity floor: each GuardDuty entry's band resolved to numbers (an entry
 * whose band is empty is left out), the triage entry's `others` resolved to every resource type the
 * other GuardDuty entries route.
 * @param floor - the severity floor, 0 to {@link HIGH_SEVERITY}. @default DEFAULT_SEVERITY_FLOOR
 * @returns the validated, frozen catalog.
 * @throws {ConfigError} when the floor is out of range.
 * @throws {z.ZodError} when an entry is malformed (a programming error, caught by the unit tests).
 */
export function buildCatalog(floor: number = DEFAULT_SEVERITY_FLOOR): readonly CatalogEntry[] {
  if (!(floor >= 0 && floor <= HIGH_SEVERITY))
    throw new ConfigError(`severity floor ${floor} is outside 0 to ${HIGH_SEVERITY} (a floor above High would hide High findings)`);
  const routed = [
    ...new Set(
      ENTRIES.flatMap((e) =>
        e.kind === 'guardduty-finding' && e.resourceTypes !== 'others' && 'anyOf' in e.resourceTypes ? e.resourceTypes.anyOf : [],
      ),
    ),
  ];
  const resolved = ENTRIES.flatMap((e): unknown[] => {
    if (e.kind !== 'guardduty-finding') return [e];
    const bounds = bandBounds(e.band, floor);
    if (!bounds) return [];
    return [{ ...e, ...bounds, resourceTypes: e.resourceTypes === 'others' ? { noneOf: routed } : e.resourceTypes }];
  });
  return Object.freeze(z.array(CatalogEntrySchema).parse(resolved));
}

/**
 * The validated catalog at the default severity floor. Validation runs at import: a malformed entry
 * fails synth and every test.
 */
export const CATALOG: readonly CatalogEntry[] = buildCatalog();

/** The IDs of every entry, whatever the floor (overrides may name an entry a high floor leaves out). */
export const CATALOG_ENTRY_IDS: readonly string[] = ENTRIES.map((e) => e.id);

/** What a deployment may change in a catalog entry (`catalogOverrides` in the deployment config). */
export const CatalogOverrideSchema = z.strictObject({
  mode: z.optional(ResponseModeSchema),
  approvalTimeoutAction: z.optional(ApprovalTimeoutActionSchema),
  chainInstanceContainment: z.optional(z.boolean()),
});
/** Entry ID → override. */
export const CatalogOverridesSchema = z.record(z.string(), CatalogOverrideSchema);
/** Per-entry overrides of the catalog. */
export type CatalogOverrides = z.infer<typeof CatalogOverridesSchema>;

/**
 * Applies a deployment's overrides to the catalog (issue #3: "each entry can override this").
 * Overrides change the response (`mode`, chaining), never the routing: the rule patterns stay those
 * of the built-in catalog.
 * @param overrides - entry ID → fields to replace.
 * @param catalog - defaults to {@link CATALOG}.
 * @returns a new catalog; the input is not changed. An override of an entry the severity floor left
 *   out of `catalog` is accepted and has no effect.
 * @throws {ConfigError} naming the entry when an override names an entry that does not exist, asks an entry
 *   whose playbook never contains (root-activity, finding-triage) to contain, to wait for approval or to run in shadow, or
 *   sets `chainInstanceContainment` on an entry that is not a credential-compromise GuardDuty entry.
 */
export function applyCatalogOverrides(overrides: CatalogOverrides, catalog: readonly CatalogEntry[] = CATALOG): readonly CatalogEntry[] {
  for (const [id, o] of Object.entries(overrides)) {
    if (!CATALOG_ENTRY_IDS.includes(id))
      throw new ConfigError(`catalogOverrides.${id}: no catalog entry has this ID (have: ${CATALOG_ENTRY_IDS.join(', ')})`);
    const entry = ENTRIES.find((e) => e.id === id)!;
    if ((o.mode === 'approval' || o.mode === 'auto' || o.mode === 'shadow') && NOTIFY_ONLY_PLAYBOOKS.includes(entry.playbook)) {
      const what = { approval: 'approve', auto: 'run automatically', shadow: 'plan in shadow' }[o.mode];
      throw new ConfigError(`catalogOverrides.${id}.mode: ${entry.playbook} never contains, so it has nothing to ${what}`);
    }
    if (o.chainInstanceContainment !== undefined && (entry.kind !== 'guardduty-finding' || entry.playbook !== 'credential-compromise')) {
      throw new ConfigError(
        `catalogOverrides.${id}.chainInstanceContainment: only credential-compromise finding entries can chain into ec2-compromise`,
      );
    }
  }
  return Object.freeze(
    catalog.map((e) => {
      const o = overrides[e.id];
      if (!o) return e;
      const { chainInstanceContainment, ...common } = o;
      return e.kind === 'guardduty-finding'
        ? { ...e, ...common, ...(chainInstanceContainment === undefined ? {} : { chainInstanceContainment }) }
        : { ...e, ...common };
    }),
  );
}

/** Playbooks that only open a case and notify: no catalog override can make them contain. */
export const NOTIFY_ONLY_PLAYBOOKS: readonly string[] = ['root-activity', TRIAGE_PLAYBOOK];

/**
 * The catalog a deployment runs with: {@link buildCatalog} at its severity floor, then its overrides.
 * @throws {ConfigError} as {@link buildCatalog} and {@link applyCatalogOverrides} do.
 */
export function effectiveCatalog(overrides: CatalogOverrides = {}, floor: number = DEFAULT_SEVERITY_FLOOR): readonly CatalogEntry[] {
  return applyCatalogOverrides(overrides, buildCatalog(floor));
}

/** The lowest severity any GuardDuty entry of a catalog routes: the catalog's severity floor. */
export function severityFloorOf(catalog: readonly CatalogEntry[] = CATALOG): number {
  return Math.min(...catalog.filter((e): e is GuardDutyEntry => e.kind === 'guardduty-finding').map((e) => e.minSeverity));
}

/** Whether an entry's resource-type filter admits a `detail.resource.resourceType` value. */
export function admitsResourceType(filter: ResourceTypeFilter, resourceType: string): boolean {
  return 'anyOf' in filter ? filter.anyOf.includes(resourceType) : !filter.noneOf.includes(resourceType);
}

/**
 * Whether an entry's finding-type filter admits a `detail.type` (no filter admits every type). A type that is
 * absent is the empty string: no `prefix` admits it, every `notPrefix` does, as EventBridge's `anything-but` matches.
 */
export function admitsFindingType(filter: FindingTypeFilter | undefined, type: string | undefined): boolean {
  if (!filter) return true;
  return 'prefix' in filter ? (type ?? '').startsWith(filter.prefix) : !(type ?? '').startsWith(filter.notPrefix);
}

/** The playbooks named by the catalog, without duplicates, in catalog order. */
export function catalogPlaybooks(catalog: readonly CatalogEntry[] = CATALOG): string[] {
  return [...new Set(catalog.map((e) => e.playbook))];
}

/** The subset of a GuardDuty finding the catalog matches on. */
export interface CatalogMatchInput {
  readonly source: string;
  readonly detailType: string;
  readonly resourceType: string;
  readonly severity: number;
  /** `detail.type`: the entries with a finding-type filter route on it. */
  readonly type?: string;
  /** Whether `detail.resource.instanceDetails.instanceId` is present: the entries with a node-instance filter route on it. @default false */
  readonly nodeInstance?: boolean;
}

/** Whether an entry's node-instance filter admits a finding that does (`true`) or does not carry an instance ID (no filter admits both). */
export function admitsNodeInstance(filter: NodeInstanceFilter | undefined, nodeInstance: boolean | undefined): boolean {
  if (!filter) return true;
  return (filter === 'present') === (nodeInstance ?? false);
}

/**
 * Finds the catalog entry that covers a finding, with the same semantics as the generated
 * EventBridge patterns (exact match, or `anything-but`, on the resource type; numeric severity band).
 * The finding type and the resource role do not route: the playbook judges them (`triage.ts`).
 * @param finding - the normalized fields of the finding.
 * @param catalog - defaults to {@link CATALOG}.
 * @returns the first matching entry, or `undefined` when no entry covers the finding (below the floor).
 */
export function matchCatalogEntry(finding: CatalogMatchInput, catalog: readonly CatalogEntry[] = CATALOG): GuardDutyEntry | undefined {
  return catalog.find(
    (e): e is GuardDutyEntry =>
      e.kind === 'guardduty-finding' &&
      e.source === finding.source &&
      e.detailType === finding.detailType &&
      admitsResourceType(e.resourceTypes, finding.resourceType) &&
      admitsFindingType(e.findingTypes, finding.type) &&
      admitsNodeInstance(e.nodeInstance, finding.nodeInstance) &&
      finding.severity >= e.minSeverity &&
      (e.maxSeverityExclusive === undefined || finding.severity < e.maxSeverityExclusive),
  );
}

/** The subset of a CloudTrail-delivered event the catalog matches on. */
export interface ApiCallMatchInput {
  readonly source: string;
  readonly detailType: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly userIdentityType?: string;
  readonly errorCode?: string;
}

/**
 * Finds the API-call entry that covers an event, with the semantics of the generated patterns
 * (exact matches, `errorCode` absent).
 * @returns the first matching entry, or `undefined`.
 */
export function matchApiCallEntry(event: ApiCallMatchInput, catalog: readonly CatalogEntry[] = CATALOG): ApiCallEntry | undefined {
  if (event.errorCode !== undefined) return undefined;
  return catalog.find(
    (e): e is ApiCallEntry =>
      e.kind === 'api-call' &&
      e.sources.includes(event.source) &&
      e.detailType === event.detailType &&
      e.eventSources.includes(event.eventSource) &&
      e.eventNames.includes(event.eventName) &&
      (!e.userIdentityTypes || (event.userIdentityType !== undefined && e.userIdentityTypes.includes(event.userIdentityType))),
  );
}
