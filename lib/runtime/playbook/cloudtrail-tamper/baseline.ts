import { GetEventSelectorsCommand, GetTrailCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hasAwsCode } from '../../aws-errors';
import type { TrailBaseline, TrailSettings } from './judge';
import { parseSelectors, type Selector } from './selectors';
import '../../clients/cloudtrail';
import '../../clients/dynamodb';

/**
 * The per-trail baseline (issue 14): what Firebreak itself last read of a trail's configuration, kept in the case ledger
 * so that the next change to the trail can be judged against the configuration before it.
 *
 * Why this is the "before", and why the member account cannot forge it: it is read by Firebreak (the responder role,
 * GetTrail and GetEventSelectors answered by CloudTrail, not by anything the member account runs) and written only by
 * Firebreak, in the security account's ledger, which no member account can write. It is recorded every time
 * JudgeTrailChange reads a trail, that is for every case on a trail; the first case on a trail finds none (that case's
 * change is judged on what its request alone shows, and goes to approval when that cannot tell).
 *
 * A baseline is only a "before" for a call made after it was read ({@link usableBaseline}): a baseline read after the
 * call (another case on the same trail ran first) already holds the call's own change, and is not used; the call is then
 * judged as if the configuration before it were unknown (approval), never as "unchanged".
 *
 * Item: `pk = TRAIL#<trail ARN>`, `sk = BASELINE`: `{ settings, selectors, readAt, caseId }`. Writes are conditional on
 * being newer (`readAt`), so two cases converge on the latest read whatever order they write in.
 */

/**
 * A baseline as stored: the configuration, when it was read (ISO-8601 UTC) and by which case (`record-trail-baselines` for the
 * scheduled read, record-trail-baselines.ts); `gone` when the read found no
 * trail (deleted): a trail created later under the same name starts with no baseline, not with the deleted one's.
 */
export interface StoredBaseline extends TrailBaseline {
  readonly readAt: string;
  readonly caseId: string;
  readonly gone?: boolean;
}

const keyOf = (trailArn: string) => ({ pk: `TRAIL#${trailArn}`, sk: 'BASELINE' });

/**
 * The ARN of the trail a call names (CloudTrail accepts a name or an ARN: "UpdateTrail", "PutEventSelectors", API Reference).
 * @param target - the trail's name or ARN, from the call's request parameters.
 */
export function trailArnOf(target: string, where: { partition: string; region: string; account: string }): string {
  return target.startsWith('arn:') ? target : `arn:${where.partition}:cloudtrail:${where.region}:${where.account}:trail/${target}`;
}

/**
 * Reads the stored baseline of a trail (strongly consistent).
 * @returns the baseline, or `undefined` when Firebreak never read the trail.
 */
export async function readBaseline(ddb: DynamoDBDocumentClient, table: string, trailArn: string): Promise<StoredBaseline | undefined> {
  const out = await ddb.send(new GetCommand({ TableName: table, Key: keyOf(trailArn), ConsistentRead: true }));
  return out.Item ? (out.Item as unknown as StoredBaseline) : undefined;
}

/**
 * Stores a baseline unless a newer one is stored already (conditional write; a lost condition is not an error).
 * @returns whether this write stored it.
 */
export async function storeBaseline(ddb: DynamoDBDocumentClient, table: string, trailArn: string, b: StoredBaseline): Promise<boolean> {
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: keyOf(trailArn),
        UpdateExpression: 'SET settings = :s, selectors = :x, readAt = :t, caseId = :c, gone = :g',
        ConditionExpression: 'attribute_not_exists(readAt) OR readAt < :t',
        ExpressionAttributeValues: { ':s': b.settings, ':x': b.selectors, ':t': b.readAt, ':c': b.caseId, ':g': b.gone === true },
      }),
    );
    return true;
  } catch (err) {
    if (hasAwsCode(err, 'ConditionalCheckFailedException')) return false;
    throw err;
  }
}

/** How much earlier than the call a baseline must have been read: the clocks of Lambda and CloudTrail may differ a little. */
export const BASELINE_CLOCK_MARGIN_MS = 1000;

/**
 * The baseline to judge a call with: only one read before the call was made, by {@link BASELINE_CLOCK_MARGIN_MS} at least.
 * CloudTrail's `eventTime` is truncated to the second, which only moves it earlier: a read in the same second as the call
 * is never taken for a read before it.
 * @param stored - the stored baseline, if any.
 * @param times - when the call was made: CloudTrail's `eventTime` and the EventBridge envelope's `time`; the earlier
 *   one that parses is used.
 */
export function usableBaseline(stored: StoredBaseline | undefined, ...times: (string | undefined)[]): TrailBaseline | undefined {
  if (!stored || stored.gone) return undefined;
  const made = Math.min(...times.map((t) => Date.parse(t ?? '')).filter(Number.isFinite));
  const read = Date.parse(stored.readAt);
  return Number.isFinite(read) && Number.isFinite(made) && read < made - BASELINE_CLOCK_MARGIN_MS
    ? { settings: stored.settings, selectors: stored.selectors }
    : undefined;
}

/** GetTrail's settings (absent strings and booleans left out; a known baseline reads them as unset / false). */
function settingsOf(t: Record<string, unknown>): TrailSettings {
  const s = (k: string) => (typeof t[k] === 'string' ? (t[k] as string) : undefined);
  const b = (k: string) => t[k] === true;
  return {
    s3BucketName: s('S3BucketName'),
    s3KeyPrefix: s('S3KeyPrefix'),
    snsTopicName: s('SnsTopicARN') ?? s('SnsTopicName'),
    includeGlobalServiceEvents: b('IncludeGlobalServiceEvents'),
    isMultiRegionTrail: b('IsMultiRegionTrail'),
    logFileValidationEnabled: b('LogFileValidationEnabled'),
    cloudWatchLogsLogGroupArn: s('CloudWatchLogsLogGroupArn'),
    cloudWatchLogsRoleArn: s('CloudWatchLogsRoleArn'),
    kmsKeyId: s('KmsKeyId'),
    isOrganizationTrail: b('IsOrganizationTrail'),
  };
}

/**
 * Reads a trail's configuration now (GetTrail and GetEventSelectors, in parallel; read-only).
 * @returns the configuration and the trail's ARN, or `undefined` when the trail does not exist (`TrailNotFoundException`)
 *   or its selectors cannot be read.
 * @throws the SDK's other errors.
 */
export async function readTrail(
  cloudtrail: CloudTrailClient,
  name: string,
): Promise<{ trailArn: string; config: { settings: TrailSettings; selectors: readonly Selector[] } } | undefined> {
  try {
    const [trail, selectors] = await Promise.all([
      cloudtrail.send(new GetTrailCommand({ Name: name })),
      cloudtrail.send(new GetEventSelectorsCommand({ TrailName: name })),
    ]);
    const parsed = parseSelectors(selectors as unknown as Record<string, unknown>);
    if (!trail.Trail?.TrailARN || !parsed) return undefined;
    const settings = JSON.parse(JSON.stringify(settingsOf(trail.Trail as unknown as Record<string, unknown>))) as TrailSettings;
    return { trailArn: trail.Trail.TrailARN, config: { settings, selectors: parsed } };
  } catch (err) {
    if (hasAwsCode(err, 'TrailNotFoundException')) return undefined;
    throw err;
  }
}
