import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  ruleState,
  SUPPRESSION_RULE_ID_PATTERN,
  SuppressionReasonSchema,
  validateSuppressionRule,
  type SuppressionRule,
  type SuppressionRuleInput,
} from '../core/brakes/suppression';
import * as z from 'zod/mini';
import { parseOrThrow } from '../core/contracts/parse';
import { InvalidInput } from '../core/errors';
import type { Connection } from './connection';

/**
 * `firebreak suppress add | list | remove` (issue 14, item 5): suppression rules in the ledger table, each add and
 * remove recorded on the rule with who (the caller's ARN, STS GetCallerIdentity), when and why. The rules are kept in
 * the security account's ledger (lib/runtime/brakes/suppression-rules.ts); a member account cannot write them.
 */

/** A rule as `suppress list` shows it: the stored rule and where it stands now. */
export interface RuleView extends SuppressionRule {
  readonly state: 'active' | 'expired' | 'removed';
}

/**
 * Checks a rule before any AWS call (`suppress add`), at the local clock; the ledger write checks it again.
 * @throws {InvalidInput} naming the field ({@link validateSuppressionRule}).
 */
export function checkRule(input: unknown, now: Date = new Date()): SuppressionRuleInput {
  return validateSuppressionRule(input, now);
}

/** The caller's ARN, as STS names it: who adds or removes a rule. */
async function callerOf(conn: Pick<Connection, 'sts'>): Promise<string> {
  return (await conn.sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'unknown';
}

/**
 * Adds a rule (`suppress add`), by the caller.
 * @returns the stored rule, with its ID.
 * @throws {InvalidInput} naming the field of an invalid rule.
 */
export async function addRule(conn: Pick<Connection, 'ledger' | 'sts'>, input: unknown): Promise<SuppressionRule> {
  checkRule(input);
  return conn.ledger.suppressions.add(input, await callerOf(conn));
}

/**
 * Every rule with its state now (`suppress list`): active, expired and removed, oldest first.
 * @param filter.active - only the rules that apply now.
 */
export async function listRules(conn: Pick<Connection, 'ledger'>, filter: { active?: boolean } = {}): Promise<RuleView[]> {
  const now = new Date();
  const rules = (await conn.ledger.suppressions.list()).map((r) => ({ ...r, state: ruleState(r, now) }));
  return filter.active ? rules.filter((r) => r.state === 'active') : rules;
}

/**
 * Removes a rule (`suppress remove`), by the caller, with a reason: it stops applying at once and stays listed.
 * @throws {InvalidInput} for a malformed ID or an empty reason (before any AWS call), an unknown or already removed rule.
 */
export async function removeRule(conn: Pick<Connection, 'ledger' | 'sts'>, ruleId: string, reason: string): Promise<SuppressionRule> {
  assertRuleInput(ruleId, reason);
  return conn.ledger.suppressions.remove(ruleId, await callerOf(conn), reason.trim());
}

/** @throws {InvalidInput} for a malformed rule ID or a reason that is empty, too long or holds control characters. */
export function assertRuleInput(ruleId: string, reason: string | undefined): void {
  if (!SUPPRESSION_RULE_ID_PATTERN.test(ruleId)) throw new InvalidInput(`${ruleId} is not a suppression rule ID (sr-<12 hex digits>)`);
  parseOrThrow(z.object({ reason: SuppressionReasonSchema }), { reason: reason?.trim() ?? '' }, 'options');
}
