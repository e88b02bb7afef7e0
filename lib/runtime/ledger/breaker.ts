import { DeleteCommand, GetCommand, PutCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Breaker, Hold } from '../../core/brakes';
import { hasAwsCode } from '../aws-errors';
import { BreakerItem, BreakerView, breakerPk, countUpdates } from '../brakes/breaker';
import { type CaseRecordsDeps, type TimelineEntry, timelineItem } from './records';
import '../clients/dynamodb';

/**
 * The blast-radius breaker's items in the ledger table (lib/runtime/brakes/breaker.ts has the layout and the pure
 * rules): read beside Contain's first round, marked once per trip, listed and reset by the operator. The count itself is
 * written in the claim's transaction (`countUpdates`), never here.
 */

/** A case the breaker held (`sk = HELD#<caseId>` under the breaker item that held it). */
export interface HeldCase {
  readonly caseId: string;
  /** The breaker item that held it. */
  readonly breaker: string;
  readonly account: string;
  readonly resourceId: string;
  readonly playbook: string;
  readonly heldAt: string;
  readonly reason: string;
}

/** Every breaker item and held case, as {@link BreakerLedger.list} reads them. */
export interface BreakerListing {
  readonly items: BreakerItem[];
  readonly held: HeldCase[];
}

/** The breaker item of a pk written as a timeline's "case" (its entries sit under the item's own pk). */
const timelineOf = (pk: string, entry: TimelineEntry) => ({ pk, sk: timelineItem('', entry).sk, ...entry });

/** Reads and writes the breaker items (see the module's docstring). */
export class BreakerLedger {
  constructor(private readonly deps: CaseRecordsDeps) {}

  private get now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  /**
   * Both breaker items one containment in `account` counts on, read at once (GetItem, strongly consistent: the count
   * is conditional on the version read).
   */
  async read(account: string): Promise<BreakerView> {
    const get = async (pk: string) =>
      (await this.deps.ddb.send(new GetCommand({ TableName: this.deps.tableName, Key: { pk, sk: 'BREAKER' }, ConsistentRead: true })))
        .Item as BreakerItem | undefined;
    const [accountItem, organizationItem] = await Promise.all([get(breakerPk('account', account)), get(breakerPk('organization'))]);
    return { account, accountItem, organizationItem };
  }

  /** The Put of a held case's item, for the transaction that claims the case (a re-run of the same hold writes it again). */
  heldItem(hold: Hold, held: Omit<HeldCase, 'breaker' | 'reason'>) {
    return {
      Put: {
        TableName: this.deps.tableName,
        Item: { pk: hold.entry, sk: `HELD#${held.caseId}`, ...held, breaker: hold.entry, reason: hold.reason },
      },
    };
  }

