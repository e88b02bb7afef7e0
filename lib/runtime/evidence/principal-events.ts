import { CloudTrailClient, LookupEventsCommand, type Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import { hasAwsCode } from '../aws-errors';
import { LOOKUP_MAX_RESULTS, LOOKUP_MIN_INTERVAL_MS, LOOKUP_PAGE_CAP, LOOKUP_THROTTLE_RETRIES, PrincipalLookup } from './principal-lookup';
import '../clients/cloudtrail';

/**
 * The CloudTrail records of a principal around a finding (credential-compromise, cloudtrail-tamper: issue 16, item 4),
 * read with CloudTrail `LookupEvents` in the member account (AWS CloudTrail API Reference,
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html):
 * - one lookup attribute per call: "Currently the list can contain only one item"; the keys are `EventId | EventName |
 *   ReadOnly | Username | ResourceType | ResourceName | EventSource | AccessKeyId`
 *   (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupAttribute.html). Firebreak takes
 *   `Username` for an IAM user (every key of the user, an attacker's new key included) and `AccessKeyId` for a role
 *   session (the session's temporary key: the role's name would bring every other session of the role), else
 *   `Username` with the session name ({@link lookupAttributeOf});
 * - at most {@link LOOKUP_MAX_RESULTS} events per page, at most {@link LOOKUP_PAGE_CAP} pages, about
 *   {@link LOOKUP_BYTE_CAP} characters of records and {@link LOOKUP_TIME_BUDGET_MS} of paging per Region: a principal
 *   that made more (or larger) calls in the window, or a lookup slowed by throttling, has its newest ones kept and the
 *   lookup is recorded `truncated` (and by which cap), never silently;
 * - "The rate of lookup requests is limited to two per second, per account, per Region. If this limit is exceeded, a
 *   throttling error occurs" (same page): the pages are paced {@link LOOKUP_MIN_INTERVAL_MS} apart, and a
 *   `ThrottlingException` (after the SDK's own retries) is waited out with a doubling back-off, at most
 *   {@link LOOKUP_THROTTLE_RETRIES} times;
 * - in the finding's Region and in us-east-1: IAM is a global service whose events CloudTrail records in US East
 *   (N. Virginia) ("Understanding global service events", AWS CloudTrail User Guide,
 *   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-global-service-events),
 *   so an attacker's CreateAccessKey or AttachUserPolicy is there whatever Region the finding names;
 * - over {@link LOOKUP_WINDOW_BEFORE_MS} before the finding's time to the lookup's time. Event history keeps 90 days.
 */

/**
 * At most this many characters of records (`CloudTrailEvent` text) per Region, 8 MiB (here, not in principal-lookup.ts:
 * PlanDryRun's bundle has no room for it): a principal's calls can carry up to 100 KB of `requestParameters` and as much
 * of `responseElements` each ("CloudTrail record contents",
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html), so 10
 * pages of 50 in two Regions could be 200 MB, beyond the step's 256 MB of memory once written out; the lookup stops at
 * the page that reaches it and is recorded truncated (`truncatedBy: 'bytes'`).
 */
export const LOOKUP_BYTE_CAP = 8 * 1024 * 1024;

/**
 * At most this long (ms) of paging per Region, 30 s: a page is started only within it (the first always is). Under
 * throttling (the 2/s per account and Region is shared with every other reader of the event history) a page can take
 * 1 + 2 + 4 s of back-off, so 10 pages in two Regions could outlast the step's 120 s timeout, be retried from the start,
 * and delay the case's page by minutes; the lookup stops instead and is recorded truncated (`truncatedBy: 'time'`).
 */
export const LOOKUP_TIME_BUDGET_MS = 30_000;

/** What one Region's lookup read. */
export interface RegionLookup {
  readonly region: string;
  readonly pages: number;
  /** The page cap or the byte cap stopped the lookup with more pages left (`NextToken`): the oldest events of the window are missing. */
  readonly truncated: boolean;
  /** Which cap stopped it, when truncated: `pages` ({@link LOOKUP_PAGE_CAP}), `bytes` ({@link LOOKUP_BYTE_CAP}) or `time` ({@link LOOKUP_TIME_BUDGET_MS}). */
  readonly truncatedBy?: 'pages' | 'bytes' | 'time';
  /** Where {@link lookupAroundFinding} split the window (the finding's time, ISO-8601 UTC). */
  readonly splitAt?: string;
  /** The events as LookupEvents returned them, newest first (`CloudTrailEvent` the record's JSON text). */
  readonly events: CloudTrailLookupEvent[];
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One LookupEvents page, a throttled one waited out ({@link LOOKUP_THROTTLE_RETRIES}). */
async function lookupPage(cloudtrail: CloudTrailClient, input: LookupEventsCommand['input'], sleep: (ms: number) => Promise<void>) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await cloudtrail.send(new LookupEventsCommand(input));
    } catch (err) {
      if (!hasAwsCode(err, 'ThrottlingException', 'Throttling') || attempt >= LOOKUP_THROTTLE_RETRIES) throw err;
      await sleep(1000 * 2 ** attempt);
    }
  }
}

