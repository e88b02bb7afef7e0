import { createHash, randomBytes } from 'node:crypto';
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ClaimLost } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import type { Incident } from '../../core/incident/incident';
import { type CaseStatus, type ClaimDecision, type TakeOverReason, decideClaim, leaseExpiry, opensNewCase, ownsClaim } from './policy';
import { type CaseRecord, type CaseRecords, type CaseRecordsDeps, type TimelineEntry, type TimelineFold, timelineItem } from './records';
import '../clients/dynamodb';

/**
 * The claim protocol of the case ledger: one open case per resource, taken with DynamoDB conditional writes, held
 * under a lease, resumed, finished and released. Who may take a claim and why is `policy.ts`'s; the case item and
 * its timeline are written through {@link CaseRecords}.
 *
 * Item: `pk = CLAIM#<playbook>#<account>#<region>#<resourceId>`, `sk = CLAIM` (`<region>` is `global` for an IAM identity).
 */

/** The result of {@link CaseClaims.claim}. */
export interface ClaimResult {
  readonly caseId: string;
  /**
   * `CLAIMED`: a new case. `RESUMED`: this execution takes over an unfinished case (crash, failure,
   * expired lease, or escalation of a notify-only case). `ALREADY_HANDLED`: another execution owns
   * the case or it is finished; do nothing.
   */
  readonly status: 'CLAIMED' | 'RESUMED' | 'ALREADY_HANDLED';
  readonly previousStatus?: CaseStatus;
  /**
   * `ALREADY_HANDLED` only: the finding was not on the case yet (a different finding about the same
   * resource, not a repeat of one it holds). It is added to the case's `findingIds` by this call, so that
   * exactly one of several concurrent deliveries of it sees `true` (DynamoDB `ADD`, old item returned).
   */
  readonly newFinding?: boolean;
  /** For a new case on a resource whose last case was released: that case. */
  readonly previousCaseId?: string;
  /** `RESUMED` only: the claim was this execution's own, in progress (a retry of the step that claimed); its lease is extended. */
  readonly extended?: boolean;
  /**
   * `RESUMED` of a case with `additions` ({@link CaseClaims.claim}) only: the update that adds to the case, this claim's
   * (`update` take-over) or the one an earlier execution took the case over for and did not finish (a crash, a failure).
   */
  readonly update?: CaseUpdate;
}

/**
 * What an incident adds to a finished case (attack-sequence: the chain keys of resources the case has not handled,
 * `sequenceAdditions`); an empty list when nothing. Pure: given the case as stored.
 */
export type CaseAdditions = (record: CaseRecord) => readonly string[];

/** An update that adds to a case, as the case records it (`update`) and Claim returns it. */
export interface CaseUpdate {
  /** What it adds ({@link CaseAdditions}: attack-sequence's chain keys). */
  readonly added: readonly string[];
  /** 16 hex of the SHA-256 of `added` (one per line): the same for every delivery of the update; keys its notifications. */
  readonly token: string;
}

/** The {@link CaseUpdate} of `added`. */
export function caseUpdate(added: readonly string[]): CaseUpdate {
  return { added: [...added], token: createHash('sha256').update(added.join('\n')).digest('hex').slice(0, 16) };
}

/** The claim on a resource, as stored. */
export interface ClaimItem {
  pk: string;
  sk: string;
  caseId: string;
  status: CaseStatus;
  /** The execution that holds (or last held) the claim. */
  owner: string;
  leaseExpiresAt: string;
  /** Incremented by every change of the claim; a new case after a release keeps counting. */
  version: number;
}

/**
 * The playbooks whose resource is an IAM identity: an access key, a user, a role, the root user. IAM is a global service
 * ("IAM ... is a global service", IAM User Guide, "What is IAM?"), so a key used from two regions is one resource, and its
 * findings of every region make one case (docs/ARCHITECTURE.md, "Regions").
 */
export const GLOBAL_RESOURCE_PLAYBOOKS: readonly string[] = ['credential-compromise', 'root-activity'];

/**
 * The key that makes a case unique: one open case per (playbook, account, region, resource), the region `global` for
 * {@link GLOBAL_RESOURCE_PLAYBOOKS}.
 */
export function claimKey(incident: { playbook: string; account: string; region: string; resource: { id: string } }): string {
  const region = GLOBAL_RESOURCE_PLAYBOOKS.includes(incident.playbook) ? 'global' : incident.region;
  return `CLAIM#${incident.playbook}#${incident.account}#${region}#${incident.resource.id}`;
}

