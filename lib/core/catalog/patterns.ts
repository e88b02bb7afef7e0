import { DEFAULT_NAME_PREFIX } from '../names';
import { CATALOG, CatalogEntry, NOTIFY_ONLY_PLAYBOOKS, severityFloorOf } from './catalog';

/** An EventBridge event pattern, as CloudFormation's `AWS::Events::Rule.EventPattern` takes it. */
export type EventPattern = Record<string, unknown>;

/**
 * Builds the EventBridge pattern of one catalog entry.
 *
 * GuardDuty entries match on `detail.resource.resourceType` (exact values, or `anything-but` for the
 * triage entry), numeric matching on `detail.severity` and, for the entries with a finding-type filter,
 * `prefix` or `anything-but` `prefix` on `detail.type`, and, for the entries with a node-instance filter, `exists` on
 * `detail.resource.instanceDetails.instanceId` ("Content filtering in Amazon EventBridge event patterns", EventBridge
 * User Guide: `exists: false` matches an absent field); API-call entries on the call.
 * @param entry - a validated catalog entry.
 * @returns the pattern object; it matches exactly the findings {@link matchCatalogEntry} accepts.
 */
export function eventPatternFor(entry: CatalogEntry): EventPattern {
  if (entry.kind === 'api-call') {
    return {
      source: [...entry.sources],
      'detail-type': [entry.detailType],
      detail: {
        eventSource: [...entry.eventSources],
        eventName: [...entry.eventNames],
        // Failed calls (AccessDenied, ...) changed nothing and must not trigger a response.
        errorCode: [{ exists: false }],
        ...(entry.userIdentityTypes ? { userIdentity: { type: [...entry.userIdentityTypes] } } : {}),
      },
    };
  }
  const severity: (string | number)[] = ['>=', entry.minSeverity];
  if (entry.maxSeverityExclusive !== undefined) severity.push('<', entry.maxSeverityExclusive);
  const r = entry.resourceTypes;
  const t = entry.findingTypes;
  return {
    source: [entry.source],
    'detail-type': [entry.detailType],
    detail: {
      resource: {
        resourceType: 'anyOf' in r ? [...r.anyOf] : [{ 'anything-but': [...r.noneOf] }],
        ...(entry.nodeInstance ? { instanceDetails: { instanceId: [{ exists: entry.nodeInstance === 'present' }] } } : {}),
      },
      severity: [{ numeric: severity }],
      ...(t ? { type: ['prefix' in t ? { prefix: t.prefix } : { 'anything-but': { prefix: t.notPrefix } }] } : {}),
    },
  };
}

/** The name of the rule that counts GuardDuty findings below the severity floor (default prefix). */
export const BELOW_FLOOR_RULE_NAME = belowFloorRuleName();

/**
 * The name of the rule that counts GuardDuty findings below the severity floor, for a name prefix.
 * @param prefix - the deployment's name prefix (lib/core/names.ts). @default DEFAULT_NAME_PREFIX
 */
export function belowFloorRuleName(prefix: string = DEFAULT_NAME_PREFIX): string {
  return `${prefix}-below-floor`;
}

/**
 * The rule for GuardDuty findings below the severity floor: they open no case, and are counted (the
 * rule's target is a log group with a metric filter, `Firebreak/FindingsBelowFloor` by finding type).
 * @param floor - the severity floor. @default the catalog's
 * @param prefix - the deployment's name prefix. @default DEFAULT_NAME_PREFIX
 */
export function belowFloorRule(
  floor: number = severityFloorOf(CATALOG),
  prefix: string = DEFAULT_NAME_PREFIX,
): { ruleName: string; pattern: EventPattern } {
  return {
    ruleName: belowFloorRuleName(prefix),
    pattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'], detail: { severity: [{ numeric: ['<', floor] }] } },
  };
}

/** The name of the EventBridge rule generated for a catalog entry, with the default prefix (`firebreak-<entry id>`). */
export function ruleNameFor(entry: CatalogEntry): string {
  return prefixedRuleNameFor(entry, DEFAULT_NAME_PREFIX);
}

/**
 * The name of the EventBridge rule generated for a catalog entry, for a name prefix.
 * @param entry - the entry.
 * @param prefix - the deployment's name prefix (lib/core/names.ts).
 * @returns `<prefix>-<entry id>`.
 */