/**
 * Looks up a principal's events in one Region (see the module's comment): pages of {@link LOOKUP_MAX_RESULTS}, paced,
 * at most `pageCap` of them.
 * @param cloudtrail - CloudTrail in the member account and the Region (responder role, `cloudtrail:LookupEvents`).
 * @param input - the attribute, the window (ISO-8601 UTC), the Region (for the record), the page cap.
 * @param sleep - waits (injected by tests). @default setTimeout
 * @param now - the clock (ms) the time budget is measured by (injected by tests). @default Date.now
 * @returns the events and whether the cap cut the lookup short.
 * @throws the SDK's error when a page fails (a throttled one after the back-off).
 */
export async function lookupPrincipalEvents(
  cloudtrail: CloudTrailClient,
  input: { lookup: PrincipalLookup; start: string; end: string; region: string; pageCap?: number; byteCap?: number; budgetMs?: number },
  sleep: (ms: number) => Promise<void> = sleepMs,
  now: () => number = Date.now,
): Promise<RegionLookup> {
  const started = now();
  const cap = input.pageCap ?? LOOKUP_PAGE_CAP;
  const byteCap = input.byteCap ?? LOOKUP_BYTE_CAP;
  const budgetMs = input.budgetMs ?? LOOKUP_TIME_BUDGET_MS;
  const events: CloudTrailLookupEvent[] = [];
  let token: string | undefined;
  let pages = 0;
  let chars = 0;
  do {
    if (pages > 0) await sleep(LOOKUP_MIN_INTERVAL_MS);
    const page = await lookupPage(
      cloudtrail,
      {
        LookupAttributes: [{ AttributeKey: input.lookup.key, AttributeValue: input.lookup.value }],
        StartTime: new Date(input.start),
        EndTime: new Date(input.end),
        MaxResults: LOOKUP_MAX_RESULTS,
        NextToken: token,
      },
      sleep,
    );
    pages++;
    events.push(...(page.Events ?? []));
    chars += (page.Events ?? []).reduce((n, e) => n + (e.CloudTrailEvent?.length ?? 0), 0);
    token = page.NextToken;
  } while (token && pages < cap && chars < byteCap && now() - started < budgetMs);
  const truncatedBy = !token ? undefined : chars >= byteCap ? 'bytes' : pages < cap ? 'time' : 'pages';
  return { region: input.region, pages, truncated: Boolean(token), ...(truncatedBy ? { truncatedBy } : {}), events };
}

/**
 * A principal's events in one Region as two lookups split at the finding's time `at`, each with half the page cap, byte
 * cap and time budget: `at` to `end`, then `start` to `at`. Each lookup keeps its newest events, so a principal that made
 * hundreds of calls after the finding (a recon tool; a revoked role session's denied calls are recorded too) cannot push
 * out the records up to the finding, which one lookup over the whole window would drop first. Newest first; an event
 * at `at` itself (both windows hold it) kept once.
 * @param input - the attribute, the window and the finding's time (ISO-8601 UTC, `start` ≤ `at` ≤ `end`), the Region.
 * @returns the merged lookup: pages of both, `truncated` when either was, `splitAt` the finding's time.
 * @throws the SDK's error when a page fails (a throttled one after the back-off).
 */
export async function lookupAroundFinding(
  cloudtrail: CloudTrailClient,
  input: { lookup: PrincipalLookup; start: string; at: string; end: string; region: string },
  sleep: (ms: number) => Promise<void> = sleepMs,
  now: () => number = Date.now,
): Promise<RegionLookup> {
  const half = { pageCap: LOOKUP_PAGE_CAP / 2, byteCap: LOOKUP_BYTE_CAP / 2, budgetMs: LOOKUP_TIME_BUDGET_MS / 2 };
  const { lookup, region } = input;
  const after = await lookupPrincipalEvents(cloudtrail, { lookup, region, start: input.at, end: input.end, ...half }, sleep, now);
  await sleep(LOOKUP_MIN_INTERVAL_MS);
  const before = await lookupPrincipalEvents(cloudtrail, { lookup, region, start: input.start, end: input.at, ...half }, sleep, now);
  const seen = new Set(after.events.map((e) => e.EventId));
  const truncatedBy = before.truncatedBy ?? after.truncatedBy;
  return {
    region,
    pages: after.pages + before.pages,
    truncated: after.truncated || before.truncated,
    ...(truncatedBy ? { truncatedBy } : {}),
    splitAt: input.at,
    events: [...after.events, ...before.events.filter((e) => !seen.has(e.EventId))],
  };
}
