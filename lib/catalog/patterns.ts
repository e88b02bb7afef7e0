import { CATALOG, CatalogEntry, NOTIFY_ONLY_PLAYBOOKS, severityFloorOf } from './catalog';

/** An EventBridge event pattern, as CloudFormation's `AWS::Events::Rule.EventPattern` takes it. */
export type EventPattern = Record<string, unknown>;

/**
 * Builds the EventBridge pattern of one catalog entry.
 *
 * GuardDuty entries match on `detail.resource.resourceType` (exact values, or `anything-but` for the
 * triage entry) and numeric matching on `detail.severity` ("Content filtering in Amazon EventBridge
 * event patterns", EventBridge User Guide); API-call entries on the call.
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
  return {
    source: [entry.source],
    'detail-type': [entry.detailType],
    detail: {
      resource: { resourceType: 'anyOf' in r ? [...r.anyOf] : [{ 'anything-but': [...r.noneOf] }] },
      severity: [{ numeric: severity }],
    },
  };
}

/** The name of the rule that counts GuardDuty findings below the severity floor. */
export const BELOW_FLOOR_RULE_NAME = 'firebreak-below-floor';

/**
 * The rule for GuardDuty findings below the severity floor: they open no case, and are counted (the
 * rule's target is a log group with a metric filter, `Firebreak/FindingsBelowFloor` by finding type).
 * @param floor - the severity floor. @default the catalog's
 */
export function belowFloorRule(floor: number = severityFloorOf(CATALOG)): { ruleName: string; pattern: EventPattern } {
  return {
    ruleName: BELOW_FLOOR_RULE_NAME,
    pattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'], detail: { severity: [{ numeric: ['<', floor] }] } },
  };
}

/** The name of the EventBridge rule generated for a catalog entry. */
export function ruleNameFor(entry: CatalogEntry): string {
  return `firebreak-${entry.id}`;
}

/** The `source` of game-day events (`firebreak gameday --target aws`): `aws.*` sources cannot be forged with PutEvents. */
export const GAMEDAY_SOURCE = 'firebreak.gameday';

/**
 * The game-day twin of a GuardDuty entry's pattern: the same finding shape, from {@link GAMEDAY_SOURCE}
 * on the `firebreak` bus, carrying `detail.firebreakGameDay.runId`. Decide then acts only on a
 * resource tagged `firebreak:gameday=<runId>` (DESIGN.md §2: "A game-day event may only act on
 * resources tagged as game-day targets").
 */
export function gameDayPatternFor(entry: CatalogEntry & { kind: 'guardduty-finding' }): EventPattern {
  const base = eventPatternFor(entry) as { detail: Record<string, unknown> };
  return { ...base, source: [GAMEDAY_SOURCE], detail: { ...base.detail, firebreakGameDay: { runId: [{ exists: true }] } } };
}

/**
 * Every rule the catalog generates: one per entry, on its bus, and for each GuardDuty entry of a
 * playbook that contains a game-day rule (`firebreak-gameday-<id>`) on the `firebreak` bus (game days
 * exercise containment; finding-triage only opens cases).
 */
export function catalogRules(catalog: readonly CatalogEntry[] = CATALOG): { entry: CatalogEntry; ruleName: string; pattern: EventPattern; eventBus: 'default' | 'firebreak' }[] {
  return catalog.flatMap((entry) => [
    { entry, ruleName: ruleNameFor(entry), pattern: eventPatternFor(entry), eventBus: entry.eventBus },
    ...(entry.kind === 'guardduty-finding' && !NOTIFY_ONLY_PLAYBOOKS.includes(entry.playbook)
      ? [{ entry, ruleName: `firebreak-gameday-${entry.id}`, pattern: gameDayPatternFor(entry), eventBus: 'firebreak' as const }]
      : []),
  ]);
}