/** A new case ID: `fb-<yyyymmdd>-<10 hex>` (UTC date). */
export function newCaseId(now: Date): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `fb-${day}-${randomBytes(5).toString('hex')}`;
}

/**
 * The case a failed execution records its failure on ({@link CaseClaims.failedCaseFor}): `opened` by this call,
 * the execution's `own`, or an `other` execution's (left alone); `claimStatus` is the resource's claim's.
 */
export interface FailedCase {
  readonly caseId: string;
  readonly relation: 'opened' | 'own' | 'other';
  readonly claimStatus: CaseStatus;
}

/** One pass of {@link CaseClaims.claim}: the claim read at `now`, and the lease a take-over would write. */
interface ClaimAttempt {
  readonly pk: string;
  readonly incident: Incident;
  readonly executionName: string;
  /** ISO-8601 UTC. */
  readonly lease: string;
  readonly now: Date;
  /** What the incident adds to a finished case ({@link CaseAdditions}), and the update the case records. */
  readonly update?: { readonly added?: readonly string[]; readonly pending?: CaseUpdate };
}

/** Takes, finishes and releases the claim on a resource. */
export class CaseClaims {
  private readonly now: () => Date;

  /** @param records - the case records the claims write cases and timeline entries through (same table). */
  constructor(
    private readonly deps: CaseRecordsDeps,
    private readonly records: CaseRecords,
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Claims the case for an incident with DynamoDB conditional writes (DESIGN.md §3, Claim).
   *
   * - no claim yet → a new case (`CLAIMED`), claim and case written in one transaction;
   * - the claim belongs to this execution → `RESUMED` (a retry of Claim);
   * - `IN_PROGRESS` under another execution whose lease has not expired → `ALREADY_HANDLED`;
   * - `IN_PROGRESS` with an expired lease, `FAILED`, or `RESOURCE_GONE` (the resource is looked at again: it may
   *   have been missing only from an eventually consistent read) → taken over, `RESUMED`;
   * - `NOTIFIED` and the incident now calls for containment (catalog mode `auto` or `approval`, or a manual start) → escalated, `RESUMED`;
   * - `CONTAINED` or `NOTIFIED` and `additions` says the incident adds resources to the case (an updated attack
   *   sequence) → taken over for an `update`, `RESUMED` with `update`; the case's incident becomes this one (what the
   *   next update is compared with) and its `update` this update, in the write that sets the case back `IN_PROGRESS`;
   *   a case taken over or extended later (a crash, a failure) returns the `update` it records;
   * - otherwise (`CONTAINED`, `NOTIFIED`) → `ALREADY_HANDLED`, the finding added to the case's
   *   `findingIds` (`newFinding` says whether this call added it).
   * Every outcome but `CLAIMED` appends a timeline entry to the existing case.
   * The decision is {@link decideClaim}'s (policy.ts); this method reads the claim and writes what it decides.
   * @param incident - the normalized incident.
   * @param executionName - the Step Functions execution name (the claim's owner).
   * @param leaseSeconds - how long an in-progress claim blocks other executions.
   * @param additions - what the incident adds to a finished case (read only for a `CONTAINED` or `NOTIFIED` claim).
   * @throws {Error} the SDK's error when DynamoDB fails (mapped to Throttled/TransientAwsError upstream).
   */
  async claim(incident: Incident, executionName: string, leaseSeconds: number, additions?: CaseAdditions): Promise<ClaimResult> {
    const pk = claimKey(incident);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.now();
      const existing = await this.readClaim(pk);
      const update = await this.updateOf(existing, additions);
      const a: ClaimAttempt = { pk, incident, executionName, lease: leaseExpiry(now, leaseSeconds), now, update };
      const request = { ...incident, addsToCase: !!update?.added?.length };
      const result = await this.carryOut(decideClaim(existing, request, executionName, now), a, existing);
      if (result) return result;
    }
    // Three lost races in a row: someone else is actively claiming; let them.
    const item = (await this.readClaim(pk)) as ClaimItem;
    return { caseId: item.caseId, status: 'ALREADY_HANDLED', previousStatus: item.status };
  }

  /**
   * With `additions` only, for a case that holds the resource: what the incident adds to it when it is finished
   * (`CONTAINED`, `NOTIFIED`), and the update the case records (taken over for, maybe unfinished).
   */
  private async updateOf(existing: ClaimItem | undefined, additions: CaseAdditions | undefined): Promise<ClaimAttempt['update']> {
    if (!additions || !existing || opensNewCase(existing)) return undefined;
    const record = await this.records.getCase(existing.caseId);
    if (!record) return undefined;
    const finished = existing.status === 'CONTAINED' || existing.status === 'NOTIFIED';
    return { added: finished ? additions(record) : undefined, pending: record.update };
  }