export function prefixedRuleNameFor(entry: CatalogEntry, prefix: string): string {
  return `${prefix}-${entry.id}`;
}

/** The `source` of game-day events (`firebreak gameday --target aws`): `aws.*` sources cannot be forged with PutEvents. */
export const GAMEDAY_SOURCE = 'firebreak.gameday';

/** The security account in rule listings that name no deployment: 12 digits, never a real account's. */
export const SECURITY_ACCOUNT_PLACEHOLDER = '000000000000';

/**
 * The game-day twin of a GuardDuty entry's pattern: the same finding shape, from {@link GAMEDAY_SOURCE}
 * on the `firebreak` bus, carrying `detail.firebreakGameDay.runId`, and sent by the security account
 * (`account`). Decide then acts only on a resource tagged `firebreak:gameday=<runId>` (DESIGN.md §2:
 * "A game-day event may only act on resources tagged as game-day targets").
 *
 * The `account` of an event put with PutEvents is the account that called PutEvents, and "rules with
 * an account field do not match any events sent from other accounts" (EventBridge API Reference,
 * PutPermission, `Principal`: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html);
 * an event a rule forwards to another account's bus keeps the `account` of the account it came from
 * ("Sending and receiving events between AWS accounts in Amazon EventBridge", EventBridge User Guide:
 * the receiver's rules match "events from the sender account",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html). So a member account
 * that puts or forwards a game-day event onto the `firebreak` bus matches no game-day rule.
 * @param entry - a GuardDuty catalog entry.
 * @param securityAccount - the security account's ID (in single-account mode, the deployment's own
 *   account; a CDK token is fine).
 */
export function gameDayPatternFor(entry: CatalogEntry & { kind: 'guardduty-finding' }, securityAccount: string): EventPattern {
  const base = eventPatternFor(entry) as { detail: Record<string, unknown> };
  return {
    ...base,
    source: [GAMEDAY_SOURCE],
    account: [securityAccount],
    detail: { ...base.detail, firebreakGameDay: { runId: [{ exists: true }] } },
  };
}

/**
 * The playbooks without game-day rules: the notify-only ones, and attack-sequence, whose containments are chained runs of
 * the playbooks that have them (a game day exercises those directly).
 */
const WITHOUT_GAMEDAY_RULES: readonly string[] = [...NOTIFY_ONLY_PLAYBOOKS, 'attack-sequence'];

/**
 * Every rule the catalog generates: one per entry, on its bus, and for each GuardDuty entry of a
 * playbook that contains a game-day rule (`firebreak-gameday-<id>`) on the `firebreak` bus (game days
 * exercise containment; finding-triage only opens cases; attack-sequence only chains, {@link WITHOUT_GAMEDAY_RULES}), which only the security account's events match.
 * @param catalog - the effective catalog. @default CATALOG
 * @param securityAccount - the security account's ID, the only sender a game-day rule accepts
 *   ({@link gameDayPatternFor}). @default the placeholder {@link SECURITY_ACCOUNT_PLACEHOLDER}
 *   (for listings of the rules; a stack passes its security account)
 * @param prefix - the deployment's name prefix, which starts every rule name. @default DEFAULT_NAME_PREFIX
 */
export function catalogRules(
  catalog: readonly CatalogEntry[] = CATALOG,
  securityAccount: string = SECURITY_ACCOUNT_PLACEHOLDER,
  prefix: string = DEFAULT_NAME_PREFIX,
): { entry: CatalogEntry; ruleName: string; pattern: EventPattern; eventBus: 'default' | 'firebreak' }[] {
  return catalog.flatMap((entry) => [
    { entry, ruleName: prefixedRuleNameFor(entry, prefix), pattern: eventPatternFor(entry), eventBus: entry.eventBus },
    ...(entry.kind === 'guardduty-finding' && !WITHOUT_GAMEDAY_RULES.includes(entry.playbook)
      ? [
          {
            entry,
            ruleName: `${prefix}-gameday-${entry.id}`,
            pattern: gameDayPatternFor(entry, securityAccount),
            eventBus: 'firebreak' as const,
          },
        ]
      : []),
  ]);
}
