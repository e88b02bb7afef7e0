import { createHash, randomBytes } from 'node:crypto';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { hasAwsCode } from '../aws-errors';
import type { Incident } from '../../core/incident/incident';
import type { CaseUpdate as AddingUpdate } from './claims';
import { recordedSnapshotKey, RecordedSnapshot, rejectedSnapshotKey, RejectedSnapshot } from '../evidence/provenance';
import { type CaseStatus, isOpenCase } from './policy';
import '../clients/dynamodb';
import type { Hold } from '../../core/brakes';

/**
 * The case records of the DynamoDB case ledger: the case item, its timeline and the events linked to it. The
 * claim on a resource is `claims.ts`'s; what a status means is `policy.ts`'s.
 *
 * Items (partition key `pk`, sort key `sk`, both strings):
 * - case:     `pk = CASE#<caseId>`, `sk = CASE`
 * - timeline: `pk = CASE#<caseId>`, `sk = TL#<ISO-8601 UTC>#<random>`
 * - event:    `pk = CASE#<caseId>`, `sk = EVENT#<sha256>`
 *
 * Every write is conditional or uses `if_not_exists`, so repeating any of them is safe
 * ("Condition expressions", DynamoDB Developer Guide).
 */

export type { CaseStatus } from './policy';

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
  /** The last update that added to the case (Claim's `update` take-over: an attack sequence GuardDuty updated). */
  readonly update?: AddingUpdate;
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
  /** Why the case waits, when a brake held an automatic containment (issue 14): the rule, in words too. */
  readonly hold?: Hold;
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

/**
 * A step's SUCCEEDED timeline entry handed to a ledger write to carry (runStep's `StepRun.fold`): the write and
 * the timeline Put go in one TransactWriteItems ("TransactWriteItems", DynamoDB API Reference: all or nothing), and
 * the write calls `written()` once it committed. When the transaction is cancelled (a condition failed, a conflict)
 * the write is made again on its own, as it would be without a fold, and `written()` is not called: the step's
 * runner then writes the entry itself.
 */
export interface TimelineFold {
  readonly entry: TimelineEntry;
  /**
   * Entries of earlier steps that deferred theirs to this step (runStep's `carried`), put in the same transaction
   * under stable keys ({@link timelineItem}); a writer that puts them says so with `written(true)`, else runStep puts
   * them itself.
   */
  readonly carried?: readonly TimelineEntry[];
  written(withCarried?: boolean): void;
}

/** One case update (the case item's key is the caller's): what {@link CaseRecords.updateCase} sends. */
export type CaseUpdate = Pick<UpdateCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> & {
  readonly UpdateExpression: string;
};

/**
 * The timeline item of an entry: `pk=CASE#<caseId>`, `sk=TL#<at>#<8 random hex>`; with `stable`, the 8 hex are the
 * entry's own SHA-256 instead, so writing the same entry again (a retry of the step that carries it) overwrites the
 * one item rather than adding a second.
 */
export function timelineItem(caseId: string, entry: TimelineEntry, stable = false): Record<string, unknown> {
  const suffix = stable ? createHash('sha256').update(JSON.stringify(entry)).digest('hex').slice(0, 8) : randomBytes(4).toString('hex');
  return { pk: `CASE#${caseId}`, sk: `TL#${entry.at}#${suffix}`, caseId, ...entry };
}

/** Dependencies of {@link CaseRecords} (and of the claims and the ledger built on them). */
export interface CaseRecordsDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Current time; injectable for tests. @default () => new Date() */
  readonly now?: () => Date;
}

/** Reads and writes case records: the case item, its timeline and its linked events. */
export class CaseRecords {
  private readonly now: () => Date;