  /** Carries out a claim decision; `undefined` when a conditional write lost a race (the caller reads again). */
  private async carryOut(decision: ClaimDecision, a: ClaimAttempt, existing: ClaimItem | undefined): Promise<ClaimResult | undefined> {
    if (decision.kind === 'open' || !existing) return this.openCase(a, existing);
    if (decision.kind === 'extend') return this.extendLease(a, existing);
    if (decision.kind === 'already-handled') return this.noteAlreadyHandled(a, existing);
    return this.takeOver(a, existing, decision.reason);
  }

  /** No claim, or the last case on the resource was released: a new case. */
  private async openCase(a: ClaimAttempt, existing: ClaimItem | undefined): Promise<ClaimResult | undefined> {
    const caseId = newCaseId(a.now);
    const version = (existing?.version ?? 0) + 1;
    try {
      await this.writeNewCase({
        pk: a.pk,
        caseId,
        status: 'IN_PROGRESS',
        executionName: a.executionName,
        leaseExpiresAt: a.lease,
        version,
        existing,
        incident: a.incident,
        now: a.now,
      });
      return { caseId, status: 'CLAIMED', previousCaseId: existing?.caseId };
    } catch (err) {
      if (hasAwsCode(err, 'TransactionCanceledException', 'ConditionalCheckFailedException')) return undefined;
      throw err;
    }
  }

