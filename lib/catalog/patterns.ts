import { CATALOG, CatalogEntry } from './catalog';

/** An EventBridge event pattern, as CloudFormation's `AWS::Events::Rule.EventPattern` takes it. */
export type EventPattern = Record<string, unknown>;

/**
 * Builds the EventBridge pattern of one catalog entry.
 *
 * Uses prefix matching on `detail.type` and numeric matching on `detail.severity`
 * ("Content filtering in Amazon EventBridge event patterns", EventBridge User Guide).
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
  return {
    source: [entry.source],
    'detail-type': [entry.detailType],
    detail: {
      type: entry.findingTypePrefixes.map((prefix) => ({ prefix })),
      resource: { resourceType: [entry.resourceType] },
      service: { resourceRole: [entry.resourceRole] },
      severity: [{ numeric: severity }],
    },
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
 * Every rule the catalog generates: one per entry, on its bus, and for each GuardDuty entry a
 * game-day rule (`firebreak-gameday-<id>`) on the `firebreak` bus.
 */
export function catalogRules(catalog: readonly CatalogEntry[] = CATALOG): { entry: CatalogEntry; ruleName: string; pattern: EventPattern; eventBus: 'default' | 'firebreak' }[] {
  return catalog.flatMap((entry) => [
    { entry, ruleName: ruleNameFor(entry), pattern: eventPatternFor(entry), eventBus: entry.eventBus },
    ...(entry.kind === 'guardduty-finding'
      ? [{ entry, ruleName: `firebreak-gameday-${entry.id}`, pattern: gameDayPatternFor(entry), eventBus: 'firebreak' as const }]
      : []),
  ]);
}
