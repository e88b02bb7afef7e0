import { z } from 'zod';

/**
 * The finding catalog: one typed table that maps finding types to playbooks.
 *
 * It generates the EventBridge rule patterns (see `patterns.ts`), it drives the Decide step, and the
 * runbook coverage test reads it. DESIGN.md §2.
 *
 * Severity bands follow GuardDuty's documented scale: Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9,
 * Critical 9.0–10.0 ("Severity levels of GuardDuty findings", GuardDuty User Guide).
 */

/** What the playbook does with a matching finding. */
export const ResponseModeSchema = z.enum(['auto', 'approval', 'notify']);
/**
 * `auto` contains without a human; `approval` opens a case, notifies, and waits for
 * `firebreak approve` / `deny` (or the timeout, then {@link ApprovalTimeoutActionSchema}); `notify`
 * opens a case and notifies only.
 */
export type ResponseMode = z.infer<typeof ResponseModeSchema>;

/** What an approval-mode entry does when nobody answers in time. */
export const ApprovalTimeoutActionSchema = z.enum(['notify', 'contain']);

/** Every playbook (state machine) Firebreak has; each has a runbook folder of the same name. */
export const PLAYBOOKS = ['ec2-compromise', 'credential-compromise', 'cloudtrail-tamper', 'root-activity'] as const;
export const PlaybookSchema = z.enum(PLAYBOOKS);
/** A playbook name. */
export type Playbook = z.infer<typeof PlaybookSchema>;

/**
 * Playbooks that an operator starts by hand only, never a rule: no catalog entry routes to them, and
 * they act on a case rather than on an event (`release`: `firebreak release <caseId>`). Each has a
 * runbook folder of the same name (its drill format does not exist yet: drills inject events).
 */
export const OPERATOR_PLAYBOOKS = ['release'] as const;
/** An operator-started playbook name. */
export type OperatorPlaybook = (typeof OPERATOR_PLAYBOOKS)[number];

/** A GuardDuty finding entry. Its `id` becomes part of the EventBridge rule's name, so keep it stable. */
export const GuardDutyEntrySchema = z.object({
  kind: z.literal('guardduty-finding'),
  /** Stable identifier, `[a-z0-9-]+`. */
  id: z.string().regex(/^[a-z0-9-]+$/),
  /** The playbook (state machine) that handles the finding, and the runbook folder's name. */
  playbook: PlaybookSchema,
  description: z.string().min(1),
  /** EventBridge `source`. */
  source: z.literal('aws.guardduty'),
  /** EventBridge `detail-type`. */
  detailType: z.literal('GuardDuty Finding'),
  /** `detail.resource.resourceType`; never route on the finding-type prefix alone. */
  resourceType: z.enum(['Instance', 'AccessKey']),
  /** Finding-type prefixes, e.g. `Backdoor:EC2/`. */
  findingTypePrefixes: z.array(z.string().min(1)).min(1),
  /** `detail.service.resourceRole` required; `ACTOR` keeps victims (TARGET) out. */
  resourceRole: z.enum(['ACTOR', 'TARGET']),
  /** Inclusive lower bound of `detail.severity`. */
  minSeverity: z.number().min(0).max(10),
  /** Exclusive upper bound of `detail.severity`; omitted means no upper bound. */
  maxSeverityExclusive: z.number().min(0).max(10.1).optional(),
  mode: ResponseModeSchema,
  /**
   * `approval` mode: what happens when nobody answers before the deployment's `approvalTimeoutSeconds`.
   * @default 'notify'
   */
  approvalTimeoutAction: ApprovalTimeoutActionSchema.default('notify'),
  /**
   * credential-compromise only: when the finding names the instance whose credentials leaked
   * (`InstanceCredentialExfiltration.*`), also start ec2-compromise on that instance once the
   * credentials are revoked. Off by default: isolating a production host is a bigger step than
   * revoking its role's sessions.
   * @default false
   */
  chainInstanceContainment: z.boolean().default(false),
  /** GuardDuty findings (member findings included, via the delegated administrator) arrive on the default bus. */
  eventBus: z.literal('default').default('default'),
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
  id: z.string().regex(/^[a-z0-9-]+$/),
  playbook: PlaybookSchema,
  description: z.string().min(1),
  /** EventBridge `source`s (the service's, e.g. `aws.cloudtrail`, `aws.iam`, `aws.signin`). */
  sources: z.array(z.string().startsWith('aws.')).min(1),
  detailType: z.enum(['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail']),
  /** `detail.eventSource`, e.g. `cloudtrail.amazonaws.com`. */
  eventSources: z.array(z.string().min(1)).min(1),
  /** `detail.eventName`, e.g. `StopLogging`. */
  eventNames: z.array(z.string().min(1)).min(1),
  /** `detail.userIdentity.type` required, e.g. `Root`; omitted means any caller. */
  userIdentityTypes: z.array(z.string().min(1)).optional(),
  mode: ResponseModeSchema,
  /**
   * `approval` mode: what happens when nobody answers before the deployment's `approvalTimeoutSeconds`.
   * @default 'notify'
   */
  approvalTimeoutAction: ApprovalTimeoutActionSchema.default('notify'),
  /**
   * The bus the rule listens on: member accounts forward their CloudTrail events to the security
   * account's `firebreak` bus (MemberAccountStack). IAM, STS and sign-in events are recorded in
   * us-east-1 only, so their forwarding rules must live there.
   */
  eventBus: z.enum(['default', 'firebreak']).default('firebreak'),
});
/** A validated API-call entry. */
export type ApiCallEntry = z.infer<typeof ApiCallEntrySchema>;