  /** A retry of this execution's own Claim: extend its lease. */
  private async extendLease(a: ClaimAttempt, existing: ClaimItem): Promise<ClaimResult> {
    await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: a.pk, sk: 'CLAIM' },
        UpdateExpression: 'SET leaseExpiresAt = :l',
        ConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':l': a.lease, ':o': a.executionName },
      }),
    );
    const update = a.update?.pending;
    return { caseId: existing.caseId, status: 'RESUMED', previousStatus: existing.status, extended: true, ...(update ? { update } : {}) };
  }

  /** Another execution's case, or a finished one: the finding is added to it and noted on its timeline. */
  private async noteAlreadyHandled(a: ClaimAttempt, existing: ClaimItem): Promise<ClaimResult> {
    const { incident } = a;
    const newFinding = await this.records.addFinding(existing.caseId, incident.finding.id);
    await this.records.appendTimeline(existing.caseId, {
      at: a.now.toISOString(),
      step: 'Claim',
      status: 'INFO',
      executionName: a.executionName,
      trigger: incident.trigger,
      details: {
        outcome: 'ALREADY_HANDLED',
        caseStatus: existing.status,
        owner: existing.owner,
        findingId: incident.finding.id,
        findingCount: incident.finding.count,
        newFinding,
        ...(newFinding ? { findingType: incident.finding.type, severity: incident.finding.severity } : {}),
      },
    });
    return { caseId: existing.caseId, status: 'ALREADY_HANDLED', previousStatus: existing.status, newFinding };
  }

  /** Takes the case over (conditional on the claim's version): the claim and the case back IN_PROGRESS, noted on its timeline. */
  private async takeOver(a: ClaimAttempt, existing: ClaimItem, reason: TakeOverReason): Promise<ClaimResult | undefined> {
    try {
      await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk: a.pk, sk: 'CLAIM' },
          UpdateExpression: 'SET #s = :s, #o = :o, leaseExpiresAt = :l, version = version + :one',
          ConditionExpression: 'version = :v',
          ExpressionAttributeNames: { '#s': 'status', '#o': 'owner' },
          ExpressionAttributeValues: { ':s': 'IN_PROGRESS', ':o': a.executionName, ':l': a.lease, ':v': existing.version, ':one': 1 },
        }),
      );
    } catch (err) {
      if (hasAwsCode(err, 'ConditionalCheckFailedException')) return undefined;
      throw err;
    }
    const fresh = reason === 'update' && a.update?.added?.length ? caseUpdate(a.update.added) : undefined;
    // A resumed run (a crash, a failure) finishes the update the case records; an escalation is a decision of its own.
    const update = fresh ?? (reason === 'escalation' ? undefined : a.update?.pending);
    const updated = fresh && { incident: a.incident, update: fresh };
    await this.records.setCaseStatus(existing.caseId, 'IN_PROGRESS', a.incident.finding.id, undefined, updated);
    await this.records.appendTimeline(existing.caseId, {
      at: a.now.toISOString(),
      step: 'Claim',
      status: 'INFO',
      executionName: a.executionName,
      trigger: a.incident.trigger,
      details: {
        outcome: 'RESUMED',
        reason,
        previousStatus: existing.status,
        previousOwner: existing.owner,
        ...(update ? { update } : {}),
      },
    });
    return { caseId: existing.caseId, status: 'RESUMED', previousStatus: existing.status, ...(update ? { update } : {}) };
  }

  /**
   * The claim carried in a step's one conditional write (issue 13: Contain claims the case in the same
   * TransactWriteItems that makes its prior state durable, so no sequential call of its own precedes containment).
   * Decides as {@link claim} does ({@link decideClaim}) from the claim read in the step's first round (`seen`), then
   * writes, all or nothing ("TransactWriteItems", DynamoDB API Reference): the claim (conditional exactly as
   * {@link claim}'s own writes: none or the freeing one read (RELEASED, SHADOW, SUPPRESSED) for a new case, this execution's for a retry, the version
   * read for a take-over), the case (new: `entries` in its maps; existing: each entry unless already recorded, first
   * observation wins, and back IN_PROGRESS), the Claim timeline entries, and the received event's link (written once).
   * A cancelled transaction (a condition failed: another execution claimed first; or a conflict) reads the claim
   * again and decides again, at most three times.
   * - `already-handled` (decided before any write): the finding is added to the case and noted on its timeline, as
   *   {@link claim} does; nothing else is written and the caller must change nothing.
   * @param seen - the claim and its case as read in the caller's first round (the case only when the claim names one).
   * @param records - the entries to record once (`map`.`key` = `value`), the event link, and the Claim entries.
   * @returns the claim's result and, for each entry, the value stored (an earlier run's when it was first).
   * @throws {Error} the SDK's error when DynamoDB fails (mapped upstream).
   */
  async claimWithRecords(
    incident: Incident,
    executionName: string,
    leaseSeconds: number,
    seen: { claim: ClaimItem | undefined; case?: CaseRecord },
    records: ClaimRecords,
  ): Promise<ClaimResult & { stored?: unknown[] }> {
    const pk = claimKey(incident);
    let { claim: existing, case: record } = seen;
    let guardRetries = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.now();
      const decision = decideClaim(existing, incident, executionName, now);
      const a: ClaimAttempt = { pk, incident, executionName, lease: leaseExpiry(now, leaseSeconds), now };
      if (decision.kind === 'already-handled' && existing) return this.noteAlreadyHandled(a, existing);
      const opening = decision.kind === 'open' || !existing;
      const caseId = opening ? newCaseId(now) : existing!.caseId;
      if (!opening && record?.caseId !== caseId) record = await this.records.getCase(caseId);
      const status = opening ? 'CLAIMED' : 'RESUMED';
      const items = opening
        ? this.newCaseItems(a, caseId, existing, records.entries)
        : this.resumeItems(a, existing!, decision, records.entries);
      const entries = records.timeline({ caseId, status, decision, previous: existing });
      const own = [
        ...items,
        ...entries.map((e) => ({ Put: { TableName: this.deps.tableName, Item: timelineItem(caseId, e) } })),
        ...(records.link ? [linkUpdate(this.deps.tableName, caseId, records.link)] : []),
      ];
      try {
        await this.deps.ddb.send(new TransactWriteCommand({ TransactItems: [...own, ...(records.guard?.items(caseId, now) ?? [])] }));
      } catch (err) {
        if (!hasAwsCode(err, 'TransactionCanceledException')) throw err;
        const reasons = err instanceof TransactionCanceledException ? err.CancellationReasons : undefined;
        const guardOnly = await this.guardConflict(records.guard, reasons, own.length);
        if (guardOnly && ++guardRetries <= MAX_GUARD_RETRIES) attempt--;
        else existing = await this.readClaim(pk);
        continue;
      }
      const stored = records.entries.map(
        (e) => (opening ? undefined : (record?.[e.map as keyof CaseRecord] as Record<string, unknown> | undefined)?.[e.key]) ?? e.value,
      );
      return { caseId, status, previousStatus: existing?.status, previousCaseId: opening ? existing?.caseId : undefined, stored };
    }
    const item = (await this.readClaim(pk)) as ClaimItem;
    return { caseId: item.caseId, status: 'ALREADY_HANDLED', previousStatus: item.status };
  }

  /**
   * Whether a cancelled claim transaction failed on the guard's items alone (the claim's own items all `None`): the
   * guard has read again ({@link ClaimGuard.cancelled}) and the claim is tried again without counting an attempt.
   * Reasons are the SDK's own (`TransactionCanceledException.CancellationReasons`, one per item, in order:
   * "TransactWriteItems", DynamoDB API Reference).
   */
  private async guardConflict(guard: ClaimGuard | undefined, reasons: CancellationReason[] | undefined, ownItems: number) {
    if (!guard || !reasons) return false;
    const failed = (r: CancellationReason | undefined) => !!r?.Code && r.Code !== 'None';
    if (!reasons.slice(ownItems).some(failed)) return false;
    await guard.cancelled();
    return !reasons.slice(0, ownItems).some(failed);
  }

  /** The items of a new case's transaction: the claim (none, or the freeing one read) and the case with `entries`. */
  private newCaseItems(a: ClaimAttempt, caseId: string, existing: ClaimItem | undefined, entries: readonly RecordEntry[]): TransactItem[] {
    const maps: Record<string, Record<string, unknown>> = { priorState: {}, evidence: {}, notifications: {}, decisions: {} };
    for (const e of entries) (maps[e.map] ??= {})[e.key] = e.value;
    const [claim, kase] = newCaseTransactItems(this.deps.tableName, {
      pk: a.pk,
      caseId,
      status: 'IN_PROGRESS',
      executionName: a.executionName,
      leaseExpiresAt: a.lease,
      version: (existing?.version ?? 0) + 1,
      existing,
      incident: a.incident,
      now: a.now,
    });
    return [claim, { Put: { ...kase.Put, Item: { ...kase.Put.Item, ...maps } } }];
  }

  /**
   * The items of a resumed case's transaction: the claim (this execution's, its lease extended; or taken over at the
   * version read) and the case back IN_PROGRESS with the finding added and each entry recorded unless already there.
   */
  private resumeItems(a: ClaimAttempt, existing: ClaimItem, decision: ClaimDecision, entries: readonly RecordEntry[]): TransactItem[] {
    const { tableName } = this.deps;
    const claim: Omit<NonNullable<TransactItem['Update']>, 'TableName' | 'Key'> = decision.kind === 'extend'
      ? {
          UpdateExpression: 'SET leaseExpiresAt = :l',
          ConditionExpression: '#o = :o AND caseId = :c',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':l': a.lease, ':o': a.executionName, ':c': existing.caseId },
        }
      : {
          UpdateExpression: 'SET #s = :s, #o = :o, leaseExpiresAt = :l, version = version + :one',
          ConditionExpression: 'version = :v',
          ExpressionAttributeNames: { '#s': 'status', '#o': 'owner' },
          ExpressionAttributeValues: { ':s': 'IN_PROGRESS', ':o': a.executionName, ':l': a.lease, ':v': existing.version, ':one': 1 },
        };
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':s': 'IN_PROGRESS', ':u': a.now.toISOString(), ':f': new Set([a.incident.finding.id]) };
    const sets = entries.map((e, i) => {
      names[`#m${i}`] = e.map;
      names[`#k${i}`] = e.key;
      values[`:v${i}`] = e.value;
      return `#m${i}.#k${i} = if_not_exists(#m${i}.#k${i}, :v${i})`;
    });
    return [
      { Update: { TableName: tableName, Key: { pk: a.pk, sk: 'CLAIM' }, ...claim } },
      {
        Update: {
          TableName: tableName,
          Key: { pk: `CASE#${existing.caseId}`, sk: 'CASE' },
          UpdateExpression: `SET ${['#s = :s', 'updatedAt = :u', ...sets].join(', ')} ADD findingIds :f`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
    ];
  }

  /**
   * Sets the final status of a case and of its claim. The claim stays, so a later finding for the
   * same resource is `ALREADY_HANDLED` until a release lifts it (`FAILED` claims can be resumed).
   * @param executionName - when given, the claim must still belong to this execution: an execution
   *   whose claim was taken over (lease expired) cannot overwrite the new owner's outcome.
   * @throws {ClaimLost} when the claim belongs to another execution now.
   */
  async finish(
    caseId: string,
    status: Exclude<CaseStatus, 'IN_PROGRESS'>,
    details?: Record<string, unknown>,
    executionName?: string,
  ): Promise<void> {
    const record = await this.records.getCase(caseId);
    if (!record) return;
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':s': status, ':c': caseId, ':one': 1 };
    let condition = 'caseId = :c';
    if (executionName) {
      condition += ' AND #o = :o';
      names['#o'] = 'owner';
      values[':o'] = executionName;
    }
    try {
      await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk: claimKeyOf(record), sk: 'CLAIM' },
          UpdateExpression: 'SET #s = :s, version = version + :one',
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (hasAwsCode(err, 'ConditionalCheckFailedException')) {
        throw new ClaimLost(`Case ${caseId} is no longer claimed by ${executionName ?? 'this case'}; not setting ${status}`, {
          cause: err,
        });
      }
      throw err;
    }
    await this.records.setCaseStatus(caseId, status, undefined, details);
  }

  /**
   * {@link finish} in one call when the caller knows the resource (the playbook state's incident): the claim's and
   * the case's status and the step's timeline entry (`fold`) in one TransactWriteItems, with the same conditions
   * (the claim still names the case and, when given, this execution; the case exists), and no read of the case.
   * When the transaction is cancelled (a condition failed: the claim was taken over, or the key is not this case's;
   * or a conflict), {@link finish} runs as it would have, with its read and its errors (`ClaimLost`), and the entry
   * is left to the caller (`fold.written()` is not called). ("TransactWriteItems", DynamoDB API Reference.)
   * With `notifications` (issue 13: "one TransactWrite to close a case"), the case's update in that transaction also
   * marks those notifications sent (`notifications.<key>`, the first mark of each stays, as
   * {@link CaseRecords.markNotifications}): Notify closes the case in the write that records what it told. A cancelled
   * transaction then marks them on their own first (a notification that was published is marked whatever happens to
   * the claim), then runs {@link finish}.
   * @param resource - the case's playbook, account, region and resource ID (its claim key, {@link claimKey}).
   * @param notifications - the notification keys to mark sent in the same write (none by default).
   * @throws {ClaimLost} when the claim belongs to another execution now.
   */
  async close(
    resource: { playbook: string; account: string; region: string; resource: { id: string } },
    caseId: string,
    status: Exclude<CaseStatus, 'IN_PROGRESS'>,
    executionName: string,
    fold?: TimelineFold,
    notifications: readonly string[] = [],
  ): Promise<void> {
    const { tableName } = this.deps;
    const now = this.now().toISOString();
    const marks = notifications.map((_, i) => `#m.#k${i} = if_not_exists(#m.#k${i}, :v)`);
    const markNames = Object.fromEntries(notifications.map((k, i) => [`#k${i}`, k]));
    try {
      await this.deps.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: { pk: claimKey(resource), sk: 'CLAIM' },
                UpdateExpression: 'SET #s = :s, version = version + :one',
                ConditionExpression: 'caseId = :c AND #o = :o',
                ExpressionAttributeNames: { '#s': 'status', '#o': 'owner' },
                ExpressionAttributeValues: { ':s': status, ':c': caseId, ':o': executionName, ':one': 1 },
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
                UpdateExpression: ['SET #s = :s', 'updatedAt = :u', ...marks].join(', '),
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeNames: { '#s': 'status', ...(marks.length ? { '#m': 'notifications', ...markNames } : {}) },
                ExpressionAttributeValues: { ':s': status, ':u': now, ...(marks.length ? { ':v': now } : {}) },
              },
            },
            ...(fold ? [{ Put: { TableName: tableName, Item: timelineItem(caseId, fold.entry) } }] : []),
          ],
        }),
      );
      fold?.written();
    } catch (err) {
      if (!hasAwsCode(err, 'TransactionCanceledException')) throw err;
      if (notifications.length) await this.records.markNotifications(caseId, notifications);
      await this.finish(caseId, status, undefined, executionName);
    }
  }

  /**
   * Marks a case released (the release playbook undid its containment) and lifts its claim, so the
   * next finding or manual run on the resource opens a new case. Idempotent: releasing a released
   * case changes nothing.
   * @param caseId - the case.
   * @param details - what was restored, kept on the case as `releaseDetails`.
   * @returns `false` when the case was already released.
   * @throws {ClaimLost} when the resource's claim now belongs to another case (released earlier,
   *   then claimed anew): this case can no longer be released.
   * @throws {Error} `Case ... does not exist` (as {@link ClaimLost}) when there is no such case.
   */
  async release(caseId: string, details: Record<string, unknown>): Promise<boolean> {
    const record = await this.records.getCase(caseId);
    if (!record) throw new ClaimLost(`Case ${caseId} does not exist`);
    if (record.status === 'RELEASED') return false;
    const pk = claimKeyOf(record);
    const now = this.now().toISOString();
    try {
      await this.deps.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.deps.tableName,
                Key: { pk, sk: 'CLAIM' },
                UpdateExpression: 'SET #s = :s, version = version + :one',
                ConditionExpression: 'caseId = :c',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':s': 'RELEASED', ':c': caseId, ':one': 1 },
              },
            },
            {
              Update: {
                TableName: this.deps.tableName,
                Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
                UpdateExpression: 'SET #s = :s, updatedAt = :u, releasedAt = :u, releaseDetails = :d',
                ConditionExpression: 'attribute_exists(pk) AND #s <> :s',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':s': 'RELEASED', ':u': now, ':d': details },
              },
            },
          ],
        }),
      );
    } catch (err) {
      if (!hasAwsCode(err, 'TransactionCanceledException', 'ConditionalCheckFailedException')) throw err;
      const again = await this.records.getCase(caseId);
      if (again?.status === 'RELEASED') return false;
      throw new ClaimLost(`Case ${caseId} no longer holds the claim on ${record.resourceId}; it cannot be released`, { cause: err });
    }
    return true;
  }

  /**
   * Reads the claim on a resource (strongly consistent), e.g. for `firebreak run` to attach to an
   * open case instead of starting a second one.
   * @returns the claim, or `undefined` when no case was ever opened on the resource.
   */
  async findClaim(key: { playbook: string; account: string; region: string; resource: { id: string } }): Promise<ClaimItem | undefined> {
    return this.readClaim(claimKey(key));
  }

  /**
   * Writes a new case and its claim in one transaction: the claim conditional on there being none, or on the
   * freeing one read (`existing`, by status and version: RELEASED, SHADOW or SUPPRESSED), the case on its ID being new. Both carry `status`.
   * @throws {Error} `TransactionCanceledException` when a condition fails (the callers retry), or the SDK's error.
   */
  private async writeNewCase(c: NewCase): Promise<void> {
    await this.deps.ddb.send(new TransactWriteCommand({ TransactItems: newCaseTransactItems(this.deps.tableName, c) }));
  }

  /**
   * The case a failed execution records its failure on when Claim never returned one (issue 11: Claim
   * failed, and the failure must still reach a case a person is told of). Never takes a claim from anyone
   * and never holds one IN_PROGRESS, so it cannot keep another execution from containing:
   * - no claim on the resource, or a freeing one (RELEASED, SHADOW, SUPPRESSED) → a new case and its claim, both written `FAILED` in one
   *   transaction (conditional, as {@link claim} writes a new case), owned by this execution: `opened`.
   *   A FAILED claim is taken over at once by the next finding or run ({@link claim}).
   * - the claim is this execution's, IN_PROGRESS (Claim wrote it, then failed) or FAILED (a retry of the
   *   recorder after it opened or finished the case) → `own`: finish it (again: idempotent).
   * - any other claim → `other`: another execution's or a finished case; the caller leaves it alone.
   * @param incident - the normalized incident.
   * @param executionName - the failed execution.
   * @param details - stored as the new case's `outcomeDetails` (e.g. `{ error }`).
   * @returns the case and how this execution relates to it.
   * @throws {Error} the SDK's error when DynamoDB fails (mapped upstream; the recorder's Retry runs it again).
   */
  async failedCaseFor(incident: Incident, executionName: string, details?: Record<string, unknown>): Promise<FailedCase> {
    const pk = claimKey(incident);
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.findClaim(incident);
      if (existing && !opensNewCase(existing)) {
        return { caseId: existing.caseId, relation: ownsClaim(existing, executionName) ? 'own' : 'other', claimStatus: existing.status };
      }
      const now = this.now();
      const caseId = newCaseId(now);
      try {
        await this.writeNewCase({
          pk,
          caseId,
          status: 'FAILED',
          executionName,
          leaseExpiresAt: now.toISOString(),
          version: (existing?.version ?? 0) + 1,
          existing,
          incident,
          now,
          details,
        });
        return { caseId, relation: 'opened', claimStatus: 'FAILED' };
      } catch (err) {
        if (hasAwsCode(err, 'TransactionCanceledException', 'ConditionalCheckFailedException')) continue;
        throw err;
      }
    }
    // Lost three races: someone is claiming the resource right now; their case is theirs.
    const item = await this.findClaim(incident);
    if (!item) throw new ClaimLost(`No claim on ${incident.resource.id} after three attempts to record a failed case`);
    return { caseId: item.caseId, relation: ownsClaim(item, executionName) ? 'own' : 'other', claimStatus: item.status };
  }

  /** The claim under `pk`, read strongly consistent. */
  private async readClaim(pk: string): Promise<ClaimItem | undefined> {
    const out = await this.deps.ddb.send(
      new GetCommand({ TableName: this.deps.tableName, Key: { pk, sk: 'CLAIM' }, ConsistentRead: true }),
    );
    return out.Item as ClaimItem | undefined;
  }
}

