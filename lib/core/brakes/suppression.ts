import * as z from 'zod/mini';
import '../contracts/zod-locale';
import { parseOrThrow } from '../contracts/parse';
import { InvalidInput } from '../errors';
import type { Incident } from '../incident/incident';

/**
 * Suppression rules (issue 14, item 5), the pure part: what a rule is, how it is validated, and whether it matches an
 * incident. A rule is a person's documented decision that findings it matches are known and need no response: a
 * matching finding becomes a recorded case closed `SUPPRESSED`, with nothing changed and nobody notified. Rules live in
 * the ledger table (security account; lib/runtime/brakes/suppression-rules.ts) and are managed with `firebreak suppress`.
 *
 * Matching is literal: no regular expression is built from a rule, so a rule's characters mean only themselves, but a
 * single trailing `*` on the finding type (a prefix). Every field is printable ASCII without spaces (the reason: any
 * text without control characters), so what a rule says can be neither hidden nor reordered on a terminal.
 */

/** How far ahead a rule may expire: 90 days, so that every suppression is looked at again at least each quarter. */
export const MAX_SUPPRESSION_DAYS = 90;

/** A rule's ID: `sr-` and 12 hex digits. */
export const SUPPRESSION_RULE_ID_PATTERN = /^sr-[0-9a-f]{12}$/;

