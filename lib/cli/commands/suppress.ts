import type { SuppressionRule } from '../../core/brakes/suppression';
import { connect, ConnectOptions } from '../../operator/connection';
import { addRule, assertRuleInput, checkRule, listRules, removeRule, type RuleView } from '../../operator/suppress';
import { ExitCode, Output } from '../output';

/** Options of `firebreak suppress add`. */
export interface SuppressAddOptions extends ConnectOptions {
  /** Finding type, exact or `prefix*`. */
  readonly type?: string;
  readonly resource?: string;
  readonly principal?: string;
  readonly account?: string;
  /** ISO-8601 UTC. */
  readonly expires?: string;
  readonly reason?: string;
  readonly json?: boolean;
}

/**
 * `firebreak suppress add [--type T] [--resource R] [--principal P] [--account ID] --expires ISO --reason TEXT`: adds a
 * suppression rule, by the caller (lib/operator/suppress.ts). The rule is checked before any AWS call.
 * @returns 0.
 * @throws {InvalidInput} naming the field of an invalid rule (exit 2, no AWS call).
 */
export async function suppressAddCommand(o: SuppressAddOptions, output: Output): Promise<number> {
  const input = {
    ...(o.type !== undefined ? { findingType: o.type } : {}),
    ...(o.resource !== undefined ? { resource: o.resource } : {}),
    ...(o.principal !== undefined ? { principal: o.principal } : {}),
    ...(o.account !== undefined ? { account: o.account } : {}),
    expiresAt: o.expires,
    reason: o.reason?.trim(),
  };
  checkRule(input);
  const rule = await addRule(await connect(o), input);
  if (o.json) output.out(JSON.stringify(rule, null, 2));
  else output.out(`Added suppression rule ${rule.id} by ${rule.createdBy}, until ${rule.expiresAt}: ${describeCriteria(rule)}`);
  return ExitCode.Ok;
}

/**
 * `firebreak suppress list [--active]`: every rule, active, expired and removed (or only the active ones), oldest first.
 * @returns 0.
 */
export async function suppressListCommand(o: ConnectOptions & { active?: boolean; json?: boolean }, output: Output): Promise<number> {
  const rules = await listRules(await connect(o), { active: o.active });
  if (o.json) output.out(JSON.stringify(rules, null, 2));
  else for (const line of renderRules(rules)) output.out(line);
  return ExitCode.Ok;
}

/**
 * `firebreak suppress remove <ruleId> --reason TEXT`: the rule stops applying at once; it stays listed, removed, with who
 * removed it, when and why.
 * @returns 0.
 * @throws {InvalidInput} for a malformed ID or reason (before any AWS call), an unknown or already removed rule.
 */
export async function suppressRemoveCommand(
  ruleId: string,
  o: ConnectOptions & { reason?: string; json?: boolean },
  output: Output,
): Promise<number> {
  assertRuleInput(ruleId, o.reason);
  const rule = await removeRule(await connect(o), ruleId, o.reason!);
  if (o.json) output.out(JSON.stringify(rule, null, 2));
  else output.out(`Removed suppression rule ${rule.id} by ${rule.removed?.by}: ${rule.removed?.reason}`);
  return ExitCode.Ok;
}

/** A rule's criteria in words. */
function describeCriteria(r: SuppressionRule): string {
  const parts = [
    r.findingType && `type ${r.findingType}`,
    r.resource && `resource ${r.resource}`,
    r.principal && `principal ${r.principal}`,
    r.account && `account ${r.account}`,
  ].filter(Boolean);
  return parts.join(', ');
}

/** `suppress list` as text: one line per rule, then its reason (and its removal) indented. */
export function renderRules(rules: readonly RuleView[]): string[] {
  if (rules.length === 0) return ['no suppression rules'];
  return rules.flatMap((r) => [
    `${r.id}  ${r.state.toUpperCase().padEnd(7)}  until ${r.expiresAt}  ${describeCriteria(r)}`,
    `    added by ${r.createdBy} at ${r.createdAt}: ${r.reason}`,
    ...(r.removed ? [`    removed by ${r.removed.by} at ${r.removed.at}: ${r.removed.reason ?? ''}`] : []),
  ]);
}
