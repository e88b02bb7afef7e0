import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ClaimLost } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import type { Incident } from '../../core/incident/incident';
import { recordedSnapshotKey, RecordedSnapshot, rejectedSnapshotKey, RejectedSnapshot } from '../evidence/provenance';
import '../clients/dynamodb';

/**
 * The DynamoDB case ledger: claims, cases, prior state, evidence records and the case timeline.
 *
 * Single-table layout (partition key `pk`, sort key `sk`, both strings):
 * - claim:    `pk = CLAIM#<playbook>#<account>#<region>#<resourceId>`, `sk = CLAIM`
 * - case:     `pk = CASE#<caseId>`, `sk = CASE`
 * - timeline: `pk = CASE#<caseId>`, `sk = TL#<ISO-8601 UTC>#<random>`
 *
 * Every write is conditional or uses `if_not_exists`, so repeating any of them is safe
 * ("Condition expressions", DynamoDB Developer Guide).
 */

/**
 * Case states. `IN_PROGRESS` and `FAILED` can be resumed; `RELEASED` (containment undone by the
 * release playbook) frees the resource, so the next finding about it opens a new case; the others
 * are final.
 */
export type CaseStatus = 'IN_PROGRESS' | 'CONTAINED' | 'NOTIFIED' | 'FAILED' | 'RESOURCE_GONE' | 'RELEASED';

/** The states of an open case (one that still holds its resource's claim and is not released). */
export const OPEN_CASE_STATUSES: readonly CaseStatus[] = ['IN_PROGRESS', 'CONTAINED', 'NOTIFIED', 'FAILED'];

/** A case as stored. */
export interface CaseRecord {
  readonly caseId: string;
  readonly playbook: string;
  readonly account: string;
  readonly region: string;
  readonly resourceId: string;
  readonly status: CaseStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly incident: Incident;
  /** Every finding ID seen for the case (a DynamoDB string set). */
  readonly findingIds: Set<string>;
  readonly priorState: Record<string, unknown>;
  readonly evidence: Record<string, unknown>;
  readonly notifications: Record<string, string>;
  /** Decisions fixed once per case (e.g. `revocationCutoff`). */
  readonly decisions: Record<string, unknown>;
  /** The pending or answered approval (catalog `approval` mode), if the case needed one. */
  readonly approval?: ApprovalRecord;
}

/** How an approval was answered. Times are ISO-8601 UTC. */
export interface ApprovalAnswer {
  readonly decision: 'approve' | 'deny' | 'timeout';
  /** The approver's ARN, or `timeout`. */
  readonly by: string;
  readonly reason?: string;
  readonly at: string;
  /** What the playbook did with it. */
  readonly action: 'contain' | 'notify';
}

/** An approval request on a case (RequestApproval) and, once answered, its answer (RecordApproval). */
export interface ApprovalRecord {
  /** The Step Functions task token that `firebreak approve` / `deny` answer with SendTaskSuccess. */
  readonly taskToken: string;
  /** The execution that waits. */
  readonly executionName: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
  /** What applies when nobody answers. */
  readonly onTimeout: 'contain' | 'notify';
  readonly answer?: ApprovalAnswer;
}

/** One timeline entry. Times are ISO-8601 UTC. */
export interface TimelineEntry {
  readonly at: string;
  readonly step: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'INFO';
  readonly executionName?: string;
  readonly trigger?: string;
  /** Who started the execution by hand (e.g. the release playbook's `operator`), when known. */
  readonly operator?: string;
  readonly durationMs?: number;
  /** Calls made by the step, by `Service.Operation`. */
  readonly apiCalls?: Record<string, number>;
  readonly details?: Record<string, unknown>;
  readonly error?: { name: string; message: string };
}

/** The result of {@link CaseLedger.claim}. */
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
}

/** Dependencies of {@link CaseLedger}. */
export interface CaseLedgerDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Current time; injectable for tests. @default () => new Date() */
  readonly now?: () => Date;
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

