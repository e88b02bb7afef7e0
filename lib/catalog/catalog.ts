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
export const ResponseModeSchema = z.enum(['auto', 'notify']);
/** `auto` contains without a human; `notify` opens a case and notifies only. */
export type ResponseMode = z.infer<typeof ResponseModeSchema>;

/** One catalog entry. Its `id` becomes part of the EventBridge rule's name, so keep it stable. */
export const CatalogEntrySchema = z.object({
  /** Stable identifier, `[a-z0-9-]+`. */
  id: z.string().regex(/^[a-z0-9-]+$/),
  /** The playbook (state machine) that handles the finding, and the runbook folder's name. */
  playbook: z.enum(['ec2-compromise', 'credential-compromise']),
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
});
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

const ENTRIES: CatalogEntry[] = [
  {
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
];

/**
 * The validated catalog. Validation runs at import: a malformed entry fails synth and every test.
 * @throws {z.ZodError} when an entry is malformed (a programming error, caught by the unit tests).
 */
export const CATALOG: readonly CatalogEntry[] = Object.freeze(z.array(CatalogEntrySchema).parse(ENTRIES));

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
): CatalogEntry | undefined {
  return catalog.find(
    (e) =>
      e.source === finding.source &&
      e.detailType === finding.detailType &&
      e.resourceType === finding.resourceType &&
      e.resourceRole === finding.resourceRole &&
      e.findingTypePrefixes.some((p) => finding.findingType.startsWith(p)) &&
      finding.severity >= e.minSeverity &&
      (e.maxSeverityExclusive === undefined || finding.severity < e.maxSeverityExclusive),
  );
}