/** The claim key of a stored case (its resource's). */
function claimKeyOf(record: CaseRecord): string {
  return claimKey({ playbook: record.playbook, account: record.account, region: record.region, resource: { id: record.resourceId } });
}

/** One entry a claim's transaction records on the case once: `<map>.<key> = value` unless already there. */
export interface RecordEntry {
  readonly map: string;
  readonly key: string;
  readonly value: unknown;
}

/** How often a claim is tried again when only its guard's items conflicted (another run counted on the breaker). */
const MAX_GUARD_RETRIES = 20;

/**
 * Items that ride in a claim's transaction and may cancel it (issue 14: the blast-radius breaker's count, conditional
 * on the version read).
 */
export interface ClaimGuard {
  /** The items for the case about to be claimed; may throw to stop the claim before anything is written. */
  items(caseId: string, now: Date): TransactItem[];
  /** Called when one of the items' conditions failed: reads again what `items` is made from. */
  cancelled(): Promise<void>;
}

/** What {@link CaseClaims.claimWithRecords} writes beside the claim. */
export interface ClaimRecords {
  /** Recorded on the case once each (first observation wins), e.g. `priorState.preserve`. */
  readonly entries: readonly RecordEntry[];
  /** The received event's link item (`sk=EVENT#<sha256>`), written once: an existing link is left as it is. */
  readonly link?: { readonly sha256: string } & Record<string, unknown>;
  /** Items written in the same transaction that may cancel it, read again and retried when they alone did. */
  readonly guard?: ClaimGuard;
  /** The Claim timeline entries for the claim about to be written (its case, status, and the decision). */
  readonly timeline: (claim: {
    caseId: string;
    status: 'CLAIMED' | 'RESUMED';
    decision: ClaimDecision;
    previous: ClaimItem | undefined;
  }) => TimelineEntry[];
}

