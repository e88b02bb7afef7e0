import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import {
  ruleState,
  SUPPRESSION_RULE_ID_PATTERN,
  SuppressionRuleSchema,
  validateSuppressionRule,
  type SuppressionRule,
} from '../../core/brakes/suppression';
import { InvalidInput } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import '../clients/dynamodb';

/**
 * The suppression rules in the ledger table (issue 14, item 5): one item per rule, `pk = SUPPRESSION`,
 * `sk = RULE#<ruleId>`, in the security account's table, which no member account can reach. A rule is never deleted:
 * `remove` records who removed it, when and why on the item, so the item is the rule's own record of every add and
 * remove. The one partition is read with a strongly consistent Query, page after page until no `LastEvaluatedKey`
 * ("Paginating table query results in DynamoDB", DynamoDB Developer Guide,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html: a page is at most 1 MB), so a
 * rule added a moment ago applies to the next finding. Add and remove are conditional writes ("Condition expressions",
 * DynamoDB Developer Guide): an ID is never reused, a rule is removed once.
 */

/** The partition of the rules. */
export const SUPPRESSION_PK = 'SUPPRESSION';

/** Dependencies of {@link SuppressionRules}. */
export interface SuppressionRulesDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** Reads and writes suppression rules. */
export class SuppressionRules {
  private readonly now: () => Date;

  constructor(private readonly deps: SuppressionRulesDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Adds a rule, validated at the time of the call ({@link validateSuppressionRule}).
   * @param input - criteria, `expiresAt` and `reason`, untrusted.
   * @param by - who adds it (the operator's ARN, STS GetCallerIdentity).
   * @returns the stored rule, with its new ID `sr-<12 hex>`.
   * @throws {InvalidInput} naming the field when the rule is invalid.
   */
  async add(input: unknown, by: string): Promise<SuppressionRule> {
    const now = this.now();
    const rule: SuppressionRule = {
      ...validateSuppressionRule(input, now),
      id: `sr-${randomBytes(6).toString('hex')}`,
      createdBy: by,
      createdAt: now.toISOString(),
    };
    await this.deps.ddb.send(
      new PutCommand({
        TableName: this.deps.tableName,
        Item: { pk: SUPPRESSION_PK, sk: `RULE#${rule.id}`, ...rule },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return rule;
  }

  /**
   * Removes a rule: records `removed = { by, at, reason }` on it, once; it no longer applies.
   * @returns the rule as removed.
   * @throws {InvalidInput} for a malformed ID, an unknown rule, or one already removed (naming who removed it).
   */
  async remove(ruleId: string, by: string, reason: string): Promise<SuppressionRule> {
    if (!SUPPRESSION_RULE_ID_PATTERN.test(ruleId)) throw new InvalidInput(`${ruleId} is not a suppression rule ID (sr-<12 hex digits>)`);
    const removed = { by, at: this.now().toISOString(), reason };
    try {
      const out = await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk: SUPPRESSION_PK, sk: `RULE#${ruleId}` },
          UpdateExpression: 'SET removed = :r',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removed)',
          ExpressionAttributeValues: { ':r': removed },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return SuppressionRuleSchema.parse(withoutKeys(out.Attributes));
    } catch (err) {
      if (!hasAwsCode(err, 'ConditionalCheckFailedException')) throw err;
      const item = (
        await this.deps.ddb.send(
          new GetCommand({ TableName: this.deps.tableName, Key: { pk: SUPPRESSION_PK, sk: `RULE#${ruleId}` }, ConsistentRead: true }),
        )
      ).Item;
      if (!item) throw new InvalidInput(`no suppression rule ${ruleId}`);
      const was = item.removed as { by?: string; at?: string } | undefined;
      throw new InvalidInput(`suppression rule ${ruleId} was already removed by ${was?.by} at ${was?.at}`);
    }
  }

  /**
   * Every rule, active, expired and removed, oldest first. An item that is not a valid rule is left out (nothing but
   * `firebreak suppress` writes them; a rule that cannot be read suppresses nothing, so the response goes ahead).
   */
  async list(): Promise<SuppressionRule[]> {
    const rules: SuppressionRule[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.deps.ddb.send(
        new QueryCommand({
          TableName: this.deps.tableName,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :r)',
          ExpressionAttributeValues: { ':p': SUPPRESSION_PK, ':r': 'RULE#' },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of out.Items ?? []) {
        const parsed = z.safeParse(SuppressionRuleSchema, withoutKeys(item));
        if (parsed.success) rules.push(parsed.data);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return rules.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** The rules that apply now ({@link ruleState} `active`). */
  async active(): Promise<SuppressionRule[]> {
    const now = this.now();
    return (await this.list()).filter((r) => ruleState(r, now) === 'active');
  }
}

/** A stored item without its table keys. */
function withoutKeys(item: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item ?? {}).filter(([k]) => k !== 'pk' && k !== 'sk'));
}