  /**
   * Marks the breaker item's trip as being paged by `details.caseId` (`trippedAt`, and `pagingCase` until
   * {@link confirmTripped}) and puts `Tripped` on its timeline. Set only when `trippedAt` is absent, or when the same case
   * marked it and its page was never confirmed: a RequestApproval that died between the mark and the page (a crash, a
   * Lambda timeout: no code of it ran to take the mark back) pages on its retry, instead of leaving the trip unpaged.
   * @param details - on the timeline; `caseId` is the held case that pages.
   * @returns the `trippedAt` it set (ISO-8601 UTC) for the caller that set it (that caller pages), `undefined` when
   *   the trip was paged (or is being paged by another case) already.
   */
  async markTripped(pk: string, details: { caseId: string } & Record<string, unknown>): Promise<string | undefined> {
    const at = this.now.toISOString();
    try {
      await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk, sk: 'BREAKER' },
          UpdateExpression:
            'SET trippedAt = :at, pagingCase = :case, #cases = if_not_exists(#cases, :none), version = if_not_exists(version, :zero)',
          ConditionExpression: 'attribute_not_exists(trippedAt) OR pagingCase = :case',
          ExpressionAttributeNames: { '#cases': 'cases' },
          ExpressionAttributeValues: { ':at': at, ':case': details.caseId, ':none': {}, ':zero': 0 },
        }),
      );
    } catch (err) {
      if (hasAwsCode(err, 'ConditionalCheckFailedException')) return undefined;
      throw err;
    }
    await this.appendTimeline(pk, { at, step: 'BreakerTripped', status: 'INFO', details });
    return at;
  }

  /**
   * Confirms {@link markTripped}'s page as sent: removes `pagingCase` while `trippedAt` is still the one that caller set
   * (a reset or a later trip is left alone), so no retry of that case pages the trip again.
   * @param at - what markTripped returned.
   */
  async confirmTripped(pk: string, at: string): Promise<void> {
    await this.removeIfTrippedAt(pk, 'REMOVE pagingCase', at);
  }

  /**
   * Takes back {@link markTripped}'s mark when its page could not be sent, so the retry of the step pages again: removes
   * `trippedAt` only while it is still the one that caller set (a reset or a later trip is left alone).
   * @param at - what markTripped returned.
   */
  async unmarkTripped(pk: string, at: string): Promise<void> {
    await this.removeIfTrippedAt(pk, 'REMOVE trippedAt, pagingCase', at);
  }

  private async removeIfTrippedAt(pk: string, update: string, at: string): Promise<void> {
    try {
      await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk, sk: 'BREAKER' },
          UpdateExpression: update,
          ConditionExpression: 'trippedAt = :at',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (err) {
      if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
    }
  }

  /**
   * Counts a case on both items on its own (Decide, where no claim transaction follows: issue 14), conditional on the
   * versions read ({@link countUpdates}).
   * @returns false when the transaction was cancelled (another count since the read): read again and decide again.
   */
  async count(view: BreakerView, limits: Breaker, caseId: string): Promise<boolean> {
    const updates = countUpdates(view, limits, this.deps.tableName, caseId, this.now);
    if (!updates.length) return true;
    try {
      await this.deps.ddb.send(new TransactWriteCommand({ TransactItems: updates }));
      return true;
    } catch (err) {
      if (hasAwsCode(err, 'TransactionCanceledException')) return false;
      throw err;
    }
  }

  /**
   * Takes a counted case out of both windows (issue 14: cloudtrail-tamper counts in Decide, before JudgeTrailChange
   * knows whether the change reduces logging; a change judged harmless, or left to a person, contains nothing
   * automatically and must not use up the breaker). Each item's `cases.<caseId>` is removed and its version moved on,
   * conditional on the case being there (a case never counted, or a window cleared by a reset, is left as it is).
   * @param account - the member account the case was counted in.
   * @param caseId - the case.
   */
  async uncount(account: string, caseId: string): Promise<void> {
    const remove = async (pk: string) => {
      try {
        await this.deps.ddb.send(
          new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { pk, sk: 'BREAKER' },
            UpdateExpression: 'REMOVE #cases.#case SET version = version + :one',
            ConditionExpression: 'attribute_exists(#cases.#case)',
            ExpressionAttributeNames: { '#cases': 'cases', '#case': caseId },
            ExpressionAttributeValues: { ':one': 1 },
          }),
        );
      } catch (err) {
        if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
      }
    };
    await Promise.all([remove(breakerPk('account', account)), remove(breakerPk('organization'))]);
  }

  /** Records a case the breaker held (its `HELD#` item) and the hold on the case's timeline, in one transaction. */
  async recordHeld(hold: Hold, held: Omit<HeldCase, 'breaker' | 'reason'>, entry: TimelineEntry): Promise<void> {
    await this.deps.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          this.heldItem(hold, held),
          { Put: { TableName: this.deps.tableName, Item: timelineItem(held.caseId, entry, true) } },
        ],
      }),
    );
  }

  /** Puts an entry on a breaker item's own timeline (`sk = TL#<at>#<hex>` under its pk). */
  async appendTimeline(pk: string, entry: TimelineEntry): Promise<void> {
    await this.deps.ddb.send(new PutCommand({ TableName: this.deps.tableName, Item: timelineOf(pk, entry) }));
  }

  /** Every breaker item and held case (one Scan of the `BREAKER#` items, paged; the ledger has no index). */
  async list(): Promise<BreakerListing> {
    const items: BreakerItem[] = [];
    const held: HeldCase[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.deps.ddb.send(
        new ScanCommand({
          TableName: this.deps.tableName,
          FilterExpression: 'begins_with(pk, :b) AND (sk = :item OR begins_with(sk, :held))',
          ExpressionAttributeValues: { ':b': 'BREAKER#', ':item': 'BREAKER', ':held': 'HELD#' },
          ExclusiveStartKey: start,
        }),
      );
      for (const i of page.Items ?? []) {
        if (i.sk === 'BREAKER') items.push(i as BreakerItem);
        else held.push(i as HeldCase);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { items, held };
  }

  /**
   * Clears a breaker item's window and its trip (conditional on the version read: a count made meanwhile makes it
   * read again), and records who and why on its timeline.
   */
  async clear(item: BreakerItem, entry: TimelineEntry): Promise<void> {
    for (let current: BreakerItem | undefined = item; current;) {
      try {
        await this.deps.ddb.send(
          new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { pk: current.pk, sk: 'BREAKER' },
            UpdateExpression: 'SET #cases = :none, version = :next REMOVE trippedAt',
            ConditionExpression: 'version = :v',
            ExpressionAttributeNames: { '#cases': 'cases' },
            ExpressionAttributeValues: { ':none': {}, ':next': current.version + 1, ':v': current.version },
          }),
        );
        break;
      } catch (err) {
        if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
        current = (await this.deps.ddb.send(new GetCommand({ TableName: this.deps.tableName, Key: { pk: current.pk, sk: 'BREAKER' } })))
          .Item as BreakerItem | undefined;
      }
    }
    await this.appendTimeline(item.pk, entry);
  }

  /** Removes a held case's item (the reset let it proceed). */
  async release(held: HeldCase): Promise<void> {
    await this.deps.ddb.send(new DeleteCommand({ TableName: this.deps.tableName, Key: { pk: held.breaker, sk: `HELD#${held.caseId}` } }));
  }
}