/** One item of a TransactWriteItems call (the document client's shape). */
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A new case and its claim, as {@link newCaseTransactItems} writes them. */
interface NewCase {
  pk: string;
  caseId: string;
  status: 'IN_PROGRESS' | 'FAILED';
  executionName: string;
  leaseExpiresAt: string;
  version: number;
  existing: ClaimItem | undefined;
  incident: Incident;
  now: Date;
  details?: Record<string, unknown>;
}

/**
 * The two Puts of a new case: the claim conditional on there being none, or on the freeing one read (`existing`, by
 * status and version: RELEASED, SHADOW or SUPPRESSED), the case on its ID being new. Both carry `status`.
 */
function newCaseTransactItems(tableName: string, c: NewCase) {
  const { incident, now } = c;
  const claim = {
    Put: {
      TableName: tableName,
      Item: {
        pk: c.pk,
        sk: 'CLAIM',
        caseId: c.caseId,
        status: c.status,
        owner: c.executionName,
        leaseExpiresAt: c.leaseExpiresAt,
        version: c.version,
      } satisfies ClaimItem as Record<string, unknown>,
      ...(c.existing
        ? {
            // The freeing claim read (RELEASED, SHADOW or SUPPRESSED: `opensNewCase`), unchanged since.
            ConditionExpression: '#s = :freed AND version = :v',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':freed': c.existing.status, ':v': c.existing.version },
          }
        : { ConditionExpression: 'attribute_not_exists(pk)' }),
    },
  };
  const kase = {
    Put: {
      TableName: tableName,
      Item: {
        pk: `CASE#${c.caseId}`,
        sk: 'CASE',
        caseId: c.caseId,
        playbook: incident.playbook,
        account: incident.account,
        region: incident.region,
        resourceId: incident.resource.id,
        status: c.status,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        incident,
        findingIds: new Set([incident.finding.id]),
        priorState: {},
        evidence: {},
        notifications: {},
        decisions: {},
        ...(c.details ? { outcomeDetails: c.details } : {}),
      } as Record<string, unknown>,
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  return [claim, kase] as [
    TransactItem & { Put: NonNullable<TransactItem['Put']> },
    TransactItem & { Put: NonNullable<TransactItem['Put']> },
  ];
}

/** The received event's link (`sk=EVENT#<sha256>`) as a transaction Update that writes each field only when absent. */
function linkUpdate(tableName: string, caseId: string, link: { readonly sha256: string } & Record<string, unknown>): TransactItem {
  const fields = Object.entries({ ...link, caseId });
  return {
    Update: {
      TableName: tableName,
      Key: { pk: `CASE#${caseId}`, sk: `EVENT#${link.sha256}` },
      UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = if_not_exists(#f${i}, :f${i})`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(fields.map(([k], i) => [`#f${i}`, k])),
      ExpressionAttributeValues: Object.fromEntries(fields.map(([, v], i) => [`:f${i}`, v])),
    },
  };
}
