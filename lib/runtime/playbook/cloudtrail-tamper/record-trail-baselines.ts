import { DescribeTrailsCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import '../../../core/contracts/zod-locale';
import { FirebreakError } from '../../../core/errors';
import { hasAwsCode } from '../../aws-errors';
import type { StepDeps } from '../deps-base';
import { readTrail, storeBaseline } from './baseline';
import '../../clients/assume-role';
import '../../clients/cloudtrail';
import '../../clients/dynamodb';

/**
 * RecordTrailBaselines (issue 14, the proactive tamper baseline): on a schedule (`trailBaselineIntervalMinutes`) and once
 * after every deployment of the security stack, Firebreak reads every trail of every member account it may act in and
 * stores each one's configuration as the trail's baseline (baseline.ts, the same conditional newer-wins write the
 * tamper cases use), so that the first change Firebreak sees on a trail is judged against a configuration read before
 * it.
 *
 * Why a baseline read here is trusted: it is read by Firebreak's own role (the responder role, in a session limited to
 * {@link BASELINE_READ_ACTIONS}: read-only), at a time Firebreak chooses, and written only to the security account's
 * ledger. The member account can change the trail, but neither the ledger nor the time of the read; a change made
 * before a read is simply part of that baseline, one made after it is judged against it. Staleness is bounded by the
 * interval: a baseline is at most one interval (plus a run's length) older than the next change, and a change between
 * two sweeps is judged against the last sweep's read, which is the configuration right before it unless another
 * change came in between (that one is then a case of its own, which moves the baseline on).
 *
 * Per account and region ({@link SWEEP_CONCURRENCY} at once): DescribeTrails with `includeShadowTrails: false` (the trails whose home region
 * this is: "If an empty list is specified and IncludeShadowTrails is false, then information for all trails in the
 * current region is returned"; organization trails in a member account are shadow trails and are not listed: they
 * are baselined in the management account, if it is a member; "DescribeTrails", CloudTrail API Reference,
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html), then for each trail GetTrail
 * and GetEventSelectors (baseline.ts `readTrail`). Each baseline's `readAt` is taken after its reads answered, so a
 * call made during the reads is never judged against them (baseline.ts `usableBaseline`). A trail the previous sweep
 * listed and this one does not was deleted: its baseline is marked `gone`. A trail listed but not readable now is left
 * as it was (reported, not marked gone).
 *
 * An account that cannot be reached (AssumeRole refused, the member stack not deployed, a network error) is reported
 * with its account and region and the error; the other accounts are still baselined; the run then fails
 * ({@link TRAIL_BASELINES_INCOMPLETE}): a partial run never reports success for the accounts it could not read.
 */

/** What the sweep's session may do in a member account (an AssumeRole session policy): the three reads, nothing else. */
export const BASELINE_READ_ACTIONS: readonly string[] = [
  'cloudtrail:DescribeTrails',
  'cloudtrail:GetEventSelectors',
  'cloudtrail:GetTrail',
];

/**
 * How many accounts are read at once: enough that a few hundred accounts fit well inside the step's 300 s, few enough
 * not to burst STS AssumeRole and CloudTrail's read APIs (the clients also retry adaptively on throttling).
 */
export const SWEEP_CONCURRENCY = 10;

/** The `caseId` a baseline read by the sweep carries (a case's read carries the case's ID). */
export const SWEEP_READER = 'record-trail-baselines';

/** The message start of the error a run with an unreachable account fails with (the error's `name` is `FirebreakError`). */
export const TRAIL_BASELINES_INCOMPLETE = 'Trail baselines incomplete';

/**
 * The invocations the step accepts: the schedule rule's "Scheduled Event" and the CloudFormation "Stack Status Change"
 * of the security stack (EventBridge events), or a direct invocation (`{}`, e.g. `aws lambda invoke`). Only `detail-type`
 * is read, for the log; the rules' patterns already chose the events.
 */
export const BaselineTriggerSchema = z.looseObject({ 'detail-type': z.optional(z.string()) });

/** One account and region the sweep reads. */
export interface SweepTarget {
  readonly account: string;
  readonly region: string;
}

/** What the sweep did in one account and region. */
export type SweepOutcome =
  | {
      readonly account: string;
      readonly region: string;
      readonly status: 'baselined';
      /** The trails whose baseline this run stored (ARNs). */
      readonly baselined: string[];
      /** Listed, but GetTrail/GetEventSelectors found nothing readable: left as they were. */
      readonly unreadable: string[];
      /** Listed by the previous sweep and no longer: their baselines are marked gone. */
      readonly gone: string[];
    }
  | { readonly account: string; readonly region: string; readonly status: 'unreachable'; readonly error: string };

/** The whole run. */
export interface SweepResult {
  readonly outcomes: SweepOutcome[];
  /** The accounts and regions that could not be read, as `<account>/<region>`. */
  readonly unreachable: string[];
  /** True when the deployment names no member account (any account): nothing could be listed to read. */
  readonly noAccountList: boolean;
}

/** What {@link recordTrailBaselines} needs: the ledger, the member CloudTrail clients, a clock. */
export interface SweepDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly table: string;
  /** The CloudTrail client of a member account and region (the responder role, a read-only session). */
  readonly cloudtrailOf: (account: string, region: string) => CloudTrailClient;
  readonly now: () => Date;
}

