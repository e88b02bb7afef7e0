import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { hasAwsCode } from '../aws-errors';
import '../clients/dynamodb';

/**
 * Per-account slots of the finding buffer (docs/ARCHITECTURE.md, "The finding buffer: a storm that never fails"): at most
 * `limit` playbook executions started by the buffer are in flight per member account, each holding one slot item of the
 * case ledger's table, `pk = BUFFER#<account>`, `sk = SLOT#<i>` (`0 ≤ i < limit`), written with a conditional PutItem so
 * that two starters never hold one slot. A slot is free when it has no item, when its lease has run out (an execution
 * that runs longer than the lease no longer counts: its burst of EC2 calls is over), or when the execution holding it is
 * no longer RUNNING (read with DescribeExecution, on contention only). Nothing ever has to release a slot for the buffer
 * to go on: a crash between taking a slot and starting leaves a slot that frees itself at its lease's end.
 */

/** A slot item as stored. */
export interface SlotItem {
  readonly pk: string;
  readonly sk: string;
  /** The execution name that holds the slot. */
  readonly owner: string;
  readonly executionArn: string;
  /** ISO-8601 UTC. */
  readonly acquiredAt: string;
  /** ISO-8601 UTC: the slot is free from then on, whatever the execution does. */
  readonly expiresAt: string;
}

/** What {@link AccountSlots} needs: the ledger table, the limits, a clock, and how to tell whether an execution still runs. */
export interface AccountSlotsDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Slots per account (executions in flight). */
  readonly limit: number;
  /** How long a slot counts an execution, in seconds. */
  readonly leaseSeconds: number;
  readonly now: () => Date;
  /**
   * Whether the execution still runs: `false` once it ended, `true` while RUNNING, `undefined` when Step Functions does
   * not know it (a starter that took the slot and has not started it yet, or crashed before: its lease frees it).
   */
  readonly isRunning: (executionArn: string) => Promise<boolean | undefined>;
}

/** A slot an execution holds: `fresh` when the call that returned it took it. */
export interface HeldSlot {
  readonly item: SlotItem;
  readonly fresh: boolean;
}

/** The partition key of an account's slots. */
export function slotPartition(account: string): string {
  return `BUFFER#${account}`;
}

/** Takes and gives back the per-account slots of the finding buffer ({@link SlotItem}). */
export class AccountSlots {
  constructor(private readonly deps: AccountSlotsDeps) {}

  /** The account's slot items (strongly consistent: a slot just taken is seen). */
  async held(account: string): Promise<SlotItem[]> {
    const out = await this.deps.ddb.send(
      new QueryCommand({
        TableName: this.deps.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': slotPartition(account) },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []) as SlotItem[];
  }

  /**
   * Takes a slot of `account` for the execution `owner` (idempotent: a slot it holds already is kept).
   * @returns the slot `owner` holds now, `fresh` when this call took it (only a fresh slot may be given back: a held one
   *   may be another delivery's, whose execution runs); `undefined` when the account is at its limit (every slot held by a
   *   running execution within its lease).
   * @throws the SDK's error when DynamoDB or Step Functions fails.
   */
  async acquire(account: string, owner: string, executionArn: string): Promise<HeldSlot | undefined> {
    const items = await this.held(account);
    const mine = items.find((s) => s.owner === owner);
    if (mine) return { item: mine, fresh: false };
    const now = this.deps.now();
    const byIndex = new Map(items.map((s) => [s.sk, s]));
    for (let i = 0; i < this.deps.limit; i++) {
      const sk = `SLOT#${i}`;
      const item = byIndex.get(sk);
      if (!item || item.expiresAt <= now.toISOString()) {
        const taken = await this.put(account, sk, owner, executionArn, now, item);
        if (taken) return { item: taken, fresh: true };
      }
    }
    // Every slot is held within its lease: free those whose execution ended.
    for (const item of items.filter((s) => Number(s.sk.slice(5)) < this.deps.limit)) {
      if ((await this.deps.isRunning(item.executionArn)) !== false) continue;
      const taken = await this.put(account, item.sk, owner, executionArn, now, item);
      if (taken) return { item: taken, fresh: true };
    }
    return undefined;
  }

  /**
   * Gives back a slot this starter took ({@link HeldSlot}.fresh) and did not start its execution in; a slot taken again
   * since (another owner, or the same owner later) is left alone.
   */
  async release(slot: HeldSlot): Promise<void> {
    if (!slot.fresh) return;
    await this.deps.ddb
      .send(
        new DeleteCommand({
          TableName: this.deps.tableName,
          Key: { pk: slot.item.pk, sk: slot.item.sk },
          ConditionExpression: '#o = :o AND acquiredAt = :a',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':o': slot.item.owner, ':a': slot.item.acquiredAt },
        }),
      )
      .catch((err: unknown) => {
        if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
      });
  }

  /** Writes the slot for `owner`, on condition that it is still as read (`previous`, or absent); `undefined` when another starter won it. */
  private async put(
    account: string,
    sk: string,
    owner: string,
    executionArn: string,
    now: Date,
    previous?: SlotItem,
  ): Promise<SlotItem | undefined> {
    const item: SlotItem = {
      pk: slotPartition(account),
      sk,
      owner,
      executionArn,
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.deps.leaseSeconds * 1000).toISOString(),
    };
    try {
      await this.deps.ddb.send(
        new PutCommand({
          TableName: this.deps.tableName,
          Item: item,
          ...(previous
            ? {
                ConditionExpression: '#o = :o AND acquiredAt = :a',
                ExpressionAttributeNames: { '#o': 'owner' },
                ExpressionAttributeValues: { ':o': previous.owner, ':a': previous.acquiredAt },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
      return item;
    } catch (err) {
      if (hasAwsCode(err, 'ConditionalCheckFailedException')) return undefined;
      throw err;
    }
  }
}