/** One catalog entry. */
export const CatalogEntrySchema = z.discriminatedUnion('kind', [GuardDutyEntrySchema, ApiCallEntrySchema]);
/** A validated catalog entry. */
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

/** GuardDuty finding-type prefixes whose ACTOR resource is a compromised EC2 instance. */
export const EC2_COMPROMISE_FINDING_PREFIXES: readonly string[] = [
  'Backdoor:EC2/',
  'CryptoCurrency:EC2/',
  'Trojan:EC2/',
  'Impact:EC2/',
  'UnauthorizedAccess:EC2/',
];

/**
 * GuardDuty finding-type prefixes whose resource is an access key (IAM user, assumed role or root
 * credentials): "GuardDuty IAM finding types", GuardDuty User Guide.
 */
export const CREDENTIAL_COMPROMISE_FINDING_PREFIXES: readonly string[] = [
  'CredentialAccess:IAMUser/',
  'DefenseEvasion:IAMUser/',
  'Discovery:IAMUser/',
  'Exfiltration:IAMUser/',
  'Impact:IAMUser/',
  'InitialAccess:IAMUser/',
  'Persistence:IAMUser/',
  'Policy:IAMUser/',
  'PrivilegeEscalation:IAMUser/',
  'Stealth:IAMUser/',
  'UnauthorizedAccess:IAMUser/',
];

/** High severity, per GuardDuty: 7.0 and above (Critical, 9.0–10.0, included). */
export const HIGH_SEVERITY = 7;
/** Medium severity, per GuardDuty: 4.0 to 6.9. */
export const MEDIUM_SEVERITY = 4;