/** The ledger item that lists the trails one sweep found in an account and region (to tell a deleted trail). */
const sweepKey = (t: SweepTarget) => ({ pk: `TRAILS#${t.account}#${t.region}`, sk: 'BASELINE-SWEEP' });

/** The trails the previous sweep of an account and region found. */
async function previousTrails(deps: SweepDeps, t: SweepTarget): Promise<string[]> {
  const out = await deps.ddb.send(new GetCommand({ TableName: deps.table, Key: sweepKey(t), ConsistentRead: true }));
  return Array.isArray(out.Item?.trailArns) ? (out.Item.trailArns as string[]) : [];
}

/** Records the trails this sweep found (newer wins, as the baselines). */
async function recordSweep(deps: SweepDeps, t: SweepTarget, trailArns: string[], readAt: string): Promise<void> {
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: sweepKey(t),
        UpdateExpression: 'SET trailArns = :a, readAt = :t',
        ConditionExpression: 'attribute_not_exists(readAt) OR readAt < :t',
        ExpressionAttributeValues: { ':a': trailArns, ':t': readAt },
      }),
    );
  } catch (err) {
    if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
  }
}

/** Reads and stores every trail of one account and region. @throws whatever reaching the account or the ledger throws. */
async function sweepOne(deps: SweepDeps, t: SweepTarget): Promise<SweepOutcome> {
  const cloudtrail = deps.cloudtrailOf(t.account, t.region);
  const [listed, before] = await Promise.all([
    cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: false })),
    previousTrails(deps, t),
  ]);
  const arns = (listed.trailList ?? []).map((x) => x.TrailARN).filter((a): a is string => typeof a === 'string');
  const baselined: string[] = [];
  const unreadable: string[] = [];
  await Promise.all(
    arns.map(async (arn) => {
      const now = await readTrail(cloudtrail, arn);
      if (!now) return void unreadable.push(arn);
      const readAt = deps.now().toISOString();
      await storeBaseline(deps.ddb, deps.table, now.trailArn, { ...now.config, readAt, caseId: SWEEP_READER });
      baselined.push(now.trailArn);
    }),
  );
  const readAt = deps.now().toISOString();
  const gone = before.filter((a) => !arns.includes(a));
  for (const arn of gone)
    await storeBaseline(deps.ddb, deps.table, arn, { settings: {}, selectors: [], readAt, caseId: SWEEP_READER, gone: true });
  await recordSweep(deps, t, arns, readAt);
  return { ...t, status: 'baselined', baselined: baselined.sort(), unreadable: unreadable.sort(), gone };
}

/**
 * Baselines every trail of the given accounts and regions (see the module's comment).
 * @param targets - the accounts and regions to read.
 * @param deps - the ledger, the member clients, the clock.
 * @returns what was done in each; an account that could not be reached is an outcome `unreachable`, never a throw.
 */
export async function recordTrailBaselines(targets: readonly SweepTarget[], deps: SweepDeps): Promise<SweepResult> {
  const outcomes: SweepOutcome[] = new Array<SweepOutcome>(targets.length);
  let next = 0;
  // At most SWEEP_CONCURRENCY accounts at once: each worker takes the next account when it is done with one.
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) {
      const t = targets[i];
      outcomes[i] = await sweepOne(deps, t).catch((err: unknown): SweepOutcome => ({
        ...t,
        status: 'unreachable',
        error: `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`,
      }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, targets.length) }, worker));
  const unreachable = outcomes.filter((o) => o.status === 'unreachable').map((o) => `${o.account}/${o.region}`);
  return { outcomes, unreachable, noAccountList: targets.length === 0 };
}

/**
 * The accounts the sweep reads: the deployment's member accounts (`FIREBREAK_MEMBER_ACCOUNT_IDS`: `memberAccountIds`,
 * or the deploying account itself in single-account mode), each in the deployment's region. An empty list means "any
 * account" (a security account with no member list): there is no list to read, and nothing is baselined (documented
 * limitation: list the member accounts to have baselines).
 */
export function sweepTargets(memberAccountIds: readonly string[], region: string): SweepTarget[] {
  return [...new Set(memberAccountIds)].map((account) => ({ account, region }));
}

/**
 * The step (Lambda `record-trail-baselines`): {@link recordTrailBaselines} over {@link sweepTargets}, through the responder
 * role in a session limited to {@link BASELINE_READ_ACTIONS}.
 * @returns the run's result, when every account was read.
 * @throws {FirebreakError} (`Trail baselines incomplete: <account>/<region> (<error>); ...`) after the others were
 *   baselined, when an account could not be read: the invocation fails, which the function's error alarm reports.
 */
export async function recordTrailBaselinesStep(_trigger: z.infer<typeof BaselineTriggerSchema>, deps: StepDeps): Promise<SweepResult> {
  const result = await recordTrailBaselines(sweepTargets(deps.config.memberAccountIds, deps.config.region), {
    ddb: deps.clients.security().ddb,
    table: deps.config.ledgerTable,
    cloudtrailOf: (account, region) => deps.clients.member(account, region, { sessionActions: BASELINE_READ_ACTIONS }).cloudtrail,
    now: deps.now,
  });
  const failed = result.outcomes.flatMap((o) => (o.status === 'unreachable' ? [`${o.account}/${o.region} (${o.error})`] : []));
  if (failed.length > 0) throw new FirebreakError(`${TRAIL_BASELINES_INCOMPLETE}: ${failed.join('; ')}`);
  return result;
}
