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

/** Every catalog entry's rule name and pattern. */
export function catalogRules(catalog: readonly CatalogEntry[] = CATALOG): { entry: CatalogEntry; ruleName: string; pattern: EventPattern; eventBus: 'default' | 'firebreak' }[] {
  return catalog.map((entry) => ({ entry, ruleName: ruleNameFor(entry), pattern: eventPatternFor(entry), eventBus: entry.eventBus }));
}