  constructor(private readonly deps: CaseRecordsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Reads a case (strongly consistent); `undefined` when it does not exist. */
  async getCase(caseId: string): Promise<CaseRecord | undefined> {
    const out = await this.deps.ddb.send(
      new GetCommand({ TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' }, ConsistentRead: true }),
    );
    return out.Item as CaseRecord | undefined;
  }

  /** Appends one entry to a case's timeline (`stable`: under its stable key, {@link timelineItem}). */
  async appendTimeline(caseId: string, entry: TimelineEntry, stable = false): Promise<void> {
    await this.deps.ddb.send(new PutCommand({ TableName: this.deps.tableName, Item: timelineItem(caseId, entry, stable) }));
  }

  /**
   * One update of a case item, carrying a step's timeline entry when `fold` is given: then the update and the
   * timeline Put are one TransactWriteItems, and `fold.written()` is called once it committed. A cancelled
   * transaction (the update's condition failed, or a conflict) is followed by the update alone, exactly as without
   * a fold (so its errors and return values are the plain UpdateItem's), and the entry is left to the caller.
   * @param returnValues - what the plain update returns (`ALL_NEW`); a committed transaction returns nothing.
   * @returns the plain update's attributes, or `undefined` when the transaction committed.
   * @throws the SDK's errors, `ConditionalCheckFailedException` from the plain update when its condition fails.
   */
  async updateCase(
    caseId: string,
    update: CaseUpdate,
    fold?: TimelineFold,
    returnValues?: 'ALL_NEW',
  ): Promise<Record<string, unknown> | undefined> {
    const Key = { pk: `CASE#${caseId}`, sk: 'CASE' };
    if (fold && (await this.transactWithTimeline(caseId, update, fold))) return undefined;
    const out = await this.deps.ddb.send(new UpdateCommand({ TableName: this.deps.tableName, Key, ...update, ReturnValues: returnValues }));
    return out.Attributes;
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
      await this.deps.ddb.send(
        new PutCommand({
          TableName: this.deps.tableName,
          Item: { ...link, pk: `CASE#${caseId}`, sk: `EVENT#${link.sha256}`, caseId },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
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
      const out = await this.deps.ddb.send(
        new QueryCommand({
          TableName: this.deps.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
          ExpressionAttributeValues: { ':pk': `CASE#${caseId}`, ':e': 'EVENT#' },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
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
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...((out.Items ?? []) as TimelineEntry[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * Lists cases, newest first. The ledger has no secondary index, so this scans the table for case
   * items: fine for the CLI at the volumes a ledger holds (thousands of cases), not for a hot path.
   * @param filter.open - only open cases ({@link isOpenCase}).
   * @param filter.account - only cases in this member account.
   */
  async listCases(filter: { open?: boolean; account?: string } = {}): Promise<CaseRecord[]> {
    const items: CaseRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.deps.ddb.send(
        new ScanCommand({
          TableName: this.deps.tableName,
          FilterExpression: 'sk = :case',
          ExpressionAttributeValues: { ':case': 'CASE' },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((out.Items ?? []) as CaseRecord[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items
      .filter((c) => (!filter.open || isOpenCase(c.status)) && (!filter.account || c.account === filter.account))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /**
   * Records a pending approval on a case, replacing an earlier request: an execution that takes over
   * the case after a crash waits on its own task token, and only that one can be answered.
   */
  async putApprovalRequest(caseId: string, request: Omit<ApprovalRecord, 'answer'>): Promise<void> {
    await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'SET approval = :a, updatedAt = :u',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':a': request, ':u': this.now().toISOString() },
      }),
    );
  }

  /**
   * Records the answer to a case's approval once (the first answer wins: a re-run of RecordApproval
   * keeps it).
   * @returns the stored answer.
   */
  async answerApproval(caseId: string, answer: ApprovalAnswer): Promise<ApprovalAnswer> {
    const out = await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'SET approval.answer = if_not_exists(approval.answer, :a), updatedAt = :u',
        ConditionExpression: 'attribute_exists(approval)',
        ExpressionAttributeValues: { ':a': answer, ':u': this.now().toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return (out.Attributes?.approval as ApprovalRecord).answer!;
  }

  /**
   * Adds a finding to a case's `findingIds`.
   * @returns true when the case did not hold it yet (only one of concurrent callers sees true).
   */
  async addFinding(caseId: string, findingId: string): Promise<boolean> {
    const out = await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'ADD findingIds :f',
        ConditionExpression: 'attribute_exists(pk)',
        // ALL_OLD, not UPDATED_OLD: an ADD that changes nothing (a repeat) need not count as an update.
        ExpressionAttributeValues: { ':f': new Set([findingId]) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const before = out.Attributes?.findingIds as Set<string> | undefined;
    return !before?.has(findingId);
  }

  /**
   * Sets a case's status (the case item only; its claim is the claim protocol's), adding `findingId` to its
   * `findingIds`, storing `details` as its `outcomeDetails`, and replacing its `incident` and `update` with `updated`'s
   * when given (an updated attack sequence taken over: the case then holds the sequence it acts on, and the update).
   * @throws {Error} `ConditionalCheckFailedException` when the case does not exist, or the SDK's error.
   */
  async setCaseStatus(
    caseId: string,
    status: CaseStatus,
    findingId?: string,
    details?: Record<string, unknown>,
    updated?: { incident: Incident; update: AddingUpdate },
  ): Promise<void> {
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':s': status, ':u': this.now().toISOString() };
    const set = ['#s = :s', 'updatedAt = :u'];
    if (details) {
      set.push('outcomeDetails = :d');
      values[':d'] = details;
    }
    if (updated) {
      set.push('incident = :i', '#up = :up');
      names['#up'] = 'update';
      values[':i'] = updated.incident;
      values[':up'] = updated.update;
    }
    let expr = `SET ${set.join(', ')}`;
    if (findingId) {
      expr += ' ADD findingIds :f';
      values[':f'] = new Set([findingId]);
    }
    await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: expr,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
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
   * {@link recordSnapshot} for a batch, in one write: each snapshot under its stage and volume unless one is recorded
   * there already (the first record wins). With `fold`, the write is a TransactWriteItems of the records, each
   * conditional on its key being free, and the step's timeline entry ({@link TimelineFold}); when that is cancelled
   * (a key was taken: a concurrent run recorded first; or a conflict) the plain write follows and tells which
   * records won, and the entry is left to the caller.
   * @returns the stored record of each snapshot, in order (another run's where it was first).
   * @throws {Error} `ConditionalCheckFailedException` when the case does not exist, or the SDK's error.
   */
  async recordSnapshots(caseId: string, snapshots: readonly RecordedSnapshot[], fold?: TimelineFold): Promise<RecordedSnapshot[]> {
    if (!snapshots.length) return [];
    const names: Record<string, string> = { '#m': 'evidence' };
    const values: Record<string, unknown> = { ':u': this.now().toISOString() };
    snapshots.forEach((r, i) => {
      names[`#k${i}`] = recordedSnapshotKey(r.stage, r.volumeId);
      values[`:v${i}`] = r;
    });
    const keys = snapshots.map((_, i) => i);
    if (fold) {
      const update = {
        UpdateExpression: `SET ${keys.map((i) => `#m.#k${i} = :v${i}`).join(', ')}, updatedAt = :u`,
        ConditionExpression: `attribute_exists(pk) AND ${keys.map((i) => `attribute_not_exists(#m.#k${i})`).join(' AND ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      };
      if (await this.transactWithTimeline(caseId, update, fold)) return [...snapshots];
    }
    const out = await this.updateCase(
      caseId,
      {
        UpdateExpression: `SET ${keys.map((i) => `#m.#k${i} = if_not_exists(#m.#k${i}, :v${i})`).join(', ')}, updatedAt = :u`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      undefined,
      'ALL_NEW',
    );
    const evidence = out?.evidence as Record<string, RecordedSnapshot>;
    return snapshots.map((_, i) => evidence[names[`#k${i}`]]);
  }

  /**
   * Replaces a recorded evidence snapshot that no longer holds (deleted, or failing provenance on a re-read),
   * only while the record still names `previousSnapshotId` (conditional write), so concurrent runs replace it once.
   * @returns the stored record afterwards (the other run's replacement when it was first).
   */
  async replaceSnapshot(caseId: string, previousSnapshotId: string, snapshot: RecordedSnapshot): Promise<RecordedSnapshot> {
    const key = recordedSnapshotKey(snapshot.stage, snapshot.volumeId);
    try {
      await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
          UpdateExpression: 'SET evidence.#k = :v, updatedAt = :u',
          ConditionExpression: 'evidence.#k.snapshotId = :old',
          ExpressionAttributeNames: { '#k': key },
          ExpressionAttributeValues: { ':v': snapshot, ':old': previousSnapshotId, ':u': this.now().toISOString() },
        }),
      );
      return snapshot;
    } catch (err) {
      if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
      return (await this.getCase(caseId))?.evidence?.[key] as RecordedSnapshot;
    }
  }

  /**
   * Records the case's manifest and the snapshot chain it names, in one write, unless a manifest is recorded
   * already (then that one is returned: {@link supersedeManifest} replaces it). With `fold`, the step's timeline entry
   * goes in the same write ({@link updateCase}).
   * @returns the manifest the case points at afterwards.
   */
  async recordManifest<M>(caseId: string, manifest: M, snapshots: unknown, fold?: TimelineFold): Promise<M> {
    try {
      await this.updateCase(
        caseId,
        {
          UpdateExpression: 'SET evidence.manifest = :m, evidence.snapshots = :s, updatedAt = :u',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(evidence.manifest)',
          ExpressionAttributeValues: { ':m': manifest, ':s': snapshots, ':u': this.now().toISOString() },
        },
        fold,
      );
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
   * Object Lock). Conditional on the case still pointing at `previous.key`, so concurrent runs supersede it once. With
   * `fold`, the step's timeline entry goes in the same write ({@link updateCase}).
   * @returns the manifest the case points at afterwards (the other run's when it was first).
   */
  async supersedeManifest<M extends { key: string }>(
    caseId: string,
    previous: M,
    next: { manifest: M; snapshots: unknown },
    fold?: TimelineFold,
  ): Promise<M> {
    try {
      await this.updateCase(
        caseId,
        {
          UpdateExpression: 'SET evidence.manifest = :m, evidence.snapshots = :s, evidence.#old = :prev, updatedAt = :u',
          ConditionExpression: 'evidence.manifest.#key = :oldKey',
          ExpressionAttributeNames: { '#old': `superseded#${previous.key}`, '#key': 'key' },
          ExpressionAttributeValues: {
            ':m': next.manifest,
            ':s': next.snapshots,
            ':prev': { ...previous, supersededAt: this.now().toISOString() },
            ':oldKey': previous.key,
            ':u': this.now().toISOString(),
          },
        },
        fold,
      );
      return next.manifest;
    } catch (err) {
      if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
      return (await this.getCase(caseId))?.evidence?.manifest as M;
    }
  }

  /**
   * Records several values on the case item in one UpdateItem, each at `<map>.<key>` unless already recorded there
   * (first observation wins, as {@link recordPriorState} and {@link recordDecision}): what Contain makes durable
   * before its first mutation (the prior state of preservation and isolation, and the groups the moves go through).
   * @param entries - `map` is a map attribute of the case item (`priorState`, `decisions`, `evidence`).
   * @returns the stored value of each entry, in order.
   * @throws ConditionalCheckFailedException when the case does not exist.
   */
  async recordOnce(caseId: string, entries: readonly { map: string; key: string; value: unknown }[]): Promise<unknown[]> {
    if (!entries.length) return [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':u': this.now().toISOString() };
    const sets = entries.map((e, i) => {
      names[`#m${i}`] = e.map;
      names[`#k${i}`] = e.key;
      values[`:v${i}`] = e.value;
      return `#m${i}.#k${i} = if_not_exists(#m${i}.#k${i}, :v${i})`;
    });
    const out = await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: `SET ${sets.join(', ')}, updatedAt = :u`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return entries.map((e) => (out.Attributes?.[e.map] as Record<string, unknown>)[e.key]);
  }

  /**
   * Replaces decisions that are leases (the evidence stages' snapshot intents, `{ at, executionName }`) in one
   * conditional write: every key is set to `value` only if each still holds the lease the caller read (`expected`:
   * the same `at` and `executionName`, or no value at all), so of two runs that take over the same leases at once
   * exactly one wins, all keys or none (UpdateItem's ConditionExpression is evaluated atomically with the write:
   * "Condition expressions", Amazon DynamoDB Developer Guide).
   * @param entries - each key and the lease read from it (`undefined`: the key held none).
   * @returns `true` when the write was made; `false` when a key no longer held what was read (another run took it).
   * @throws {Error} `ConditionalCheckFailedException` never (mapped to `false`); the SDK's other errors.
   */
  async takeDecisions(
    caseId: string,
    entries: readonly { key: string; expected?: { at: string; executionName?: string } }[],
    value: { at: string; executionName?: string },
  ): Promise<boolean> {
    if (!entries.length) return true;
    const names: Record<string, string> = { '#m': 'decisions', '#at': 'at', '#x': 'executionName' };
    const values: Record<string, unknown> = { ':v': value, ':u': this.now().toISOString() };
    const conditions = entries.map((e, i) => {
      names[`#k${i}`] = e.key;
      const path = `#m.#k${i}`;
      if (!e.expected) return `attribute_not_exists(${path})`;
      values[`:a${i}`] = e.expected.at;
      if (e.expected.executionName === undefined) return `${path}.#at = :a${i} AND attribute_not_exists(${path}.#x)`;
      values[`:x${i}`] = e.expected.executionName;
      return `${path}.#at = :a${i} AND ${path}.#x = :x${i}`;
    });
    try {
      await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
          UpdateExpression: `SET ${entries.map((_, i) => `#m.#k${i} = :v`).join(', ')}, updatedAt = :u`,
          ConditionExpression: ['attribute_exists(pk)', ...conditions].map((c) => `(${c})`).join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (hasAwsCode(err, 'ConditionalCheckFailedException')) return false;
      throw err;
    }
  }

  /**
   * Records decisions under `decisions.<key>` for every entry in one write, each unless already recorded (the
   * first value of each key stays).
   * @returns the stored value of each key.
   */
  async recordDecisionEntries(caseId: string, entries: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const keys = Object.keys(entries);
    if (!keys.length) return {};
    const names: Record<string, string> = { '#m': 'decisions' };
    const values: Record<string, unknown> = { ':u': this.now().toISOString() };
    keys.forEach((k, i) => {
      names[`#k${i}`] = k;
      values[`:v${i}`] = entries[k];
    });
    const out = await this.updateCase(
      caseId,
      {
        UpdateExpression: `SET ${keys.map((_, i) => `#m.#k${i} = if_not_exists(#m.#k${i}, :v${i})`).join(', ')}, updatedAt = :u`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      undefined,
      'ALL_NEW',
    );
    const decisions = out?.decisions as Record<string, unknown>;
    return Object.fromEntries(keys.map((k) => [k, decisions[k]]));
  }

  /**
   * {@link recordDecisionEntries} that also reads the case: one UpdateItem whose `ReturnValues: ALL_OLD` gives the case
   * item as it was just before the write (UpdateItem, Amazon DynamoDB API reference), so a step that must record
   * before it acts (an evidence stage's create intents) and must know the case's records needs no GetItem first.
   * The stored value of each entry is the earlier one where `before.decisions` holds it, else the one given
   * (`if_not_exists`, in the same atomic write).
   * @returns the case as it was before the write, and the stored value of each entry.
   * @throws {Error} `ConditionalCheckFailedException` when the case does not exist, or the SDK's error.
   */
  async recordDecisionEntriesReading(
    caseId: string,
    entries: Readonly<Record<string, unknown>>,
  ): Promise<{ before: CaseRecord; stored: Record<string, unknown> }> {
    const keys = Object.keys(entries);
    const names: Record<string, string> = { '#m': 'decisions' };
    const values: Record<string, unknown> = { ':u': this.now().toISOString() };
    keys.forEach((k, i) => {
      names[`#k${i}`] = k;
      values[`:v${i}`] = entries[k];
    });
    const out = await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: `SET ${[...keys.map((_, i) => `#m.#k${i} = if_not_exists(#m.#k${i}, :v${i})`), 'updatedAt = :u'].join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: keys.length ? names : undefined,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      }),
    );
    const before = out.Attributes as CaseRecord;
    const earlier = before.decisions ?? {};
    return { before, stored: Object.fromEntries(keys.map((k) => [k, k in earlier ? earlier[k] : entries[k]])) };
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

  /**
   * One TransactWriteItems of a case update and a timeline entry's Put; `fold.written()` once it committed.
   * @returns false when it was cancelled (a condition failed, or a conflict): nothing was written.
   */
  private async transactWithTimeline(caseId: string, update: CaseUpdate, fold: TimelineFold): Promise<boolean> {
    try {
      await this.deps.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName: this.deps.tableName, Key: { pk: `CASE#${caseId}`, sk: 'CASE' }, ...update } },
            { Put: { TableName: this.deps.tableName, Item: timelineItem(caseId, fold.entry) } },
            ...(fold.carried ?? []).map((e) => ({ Put: { TableName: this.deps.tableName, Item: timelineItem(caseId, e, true) } })),
          ],
        }),
      );
      fold.written(true);
      return true;
    } catch (err) {
      if (!hasAwsCode(err, 'TransactionCanceledException')) throw err;
      return false;
    }
  }

  /**
   * Records what an evidence snapshot is locked until (EBS snapshot lock) under `evidence["lock#<snapshotId>"]`, one
   * write for them all, each overwriting the one before (a lock only grows: lib/runtime/ec2/snapshot-lock.ts), with
   * the step's timeline entry when `fold` is given ({@link updateCase}).
   * @param locks - each snapshot's lock (`snapshotId` and what the step found or set), as stored.
   * @throws {Error} `ConditionalCheckFailedException` when the case does not exist, or the SDK's error.
   */
  async recordSnapshotLocks(caseId: string, locks: readonly { snapshotId: string }[], fold?: TimelineFold): Promise<void> {
    if (!locks.length) return;
    const names: Record<string, string> = { '#m': 'evidence' };
    const values: Record<string, unknown> = { ':u': this.now().toISOString() };
    locks.forEach((l, i) => {
      names[`#k${i}`] = `lock#${l.snapshotId}`;
      values[`:v${i}`] = l;
    });
    await this.updateCase(
      caseId,
      {
        UpdateExpression: `SET ${locks.map((_, i) => `#m.#k${i} = :v${i}`).join(', ')}, updatedAt = :u`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      fold,
    );
  }

  /**
   * Marks several notifications as sent (ISO time) in one write, each unless already marked (the first time
   * stays), carrying the step's timeline entry when `fold` is given ({@link updateCase}).
   * @throws {Error} `ConditionalCheckFailedException` when the case does not exist, or the SDK's error.
   */
  async markNotifications(caseId: string, kinds: readonly string[], fold?: TimelineFold): Promise<void> {
    const names: Record<string, string> = { '#m': 'notifications' };
    kinds.forEach((k, i) => {
      names[`#k${i}`] = k;
    });
    await this.updateCase(
      caseId,
      {
        UpdateExpression: `SET ${kinds.map((_, i) => `#m.#k${i} = if_not_exists(#m.#k${i}, :v)`).join(', ')}, updatedAt = :u`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':v': this.now().toISOString(), ':u': this.now().toISOString() },
      },
      fold,
    );
  }

  private async setOnce<T>(caseId: string, map: string, key: string, value: T): Promise<T> {
    const out = await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'SET #m.#k = if_not_exists(#m.#k, :v), updatedAt = :u',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#m': map, '#k': key },
        ExpressionAttributeValues: { ':v': value, ':u': this.now().toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return (out.Attributes?.[map] as Record<string, T>)[key];
  }
}