const ENTRIES: z.input<typeof CatalogEntrySchema>[] = [
  {
    kind: 'guardduty-finding',
    id: 'ec2-compromise-high',
    playbook: 'ec2-compromise',
    description: 'A High or Critical GuardDuty finding names an EC2 instance as the actor: contain it and preserve evidence.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceType: 'Instance',
    findingTypePrefixes: [...EC2_COMPROMISE_FINDING_PREFIXES],
    resourceRole: 'ACTOR',
    minSeverity: HIGH_SEVERITY,
    mode: 'auto',
  },
  {
    kind: 'guardduty-finding',
    id: 'ec2-compromise-medium',
    playbook: 'ec2-compromise',
    description: 'A Medium GuardDuty finding names an EC2 instance as the actor: open a case and notify, contain nothing.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceType: 'Instance',
    findingTypePrefixes: [...EC2_COMPROMISE_FINDING_PREFIXES],
    resourceRole: 'ACTOR',
    minSeverity: MEDIUM_SEVERITY,
    maxSeverityExclusive: HIGH_SEVERITY,
    mode: 'notify',
  },
  {
    kind: 'guardduty-finding',
    id: 'credential-compromise-high',
    playbook: 'credential-compromise',
    description: 'A High or Critical GuardDuty finding on an access key: revoke exactly what leaked (the key, or the role\'s sessions).',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceType: 'AccessKey',
    findingTypePrefixes: [...CREDENTIAL_COMPROMISE_FINDING_PREFIXES],
    resourceRole: 'ACTOR',
    minSeverity: HIGH_SEVERITY,
    mode: 'auto',
  },
  {
    kind: 'guardduty-finding',
    id: 'credential-compromise-medium',
    playbook: 'credential-compromise',
    description: 'A Medium GuardDuty finding on an access key: open a case and notify, revoke nothing.',
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceType: 'AccessKey',
    findingTypePrefixes: [...CREDENTIAL_COMPROMISE_FINDING_PREFIXES],
    resourceRole: 'ACTOR',
    minSeverity: MEDIUM_SEVERITY,
    maxSeverityExclusive: HIGH_SEVERITY,
    mode: 'notify',
  },
  {
    kind: 'api-call',
    id: 'cloudtrail-tamper-trail',
    playbook: 'cloudtrail-tamper',
    description: 'Someone stopped, deleted or changed a CloudTrail trail: restart logging where possible, record what changed, revoke the actor.',
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

/**
 * The validated catalog. Validation runs at import: a malformed entry fails synth and every test.
 * @throws {z.ZodError} when an entry is malformed (a programming error, caught by the unit tests).
 */
export const CATALOG: readonly CatalogEntry[] = Object.freeze(z.array(CatalogEntrySchema).parse(ENTRIES));

/** What a deployment may change in a catalog entry (`catalogOverrides` in the deployment config). */
export const CatalogOverrideSchema = z.object({
  mode: ResponseModeSchema.optional(),
  approvalTimeoutAction: ApprovalTimeoutActionSchema.optional(),
  chainInstanceContainment: z.boolean().optional(),
}).strict();
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
 * @returns a new catalog; the input is not changed.
 * @throws {Error} naming the entry when an override names an entry that does not exist, or sets
 *   `chainInstanceContainment` on an entry that is not a credential-compromise GuardDuty entry.
 */
export function applyCatalogOverrides(overrides: CatalogOverrides, catalog: readonly CatalogEntry[] = CATALOG): readonly CatalogEntry[] {
  for (const [id, o] of Object.entries(overrides)) {
    const entry = catalog.find((e) => e.id === id);
    if (!entry) throw new Error(`catalogOverrides.${id}: no catalog entry has this ID (have: ${catalog.map((e) => e.id).join(', ')})`);
    if (o.mode === 'approval' && entry.playbook === 'root-activity') {
      throw new Error(`catalogOverrides.${id}.mode: root-activity never contains, so it has nothing to approve`);
    }
    if (o.chainInstanceContainment !== undefined && (entry.kind !== 'guardduty-finding' || entry.playbook !== 'credential-compromise')) {
      throw new Error(`catalogOverrides.${id}.chainInstanceContainment: only credential-compromise finding entries can chain into ec2-compromise`);
    }
  }
  return Object.freeze(catalog.map((e) => {
    const o = overrides[e.id];
    if (!o) return e;
    const { chainInstanceContainment, ...common } = o;
    return e.kind === 'guardduty-finding' ? { ...e, ...common, ...(chainInstanceContainment === undefined ? {} : { chainInstanceContainment }) } : { ...e, ...common };
  }));
}

/** The playbooks named by the catalog, without duplicates, in catalog order. */
export function catalogPlaybooks(catalog: readonly CatalogEntry[] = CATALOG): string[] {
  return [...new Set(catalog.map((e) => e.playbook))];
}

/** The subset of a GuardDuty finding the catalog matches on. */
export interface CatalogMatchInput {
  readonly source: string;
  readonly detailType: string;
  readonly findingType: string;
  readonly resourceType: string;
  readonly resourceRole?: string;
  readonly severity: number;
}

/**
 * Finds the catalog entry that covers a finding, with the same semantics as the generated
 * EventBridge patterns (prefix match on type, exact match on resource type and role, numeric
 * severity band).
 * @param finding - the normalized fields of the finding.
 * @param catalog - defaults to {@link CATALOG}.
 * @returns the first matching entry, or `undefined` when no entry covers the finding.
 */
export function matchCatalogEntry(
  finding: CatalogMatchInput,
  catalog: readonly CatalogEntry[] = CATALOG,
): GuardDutyEntry | undefined {
  return catalog.find(
    (e): e is GuardDutyEntry =>
      e.kind === 'guardduty-finding' &&
      e.source === finding.source &&
      e.detailType === finding.detailType &&
      e.resourceType === finding.resourceType &&
      e.resourceRole === finding.resourceRole &&
      e.findingTypePrefixes.some((p) => finding.findingType.startsWith(p)) &&
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