/** Printable ASCII without spaces (0x21–0x7e). */
const TOKEN = /^[\x21-\x7e]+$/;
/** A finding type, exact, or a prefix ending in one `*` (no other `*`): `Recon:EC2/*`, `Backdoor:EC2/C&CActivity.B!DNS`. */
const FINDING_TYPE = /^[\x21-\x29\x2b-\x7e]+\*?$/;
/** Text a person reads: no C0 or C1 control character (tab and newline included), no DEL, no bidirectional control. */
// eslint-disable-next-line no-control-regex
const TEXT = /^[^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+$/;
/** ISO-8601 UTC, to the second or millisecond: `2026-12-31T00:00:00Z`. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

const token = (max: number, what: string) =>
  z.string().check(z.minLength(1), z.maxLength(max), z.regex(TOKEN, `${what}: printable ASCII without spaces`));
const isoUtc = z.string().check(
  z.regex(ISO_UTC, 'ISO-8601 UTC, e.g. 2026-12-31T00:00:00Z'),
  z.refine((s) => !Number.isNaN(Date.parse(s)), 'not a valid date'),
);

/** What a rule matches on: each field given must match; a field left out matches anything. */
export const SuppressionCriteriaSchema = z.strictObject({
  /** A finding type (`finding.type`: GuardDuty's, or `<eventSource>:<eventName>` for an API call), exact or `prefix*`. */
  findingType: z.optional(
    z.string().check(z.minLength(1), z.maxLength(256), z.regex(FINDING_TYPE, 'exact, or a prefix ending in one *, printable ASCII')),
  ),
  /** A resource, exact: an instance ID, an access key ID, a trail name or ARN, a bucket name, a resource's ARN. */
  resource: z.optional(token(2048, 'resource')),
  /** A principal, exact: an IAM user or role name, a principal ARN or ID. */
  principal: z.optional(token(2048, 'principal')),
  /** A member account ID. */
  account: z.optional(z.string().check(z.regex(/^\d{12}$/, 'a 12-digit account ID'))),
});
/** A rule's criteria. */
export type SuppressionCriteria = z.infer<typeof SuppressionCriteriaSchema>;

/** Why a rule is added or removed: 1 to 512 characters, no control characters. */
export const SuppressionReasonSchema = z.string().check(z.minLength(1), z.maxLength(512), z.regex(TEXT, 'no control characters'));

/** What `firebreak suppress add` gives: criteria, an expiry and a reason. */
export const SuppressionRuleInputSchema = z.extend(SuppressionCriteriaSchema, {
  /** When the rule stops applying, ISO-8601 UTC; at most {@link MAX_SUPPRESSION_DAYS} ahead. */
  expiresAt: isoUtc,
  /** Why the findings need no response (1 to 512 characters). */
  reason: SuppressionReasonSchema,
});
/** A rule as given to `suppress add`. */
export type SuppressionRuleInput = z.infer<typeof SuppressionRuleInputSchema>;

/** Who did something to a rule, when, and why. */
export const RuleActSchema = z.object({ by: z.string(), at: z.string(), reason: z.optional(z.string()) });

/** A stored rule: its input, its ID, who added it and when, and its removal when it was removed (never deleted). */
export const SuppressionRuleSchema = z.extend(SuppressionRuleInputSchema, {
  id: z.string().check(z.regex(SUPPRESSION_RULE_ID_PATTERN)),
  createdBy: z.string(),
  /** ISO-8601 UTC. */
  createdAt: z.string(),
  removed: z.optional(RuleActSchema),
});
/** A stored rule. */
export type SuppressionRule = z.infer<typeof SuppressionRuleSchema>;

/** What a case records of the rule that suppressed it (`$.case.suppression`, the timeline). */
export const SuppressionMatchSchema = z.object({
  ruleId: z.string(),
  reason: z.string(),
  /** Who added the rule. */
  by: z.string(),
  expiresAt: z.string(),
});
/** The rule that suppressed a case. */
export type SuppressionMatch = z.infer<typeof SuppressionMatchSchema>;

/**
 * Validates a new rule at `now`.
 * @param input - the rule as given (untrusted).
 * @returns the parsed rule input.
 * @throws {InvalidInput} naming the field: a malformed field, no criterion (a rule must name at least a finding type, a
 *   resource or a principal: an account alone would silence a whole account), an expiry not after `now` or more than
 *   {@link MAX_SUPPRESSION_DAYS} days after it.
 */
export function validateSuppressionRule(input: unknown, now: Date): SuppressionRuleInput {
  const rule = parseOrThrow(SuppressionRuleInputSchema, input, 'suppression rule');
  if (rule.findingType === undefined && rule.resource === undefined && rule.principal === undefined)
    throw new InvalidInput(
      'Invalid suppression rule: give at least a finding type, a resource or a principal (an account alone is too broad)',
    );
  const expires = Date.parse(rule.expiresAt);
  if (expires <= now.getTime()) throw new InvalidInput(`Invalid suppression rule: expiresAt: ${rule.expiresAt} is not in the future`);
  if (expires > now.getTime() + MAX_SUPPRESSION_DAYS * 86_400_000)
    throw new InvalidInput(`Invalid suppression rule: expiresAt: at most ${MAX_SUPPRESSION_DAYS} days ahead (${rule.expiresAt})`);
  return rule;
}

/** Where a rule stands at a time: `active`, `expired` (its expiry passed: the expiry itself counts), or `removed`. */
export function ruleState(rule: Pick<SuppressionRule, 'expiresAt' | 'removed'>, now: Date): 'active' | 'expired' | 'removed' {
  if (rule.removed) return 'removed';
  return Date.parse(rule.expiresAt) <= now.getTime() ? 'expired' : 'active';
}

/** What a rule is matched against: the incident's finding type, account, and every name of its resource and principal. */
export interface SuppressionSubject {
  readonly findingType: string;
  readonly account: string;
  readonly resources: readonly string[];
  readonly principals: readonly string[];
}

const present = (values: readonly (string | undefined)[]): string[] => values.filter((v): v is string => !!v);

/**
 * The names an incident's resource and principal go by: an instance's ID; an access key's case key, key ID and
 * (instance credentials) instance ID, its user or role name and principal ID; an API call's case key and target, its
 * caller's ARN, user name, role name and principal ID; another GuardDuty resource's case key, name and ARN.
 */
export function suppressionSubjectOf(incident: Pick<Incident, 'finding' | 'account' | 'resource'>): SuppressionSubject {
  const r = incident.resource;
  const base = { findingType: incident.finding.type, account: incident.account };
  if (r.type === 'AccessKey')
    return { ...base, resources: present([r.id, r.accessKeyId, r.instanceId]), principals: present([r.userName, r.principalId]) };
  if (r.type === 'ApiCall')
    return {
      ...base,
      resources: present([r.id, r.target]),
      principals: present([r.actor.arn, r.actor.userName, r.actor.roleName, r.actor.principalId]),
    };
  if (r.type === 'GuardDutyResource') return { ...base, resources: present([r.id, r.name, r.arn]), principals: [] };
  return { ...base, resources: [r.id], principals: [] };
}

/** Whether a finding type matches a rule's pattern: equal, or for `prefix*` starting with the prefix. */
export function findingTypeMatches(pattern: string, findingType: string): boolean {
  return pattern.endsWith('*') ? findingType.startsWith(pattern.slice(0, -1)) : findingType === pattern;
}

/** Whether a rule's criteria all hold for a subject (its state aside). */
export function criteriaMatch(rule: SuppressionCriteria, s: SuppressionSubject): boolean {
  return (
    (rule.findingType === undefined || findingTypeMatches(rule.findingType, s.findingType)) &&
    (rule.resource === undefined || s.resources.includes(rule.resource)) &&
    (rule.principal === undefined || s.principals.includes(rule.principal)) &&
    (rule.account === undefined || rule.account === s.account)
  );
}

/**
 * The rule that suppresses an incident at `now`, if any: an active rule ({@link ruleState}) whose criteria all hold,
 * the one with the smallest ID when several do. Only what a detector sent is suppressed: a dry run, a start by hand
 * (`firebreak run`) and a chained start (a case asked for it) never are.
 * @param rules - stored rules, in any order (expired and removed ones are skipped).
 * @param incident - the normalized incident.
 * @param now - the time of the check.
 * @returns what the case records of the rule, or `undefined`.
 */
export function findSuppression(
  rules: readonly SuppressionRule[],
  incident: Pick<Incident, 'finding' | 'account' | 'resource' | 'trigger' | 'dryRun' | 'chainedFrom'>,
  now: Date,
): SuppressionMatch | undefined {
  if (incident.dryRun || incident.trigger === 'manual' || incident.chainedFrom) return undefined;
  const subject = suppressionSubjectOf(incident);
  const rule = [...rules]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .find((r) => ruleState(r, now) === 'active' && criteriaMatch(r, subject));
  return rule && { ruleId: rule.id, reason: rule.reason, by: rule.createdBy, expiresAt: rule.expiresAt };
}