/** The key that makes a case unique: one open case per (playbook, account, region, resource). */
export function claimKey(incident: { playbook: string; account: string; region: string; resource: { id: string } }): string {
  return `CLAIM#${incident.playbook}#${incident.account}#${incident.region}#${incident.resource.id}`;
}

/** A new case ID: `fb-<yyyymmdd>-<10 hex>` (UTC date). */
export function newCaseId(now: Date): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `fb-${day}-${randomBytes(5).toString('hex')}`;
}

/** Reads and writes the case ledger. */
export class CaseLedger {
  private readonly now: () => Date;

  constructor(private readonly deps: CaseLedgerDeps) {
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
   * - otherwise (`CONTAINED`, `NOTIFIED`) → `ALREADY_HANDLED`, the finding added to the case's
   *   `findingIds` (`newFinding` says whether this call added it).
   * Every outcome but `CLAIMED` appends a timeline entry to the existing case.
   * @param incident - the normalized incident.
   * @param executionName - the Step Functions execution name (the claim's owner).
   * @param leaseSeconds - how long an in-progress claim blocks other executions.
   * @throws {Error} the SDK's error when DynamoDB fails (mapped to Throttled/TransientAwsError upstream).
   */
  async claim(incident: Incident, executionName: string, leaseSeconds: number): Promise<ClaimResult> {
    const pk = claimKey(incident);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.now();
      const lease = new Date(now.getTime() + leaseSeconds * 1000).toISOString();
      const existing = (await this.deps.ddb.send(new GetCommand({ TableName: this.deps.tableName, Key: { pk, sk: 'CLAIM' }, ConsistentRead: true }))).Item as ClaimItem | undefined;
      if (!existing || existing.status === 'RELEASED') {
        // No claim, or the last case on the resource was released: a new case.
        const caseId = newCaseId(now);
        const version = (existing?.version ?? 0) + 1;
        try {
          await this.writeNewCase({ pk, caseId, status: 'IN_PROGRESS', executionName, leaseExpiresAt: lease, version, existing, incident, now });
          return { caseId, status: 'CLAIMED', previousCaseId: existing?.caseId };
        } catch (err) {
          if (hasAwsCode(err, 'TransactionCanceledException', 'ConditionalCheckFailedException')) continue;
          throw err;
        }
      }
      const takeOver = this.takeOverReason(existing, incident, executionName, now);
      if (takeOver === 'own') {
        // A retry of this execution's own Claim: extend its lease.
        await this.deps.ddb.send(new UpdateCommand({
          TableName: this.deps.tableName, Key: { pk, sk: 'CLAIM' },
          UpdateExpression: 'SET leaseExpiresAt = :l', ConditionExpression: '#o = :o',
          ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':l': lease, ':o': executionName },
        }));
        return { caseId: existing.caseId, status: 'RESUMED', previousStatus: existing.status };
      }
      if (takeOver === undefined) {
        const newFinding = await this.addFinding(existing.caseId, incident.finding.id);
        await this.appendTimeline(existing.caseId, {
          at: now.toISOString(), step: 'Claim', status: 'INFO', executionName, trigger: incident.trigger,
          details: {
            outcome: 'ALREADY_HANDLED', caseStatus: existing.status, owner: existing.owner, findingId: incident.finding.id, findingCount: incident.finding.count,
            newFinding, ...(newFinding ? { findingType: incident.finding.type, severity: incident.finding.severity } : {}),
          },
        });
        return { caseId: existing.caseId, status: 'ALREADY_HANDLED', previousStatus: existing.status, newFinding };
      }
      try {
        await this.deps.ddb.send(
          new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { pk, sk: 'CLAIM' },
            UpdateExpression: 'SET #s = :s, #o = :o, leaseExpiresAt = :l, version = version + :one',
            ConditionExpression: 'version = :v',
            ExpressionAttributeNames: { '#s': 'status', '#o': 'owner' },
            ExpressionAttributeValues: { ':s': 'IN_PROGRESS', ':o': executionName, ':l': lease, ':v': existing.version, ':one': 1 },
          }),
        );
      } catch (err) {
        if (hasAwsCode(err, 'ConditionalCheckFailedException')) continue;
        throw err;
      }
      await this.setCaseStatus(existing.caseId, 'IN_PROGRESS', incident.finding.id);
      await this.appendTimeline(existing.caseId, {
        at: now.toISOString(), step: 'Claim', status: 'INFO', executionName, trigger: incident.trigger,
        details: { outcome: 'RESUMED', reason: takeOver, previousStatus: existing.status, previousOwner: existing.owner },
      });
      return { caseId: existing.caseId, status: 'RESUMED', previousStatus: existing.status };
    }
    // Three lost races in a row: someone else is actively claiming; let them.
    const item = (await this.deps.ddb.send(new GetCommand({ TableName: this.deps.tableName, Key: { pk, sk: 'CLAIM' }, ConsistentRead: true }))).Item as ClaimItem;
    return { caseId: item.caseId, status: 'ALREADY_HANDLED', previousStatus: item.status };
  }

  private takeOverReason(claim: ClaimItem, incident: Incident, executionName: string, now: Date): 'own' | 'failed' | 'recheck-gone' | 'lease-expired' | 'escalation' | undefined {
    if (claim.status === 'IN_PROGRESS' && claim.owner === executionName) return 'own';
    if (claim.status === 'FAILED') return 'failed';
    // A resource taken to be gone is looked at again by the next finding or manual run about it: EC2 is
    // eventually consistent, and a case must not write off a live instance for good (issue 10).
    if (claim.status === 'RESOURCE_GONE' && !incident.dryRun) return 'recheck-gone';
    if (claim.status === 'IN_PROGRESS' && claim.leaseExpiresAt <= now.toISOString()) return 'lease-expired';
    // A notify-only case is escalated when the finding now calls for containment (automatic, or after an
    // approval), or an engineer starts it by hand.
    if (claim.status === 'NOTIFIED' && (incident.mode === 'auto' || incident.mode === 'approval' || incident.trigger === 'manual') && !incident.dryRun) return 'escalation';
    return undefined;
  }

  /**
   * Sets the final status of a case and of its claim. The claim stays, so a later finding for the
   * same resource is `ALREADY_HANDLED` until a release lifts it (`FAILED` claims can be resumed).
   * @param executionName - when given, the claim must still belong to this execution: an execution
   *   whose claim was taken over (lease expired) cannot overwrite the new owner's outcome.
   * @throws {ClaimLost} when the claim belongs to another execution now.
   */
  async finish(caseId: string, status: Exclude<CaseStatus, 'IN_PROGRESS'>, details?: Record<string, unknown>, executionName?: string): Promise<void> {
    const record = await this.getCase(caseId);
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
          Key: { pk: claimKey({ playbook: record.playbook, account: record.account, region: record.region, resource: { id: record.resourceId } }), sk: 'CLAIM' },
          UpdateExpression: 'SET #s = :s, version = version + :one',
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (hasAwsCode(err, 'ConditionalCheckFailedException')) {
        throw new ClaimLost(`Case ${caseId} is no longer claimed by ${executionName ?? 'this case'}; not setting ${status}`, { cause: err });
      }
      throw err;
    }
    await this.setCaseStatus(caseId, status, undefined, details);
  }

  /**
   * Adds a finding to a case's `findingIds`.
   * @returns true when the case did not hold it yet (only one of concurrent callers sees true).
   */
  private async addFinding(caseId: string, findingId: string): Promise<boolean> {
    const out = await this.deps.ddb.send(new UpdateCommand({
      TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
      UpdateExpression: 'ADD findingIds :f', ConditionExpression: 'attribute_exists(pk)',
      // ALL_OLD, not UPDATED_OLD: an ADD that changes nothing (a repeat) need not count as an update.
      ExpressionAttributeValues: { ':f': new Set([findingId]) }, ReturnValues: 'ALL_OLD',
    }));
    const before = out.Attributes?.findingIds as Set<string> | undefined;
    return !before?.has(findingId);
  }

  private async setCaseStatus(caseId: string, status: CaseStatus, findingId?: string, details?: Record<string, unknown>): Promise<void> {
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':s': status, ':u': this.now().toISOString() };
    let expr = 'SET #s = :s, updatedAt = :u';
    if (findingId) {
      expr += ' ADD findingIds :f';
      values[':f'] = new Set([findingId]);
    }
    if (details) {
      expr += ', outcomeDetails = :d';
      values[':d'] = details;
    }
    await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  }

  /**
   * Records prior state under `priorState.<key>` unless already recorded: the first observation,
   * made before anything was changed, always wins, so a re-run after a crash never records
   * Firebreak's own changes as the prior state.
   * @returns the value stored (the earlier one when it existed).
   */
  async recordPriorState<T>(caseId: string, key: string, value: T): Promise<T> {
    return this.setOnce(caseId, 'priorState', key, value);
  }

  /** Records an evidence item under `evidence.<key>` unless already recorded; returns the stored value. */
  async recordEvidence<T>(caseId: string, key: string, value: T): Promise<T> {
    return this.setOnce(caseId, 'evidence', key, value);
  }

  /**
   * Records an evidence snapshot under `evidence["snapshot#<stage>#<volumeId>"]` unless one is recorded for that
   * stage and volume already: the first record wins, so two runs that each created a snapshot (concurrently,
   * or a retry) converge on one. Called with the ID the create call returned, before anything uses it.
   * @returns the stored record (another run's when it was first; the caller then holds a duplicate).
   */
  async recordSnapshot(caseId: string, snapshot: RecordedSnapshot): Promise<RecordedSnapshot> {
    return this.setOnce(caseId, 'evidence', recordedSnapshotKey(snapshot.stage, snapshot.volumeId), snapshot);
  }

  /**
   * Replaces a recorded evidence snapshot that no longer holds (deleted, or failing provenance on a re-read),
   * only while the record still names `previousSnapshotId` (conditional write), so concurrent runs replace it once.
   * @returns the stored record afterwards (the other run's replacement when it was first).
   */
  async replaceSnapshot(caseId: string, previousSnapshotId: string, snapshot: RecordedSnapshot): Promise<RecordedSnapshot> {
    const key = recordedSnapshotKey(snapshot.stage, snapshot.volumeId);
    try {
      await this.deps.ddb.send(new UpdateCommand({
        TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'SET evidence.#k = :v, updatedAt = :u',
        ConditionExpression: 'evidence.#k.snapshotId = :old',
        ExpressionAttributeNames: { '#k': key },
        ExpressionAttributeValues: { ':v': snapshot, ':old': previousSnapshotId, ':u': this.now().toISOString() },
      }));
      return snapshot;
    } catch (err) {
      if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
      return (await this.getCase(caseId))?.evidence?.[key] as RecordedSnapshot;
    }
  }

  /**
   * Records the case's manifest and the snapshot chain it names, in one write, unless a manifest is recorded
   * already (then that one is returned: {@link supersedeManifest} replaces it).
   * @returns the manifest the case points at afterwards.
   */
  async recordManifest<M>(caseId: string, manifest: M, snapshots: unknown): Promise<M> {
    try {
      await this.deps.ddb.send(new UpdateCommand({
        TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'SET evidence.manifest = :m, evidence.snapshots = :s, updatedAt = :u',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(evidence.manifest)',
        ExpressionAttributeValues: { ':m': manifest, ':s': snapshots, ':u': this.now().toISOString() },
      }));
      return manifest;
    } catch (err) {
      if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
      return (await this.getCase(caseId))?.evidence?.manifest as M;
    }
  }

  /**
   * Points the case at a new manifest when the snapshot chain it records changed after the first manifest was
   * written (a re-run replaced a deleted snapshot): `evidence.manifest` and `evidence.snapshots` become `next`,
   * and the previous manifest stays on the case as `evidence["superseded#<its key>"]` (the object itself is under
   * Object Lock). Conditional on the case still pointing at `previous.key`, so concurrent runs supersede it once.
   * @returns the manifest the case points at afterwards (the other run's when it was first).
   */
  async supersedeManifest<M extends { key: string }>(caseId: string, previous: M, next: { manifest: M; snapshots: unknown }): Promise<M> {
    try {
      await this.deps.ddb.send(new UpdateCommand({
        TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'SET evidence.manifest = :m, evidence.snapshots = :s, evidence.#old = :prev, updatedAt = :u',
        ConditionExpression: 'evidence.manifest.#key = :oldKey',
        ExpressionAttributeNames: { '#old': `superseded#${previous.key}`, '#key': 'key' },
        ExpressionAttributeValues: {
          ':m': next.manifest, ':s': next.snapshots, ':prev': { ...previous, supersededAt: this.now().toISOString() },
          ':oldKey': previous.key, ':u': this.now().toISOString(),
        },
      }));
      return next.manifest;
    } catch (err) {
      if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
      return (await this.getCase(caseId))?.evidence?.manifest as M;
    }
  }

  /**
   * Records decisions under `decisions.<key>` for every key in one write, each unless already recorded (the
   * snapshot intents of a create call: one atomic write, so that of two concurrent runs one holds every key).
   * @returns the stored value of each key.
   */
  async recordDecisions<T>(caseId: string, keys: readonly string[], value: T): Promise<T[]> {
    if (!keys.length) return [];
    const names: Record<string, string> = { '#m': 'decisions' };
    keys.forEach((k, i) => { names[`#k${i}`] = k; });
    const out = await this.deps.ddb.send(new UpdateCommand({
      TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
      UpdateExpression: `SET ${keys.map((_, i) => `#m.#k${i} = if_not_exists(#m.#k${i}, :v)`).join(', ')}, updatedAt = :u`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':v': value, ':u': this.now().toISOString() },
      ReturnValues: 'ALL_NEW',
    }));
    const decisions = out.Attributes?.decisions as Record<string, T>;
    return keys.map((k) => decisions[k]);
  }

  /** Records a snapshot refused as evidence, with why, under `evidence["rejected#<snapshotId>"]` (first record wins). */
  async rejectSnapshot(caseId: string, rejected: RejectedSnapshot): Promise<RejectedSnapshot> {
    return this.setOnce(caseId, 'evidence', rejectedSnapshotKey(rejected.snapshotId), rejected);
  }

  /**
   * Records a decision under `decisions.<key>` unless already recorded (e.g. a session-revocation
   * cutoff, so a re-run after a crash writes the same policy).
   * @returns the stored value (the earlier one when it existed).
   */
  async recordDecision<T>(caseId: string, key: string, value: T): Promise<T> {
    return this.setOnce(caseId, 'decisions', key, value);
  }

  /** Marks a notification as sent (ISO time); returns false when it had already been sent. */
  async markNotified(caseId: string, kind: string): Promise<boolean> {
    const at = this.now().toISOString();
    const stored = await this.setOnce(caseId, 'notifications', kind, at);
    return stored === at;
  }

  private async setOnce<T>(caseId: string, map: string, key: string, value: T): Promise<T> {
    const out = await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'SET #m.#k = if_not_exists(#m.#k, :v), updatedAt = :u',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#m': map, '#k': key },
        ExpressionAttributeValues: { ':v': value, ':u': this.now().toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return (out.Attributes?.[map] as Record<string, T>)[key];
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
    const record = await this.getCase(caseId);
    if (!record) throw new ClaimLost(`Case ${caseId} does not exist`);
    if (record.status === 'RELEASED') return false;
    const pk = claimKey({ playbook: record.playbook, account: record.account, region: record.region, resource: { id: record.resourceId } });
    const now = this.now().toISOString();
    try {
      await this.deps.ddb.send(new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.deps.tableName, Key: { pk, sk: 'CLAIM' },
              UpdateExpression: 'SET #s = :s, version = version + :one',
              ConditionExpression: 'caseId = :c',
              ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'RELEASED', ':c': caseId, ':one': 1 },
            },
          },
          {
            Update: {
              TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
              UpdateExpression: 'SET #s = :s, updatedAt = :u, releasedAt = :u, releaseDetails = :d',
              ConditionExpression: 'attribute_exists(pk) AND #s <> :s',
              ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'RELEASED', ':u': now, ':d': details },
            },
          },
        ],
      }));
    } catch (err) {
      if (!hasAwsCode(err, 'TransactionCanceledException', 'ConditionalCheckFailedException')) throw err;
      const again = await this.getCase(caseId);
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
    const out = await this.deps.ddb.send(new GetCommand({ TableName: this.deps.tableName, Key: { pk: claimKey(key), sk: 'CLAIM' }, ConsistentRead: true }));
    return out.Item as ClaimItem | undefined;
  }

  /**
   * Writes a new case and its claim in one transaction: the claim conditional on there being none, or on the
   * RELEASED one read (`existing`, by version), the case on its ID being new. Both carry `status`.
   * @throws {Error} `TransactionCanceledException` when a condition fails (the callers retry), or the SDK's error.
   */
  private async writeNewCase(c: {
    pk: string; caseId: string; status: 'IN_PROGRESS' | 'FAILED'; executionName: string; leaseExpiresAt: string; version: number;
    existing: ClaimItem | undefined; incident: Incident; now: Date; details?: Record<string, unknown>;
  }): Promise<void> {
    const { incident, now } = c;
    await this.deps.ddb.send(new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: this.deps.tableName,
            Item: { pk: c.pk, sk: 'CLAIM', caseId: c.caseId, status: c.status, owner: c.executionName, leaseExpiresAt: c.leaseExpiresAt, version: c.version } satisfies ClaimItem,
            ...(c.existing
              ? { ConditionExpression: '#s = :released AND version = :v', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':released': 'RELEASED', ':v': c.existing.version } }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          },
        },
        {
          Put: {
            TableName: this.deps.tableName,
            Item: {
              pk: `CASE#${c.caseId}`, sk: 'CASE', caseId: c.caseId, playbook: incident.playbook, account: incident.account,
              region: incident.region, resourceId: incident.resource.id, status: c.status,
              createdAt: now.toISOString(), updatedAt: now.toISOString(), incident,
              findingIds: new Set([incident.finding.id]), priorState: {}, evidence: {}, notifications: {}, decisions: {},
              ...(c.details ? { outcomeDetails: c.details } : {}),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    }));
  }

  /**
   * The case a failed execution records its failure on when Claim never returned one (issue 11: Claim
   * failed, and the failure must still reach a case a person is told of). Never takes a claim from anyone
   * and never holds one IN_PROGRESS, so it cannot keep another execution from containing:
   * - no claim on the resource, or a RELEASED one → a new case and its claim, both written `FAILED` in one
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
  async failedCaseFor(incident: Incident, executionName: string, details?: Record<string, unknown>): Promise<{ caseId: string; relation: 'opened' | 'own' | 'other'; claimStatus: CaseStatus }> {
    const pk = claimKey(incident);
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.findClaim(incident);
      if (existing && existing.status !== 'RELEASED') {
        const own = existing.owner === executionName && (existing.status === 'IN_PROGRESS' || existing.status === 'FAILED');
        return { caseId: existing.caseId, relation: own ? 'own' : 'other', claimStatus: existing.status };
      }
      const now = this.now();
      const caseId = newCaseId(now);
      try {
        await this.writeNewCase({
          pk, caseId, status: 'FAILED', executionName, leaseExpiresAt: now.toISOString(), version: (existing?.version ?? 0) + 1, existing, incident, now, details,
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
    return { caseId: item.caseId, relation: item.owner === executionName && (item.status === 'IN_PROGRESS' || item.status === 'FAILED') ? 'own' : 'other', claimStatus: item.status };
  }

  /**
   * Lists cases, newest first. The ledger has no secondary index, so this scans the table for case
   * items: fine for the CLI at the volumes a ledger holds (thousands of cases), not for a hot path.
   * @param filter.open - only cases in {@link OPEN_CASE_STATUSES}.
   * @param filter.account - only cases in this member account.
   */
  async listCases(filter: { open?: boolean; account?: string } = {}): Promise<CaseRecord[]> {
    const items: CaseRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.deps.ddb.send(new ScanCommand({
        TableName: this.deps.tableName, FilterExpression: 'sk = :case', ExpressionAttributeValues: { ':case': 'CASE' }, ExclusiveStartKey: start,
      }));
      items.push(...((out.Items ?? []) as CaseRecord[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items
      .filter((c) => (!filter.open || OPEN_CASE_STATUSES.includes(c.status)) && (!filter.account || c.account === filter.account))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /**
   * Records a pending approval on a case, replacing an earlier request: an execution that takes over
   * the case after a crash waits on its own task token, and only that one can be answered.
   */
  async putApprovalRequest(caseId: string, request: Omit<ApprovalRecord, 'answer'>): Promise<void> {
    await this.deps.ddb.send(new UpdateCommand({
      TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
      UpdateExpression: 'SET approval = :a, updatedAt = :u', ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':a': request, ':u': this.now().toISOString() },
    }));
  }

  /**
   * Records the answer to a case's approval once (the first answer wins: a re-run of RecordApproval
   * keeps it).
   * @returns the stored answer.
   */
  async answerApproval(caseId: string, answer: ApprovalAnswer): Promise<ApprovalAnswer> {
    const out = await this.deps.ddb.send(new UpdateCommand({
      TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
      UpdateExpression: 'SET approval.answer = if_not_exists(approval.answer, :a), updatedAt = :u',
      ConditionExpression: 'attribute_exists(approval)',
      ExpressionAttributeValues: { ':a': answer, ':u': this.now().toISOString() },
      ReturnValues: 'ALL_NEW',
    }));
    return (out.Attributes?.approval as ApprovalRecord).answer!;
  }

  /** Reads a case (strongly consistent); `undefined` when it does not exist. */
  async getCase(caseId: string): Promise<CaseRecord | undefined> {
    const out = await this.deps.ddb.send(new GetCommand({ TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' }, ConsistentRead: true }));
    return out.Item as CaseRecord | undefined;
  }

  /** Appends one entry to a case's timeline. */
  async appendTimeline(caseId: string, entry: TimelineEntry): Promise<void> {
    await this.deps.ddb.send(
      new PutCommand({
        TableName: this.deps.tableName,
        Item: { pk: `CASE#${caseId}`, sk: `TL#${entry.at}#${randomBytes(4).toString('hex')}`, caseId, ...entry },
      }),
    );
  }

  /**
   * Links a received event to a case: an item of its own, `pk=CASE#<caseId>`, `sk=EVENT#<sha256>` (written once;
   * a repeat of the same event changes nothing). Not on the case item: a contained instance may keep raising
   * findings for as long as the case stays open, and the case item is limited to 400 KB ("Item size",
   * Amazon DynamoDB Developer Guide).
   * @param link - the stored event's reference, the finding it carried, and when (ISO-8601 UTC).
   */
  async linkEvent<T extends { readonly sha256: string }>(caseId: string, link: T): Promise<void> {
    try {
      await this.deps.ddb.send(new PutCommand({
        TableName: this.deps.tableName,
        Item: { ...link, pk: `CASE#${caseId}`, sk: `EVENT#${link.sha256}`, caseId },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
    } catch (err) {
      if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
    }
  }

  /**
   * The events linked to a case ({@link linkEvent}), in no particular order.
   * @returns the link items as written (without `pk`/`sk`).
   */
  async linkedEvents(caseId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.deps.ddb.send(new QueryCommand({
        TableName: this.deps.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
        ExpressionAttributeValues: { ':pk': `CASE#${caseId}`, ':e': 'EVENT#' },
        ExclusiveStartKey: start, ConsistentRead: true,
      }));
      items.push(...(out.Items ?? []).map(({ pk: _pk, sk: _sk, ...rest }) => rest));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Reads a case's timeline, oldest first. */
  async timeline(caseId: string): Promise<TimelineEntry[]> {
    const items: TimelineEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.deps.ddb.send(
        new QueryCommand({
          TableName: this.deps.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tl)',
          ExpressionAttributeValues: { ':pk': `CASE#${caseId}`, ':tl': 'TL#' },
          ExclusiveStartKey: start, ConsistentRead: true,
        }),
      );
      items.push(...((out.Items ?? []) as TimelineEntry[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
