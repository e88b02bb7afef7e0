import type { Breaker, Hold } from '../../core/brakes';
import type { Incident } from '../../core/incident/incident';

/**
 * The blast-radius breaker (issue 14, item 2), its pure part: how many automatic containments a breaker item holds in
 * its sliding window, whether one more may go, and what the claim's transaction writes to count it. The items live in
 * the ledger table (lib/runtime/ledger/breaker.ts reads and writes them):
 * - one per member account, `pk = BREAKER#account#<account>`, and one for the organisation, `pk = BREAKER#organization`,
 *   `sk = BREAKER`: `cases` (case ID → ISO time it was counted), `version` (optimistic concurrency: each count is
 *   conditional on the version read), `limits` (the deployment's, as the last count wrote them), `trippedAt` (set once when a trip is paged; removed by the next count admitted,
 *   and by a reset);
 * - under the same `pk`: `sk = HELD#<caseId>` for each case the breaker held, and `sk = TL#<at>#<hex>` the breaker's
 *   own timeline (trips, resets).
 */

/**
 * Whether the breaker counts (and may hold) an incident's containment: a finding's automatic one only. Not a manual
 * start, not a dry run, and not a game-day event (a drill on a tagged canary: counted, a game day would trip the
 * breaker and hold real incidents in production).
 */
export const breakerCounts = (i: Incident): boolean => i.trigger === 'auto' && !i.dryRun;

/** Which breaker item: a member account's, or the organisation's. */
export type BreakerScope = 'account' | 'organization';

/** A breaker item as stored. */
export interface BreakerItem {
  readonly pk: string;
  readonly sk: 'BREAKER';
  readonly scope: BreakerScope;
  /** Case ID → ISO-8601 UTC time the case was counted. */
  readonly cases: Record<string, string>;
  readonly version: number;
  /** When the current trip was paged (absent: not paged since the last count admitted or reset). */
  readonly trippedAt?: string;
  /** The held case paging the current trip, until its page is confirmed sent (lib/runtime/ledger/breaker.ts markTripped). */
  readonly pagingCase?: string;
  /** The deployment's limits as the last count wrote them (what `firebreak breaker status` shows). */
  readonly limits?: Breaker;
}

/** Both items one containment is counted on, as read (`undefined`: never written). */
export interface BreakerView {
  readonly account: string;
  readonly accountItem: BreakerItem | undefined;
  readonly organizationItem: BreakerItem | undefined;
}

/** The partition key of a breaker item. */
export const breakerPk = (scope: BreakerScope, account?: string): string =>
  scope === 'account' ? `BREAKER#account#${account}` : 'BREAKER#organization';

/** The cases an item counts within the window ending `now` (case ID → time), the older ones dropped. */
export function liveCases(item: BreakerItem | undefined, now: Date, windowSeconds: number): Record<string, string> {
  const since = now.getTime() - windowSeconds * 1000;
  return Object.fromEntries(Object.entries(item?.cases ?? {}).filter(([, at]) => Date.parse(at) > since));
}

/** Whether a case is counted already on both items (a re-run of a containment admitted before: it is not counted again). */
export const isCounted = (view: BreakerView, caseId: string | undefined): boolean =>
  !!caseId && caseId in (view.accountItem?.cases ?? {}) && caseId in (view.organizationItem?.cases ?? {});

/**
 * The hold the breaker puts on one more automatic containment, or `undefined` when there is room on both items.
 * @param view - both items as read.
 * @param limits - the deployment's breaker.
 * @param now - the clock.
 * @param caseId - the case this run resumes, when it does: a case already counted is never held.
 */
export function breakerHold(view: BreakerView, limits: Breaker, now: Date, caseId?: string): Hold | undefined {
  if (isCounted(view, caseId)) return undefined;
  const window = limits.windowSeconds;
  const inAccount = Object.keys(liveCases(view.accountItem, now, window)).length;
  if (inAccount >= limits.perAccount)
    return {
      brake: 'breaker',
      rule: 'account',
      entry: breakerPk('account', view.account),
      reason: `blast-radius breaker tripped: ${inAccount} automatic containments in account ${view.account} in the last ${window} s (breaker.perAccount ${limits.perAccount}); containment waits for approval`,
    };
  const inOrganization = Object.keys(liveCases(view.organizationItem, now, window)).length;
  if (inOrganization >= limits.perOrganization)
    return {
      brake: 'breaker',
      rule: 'organization',
      entry: breakerPk('organization'),
      reason: `blast-radius breaker tripped: ${inOrganization} automatic containments in the organisation in the last ${window} s (breaker.perOrganization ${limits.perOrganization}); containment waits for approval`,
    };
  return undefined;
}

/**
 * The Updates that count a case on both items, for the claim's TransactWriteItems: each sets the item's window to its
 * live cases plus this one, moves its version on and removes `trippedAt`, conditional on the version read (or on the
 * item not existing), so two runs counting at once cannot both pass on one read ("Condition expressions",
 * DynamoDB Developer Guide; a failed condition cancels the whole transaction: "TransactWriteItems", DynamoDB API
 * Reference). None when the case is counted already.
 */
export function countUpdates(view: BreakerView, limits: Breaker, tableName: string, caseId: string, now: Date) {
  if (isCounted(view, caseId)) return [];
  const one = (scope: BreakerScope, item: BreakerItem | undefined) => ({
    Update: {
      TableName: tableName,
      Key: { pk: breakerPk(scope, view.account), sk: 'BREAKER' },
      UpdateExpression: 'SET #cases = :cases, #version = :next, #scope = :scope, #limits = :limits REMOVE #tripped',
      ExpressionAttributeNames: {
        '#cases': 'cases',
        '#version': 'version',
        '#scope': 'scope',
        '#tripped': 'trippedAt',
        '#limits': 'limits',
        ...(item ? {} : { '#pk': 'pk' }),
      },
      ExpressionAttributeValues: {
        ':cases': { ...liveCases(item, now, limits.windowSeconds), [caseId]: now.toISOString() },
        ':next': (item?.version ?? 0) + 1,
        ':scope': scope,
        ':limits': limits,
        ...(item ? { ':v': item.version } : {}),
      },
      ConditionExpression: item ? '#version = :v' : 'attribute_not_exists(#pk)',
    },
  });
  return [one('account', view.accountItem), one('organization', view.organizationItem)];
}
