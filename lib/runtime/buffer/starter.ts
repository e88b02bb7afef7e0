import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ChangeMessageVisibilityCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { PLAYBOOKS } from '../../core/catalog/catalog';
import type { CatalogEntry } from '../../core/catalog/catalog';
import { normalizeEvent } from '../../core/incident/normalize';
import type { Incident } from '../../core/incident/incident';
import { hasAwsCode } from '../aws-errors';
import { claimKey } from '../ledger/claims';
import { type ClaimState, decideClaim } from '../ledger/policy';
import { AccountSlots } from './slots';
import { BUFFER_LIMITS, BufferLimits } from '../../core/buffer';
import '../clients/dynamodb';
import '../clients/sfn';
import '../clients/sqs';

/**
 * The finding buffer's starter (docs/ARCHITECTURE.md, "The finding buffer: a storm that never fails"): the catalog rules
 * put each finding on an SQS queue as `{ playbook, stateMachineArn, event }` (their input transformer); this function,
 * invoked by the queue's event-source mapping with a batch, starts the playbook execution of each message, within the
 * account's slots ({@link AccountSlots}), deduplicated on the claim key.
 *
 * Per message: the event is normalized as Normalize will (so the claim key is Claim's), the resource's claim is read, and
 * what Claim will decide is asked of the claim policy (`decideClaim`, lib/runtime/ledger/policy.ts):
 * - a new case or a take-over (containment): the execution is named after the claim key and the claim's version,
 *   `b-<sha256(claim key), 32 hex>-v<version>`, so every finding about one resource at one claim version names one
 *   execution. StartExecution with a name in use is refused (`ExecutionAlreadyExists`) unless the input is the same and
 *   the execution is open, when it answers as the first call did ("StartExecution", AWS Step Functions API Reference:
 *   "If StartExecution is called with the same name and input as a running execution, the call succeeds and return the
 *   same response as the original request. If the execution is closed or if the input is different, it returns a 400
 *   ExecutionAlreadyExists error"). So a redelivered message starts nothing new, and a second finding that arrives while
 *   the first one's execution starts is put back on the queue (2 s) until that execution has taken the claim; it then
 *   attaches. When the named execution has ended without moving the claim (it failed before Claim), the finding starts
 *   under its own name and opens the case itself.
 * - already handled (a live claim, a contained or notified case): the finding still starts an execution, named after the
 *   event (`b-<claim key, 24 hex>-v<version>-<sha256(event), 16 hex>`), whose Claim records it on the case and tells a
 *   person of a new finding (ALREADY_HANDLED): never silent. It makes no member-account call.
 * - an event Normalize would refuse: started all the same (`b-invalid-<sha256(event)>`), so that its execution fails
 *   loudly (RecordFailure notifies), outside the slots (it makes no member-account call).
 * Every execution the buffer starts for an account takes one of its slots; when none is free the message goes back to the
 * queue (a batch item failure) after a delay that grows with its receive count (ChangeMessageVisibility), so a storm in one
 * account leaves the others' findings to be started: each account has its own slots.
 * @param event - the SQS batch (Lambda's SQS event).
 * @param deps - clients, the ledger table, the catalog Normalize uses, the limits and a clock.
 * @returns the batch item failures (messages to receive again); a message not named there is deleted by Lambda.
 */
export async function startBufferedFindings(
  event: SqsBatch,
  deps: BufferDeps,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const limits = deps.limits ?? BUFFER_LIMITS;
  const run: BatchRun = {
    deps,
    limits,
    slots: new AccountSlots({
      ddb: deps.ddb,
      tableName: deps.tableName,
      limit: limits.slotsPerAccount,
      leaseSeconds: limits.slotLeaseSeconds,
      now: deps.now,
      isRunning: (arn) => executionRunning(deps.sfn, arn),
    }),
    full: new Set<string>(),
  };
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    let outcome: RecordOutcome;
    try {
      outcome = await handleRecord(record, run);
    } catch (err) {
      deps.log?.(`buffer: message ${record.messageId} failed: ${(err as Error).name}: ${(err as Error).message}`);
      outcome = { kind: 'retry', reason: 'error' };
    }
    deps.onOutcome?.(record, outcome);
    if (outcome.kind === 'retry') {
      batchItemFailures.push({ itemIdentifier: record.messageId });
      await delayMessage(deps, record, retryDelaySeconds(outcome.reason, receiveCount(record), limits)).catch(() => undefined);
    }
  }
  return { batchItemFailures };
}

/** A message of the buffer, as the catalog rules' input transformer writes it. */
export const BufferMessageSchema = z.object({
  playbook: z.enum(PLAYBOOKS),
  stateMachineArn: z.string().check(z.regex(/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/)),
  event: z.record(z.string(), z.unknown()),
});
/** A buffer message. */
export type BufferMessage = z.infer<typeof BufferMessageSchema>;

/** Lambda's SQS event, as much of it as the starter reads ("Using Lambda with Amazon SQS", Lambda Developer Guide). */
export const SqsBatchSchema = z.object({
  Records: z.array(
    z.object({
      messageId: z.string().check(z.minLength(1)),
      receiptHandle: z.string().check(z.minLength(1)),
      body: z.string(),
      attributes: z.optional(z.looseObject({ ApproximateReceiveCount: z.optional(z.string()) })),
      eventSourceARN: z.string().check(z.minLength(1)),
    }),
  ),
});
/** An SQS batch. */
export type SqsBatch = z.infer<typeof SqsBatchSchema>;
type SqsRecord = SqsBatch['Records'][number];

/** What {@link startBufferedFindings} needs. */
export interface BufferDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly sqs: SQSClient;
  /** The case ledger's table (claims and slots). */
  readonly tableName: string;
  /** The catalog Normalize uses (the deployment's floor and overrides). */
  readonly catalog: readonly CatalogEntry[];
  readonly now: () => Date;
  /** @default BUFFER_LIMITS */
  readonly limits?: BufferLimits;
  /** Called with each message's outcome (the local pipeline counts them). */
  readonly onOutcome?: (record: SqsRecord, outcome: RecordOutcome) => void;
  readonly log?: (line: string) => void;
}

/** What became of one message: an execution started (`contain` or `attach`), nothing left to do (`done`), or back to the queue. */
export type RecordOutcome =
  | { readonly kind: 'started'; readonly as: 'contain' | 'attach' | 'invalid'; readonly executionArn: string }
  | { readonly kind: 'done'; readonly why: string }
  | { readonly kind: 'retry'; readonly reason: RetryReason };

/** Why a message goes back to the queue: its account is at its limit, another finding's execution is starting, or an error. */
export type RetryReason = 'account-at-limit' | 'execution-starting' | 'error';

interface BatchRun {
  readonly deps: BufferDeps;
  readonly limits: BufferLimits;
  readonly slots: AccountSlots;
  /** Accounts found at their limit in this batch: their other messages go back without another look. */
  readonly full: Set<string>;
}

/** The name every claim decision is asked for: never an execution's, so a live claim is always someone else's. */
const BUFFER_ASKS_AS = 'firebreak-buffer';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The execution ARN of `name` under a state machine ("Amazon Resource Names for Step Functions": `:execution:<machine>:<name>`). */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

async function handleRecord(record: SqsRecord, run: BatchRun): Promise<RecordOutcome> {
  const message = BufferMessageSchema.parse(JSON.parse(record.body));
  const input = JSON.stringify(message.event);
  const incident = normalized(message, run.deps);
  if (!incident) return startInvalid(message, input, run.deps);
  const key = claimKey(incident);
  const claim = await readClaim(run.deps, key);
  const version = claim?.version ?? 0;
  const decision = decideClaim(claim, incident, BUFFER_ASKS_AS, run.deps.now());
  const attachName = `b-${sha256(key).slice(0, 24)}-v${version}-${sha256(input).slice(0, 16)}`;
  if (decision.kind === 'already-handled') return startInSlot(run, message, input, incident.account, attachName, 'attach');
  const outcome = await startInSlot(run, message, input, incident.account, `b-${sha256(key).slice(0, 32)}-v${version}`, 'contain');
  if (outcome.kind !== 'done') return outcome;
  // The containment's name is taken by an execution that has ended without moving the claim: this finding opens the case itself.
  return startInSlot(run, message, input, incident.account, attachName, 'contain');
}

/** The incident Normalize will make of the message, or `undefined` when it will refuse the event. */
function normalized(message: BufferMessage, deps: BufferDeps): Incident | undefined {
  try {
    return normalizeEvent(
      { input: message.event, executionName: BUFFER_ASKS_AS, executionStartTime: deps.now().toISOString(), playbook: message.playbook },
      deps.catalog,
    ).incident;
  } catch {
    return undefined;
  }
}

async function readClaim(deps: BufferDeps, pk: string): Promise<(ClaimState & { version: number }) | undefined> {
  const out = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: { pk, sk: 'CLAIM' }, ConsistentRead: true }));
  return out.Item as (ClaimState & { version: number }) | undefined;
}

/**
 * Starts `name` within a slot of `account`. `done` when the name is taken by an execution that ended (a containment
 * name: the caller starts the finding under its own; an event's name: this event was handled); `retry` when the account
 * is at its limit or another finding's containment of the resource is running and has not claimed yet.
 */
async function startInSlot(
  run: BatchRun,
  message: BufferMessage,
  input: string,
  account: string,
  name: string,
  as: 'contain' | 'attach',
): Promise<RecordOutcome> {
  const executionArn = executionArnOf(message.stateMachineArn, name);
  if (run.full.has(account)) return { kind: 'retry', reason: 'account-at-limit' };
  const slot = await run.slots.acquire(account, name, executionArn);
  if (!slot) {
    run.full.add(account);
    return { kind: 'retry', reason: 'account-at-limit' };
  }
  try {
    await run.deps.sfn.send(new StartExecutionCommand({ stateMachineArn: message.stateMachineArn, name, input }));
    return { kind: 'started', as, executionArn };
  } catch (err) {
    if (!hasAwsCode(err, 'ExecutionAlreadyExists')) throw err;
  }
  // Only a slot this call took: a slot the name held already is the running execution's (another finding's input).
  await run.slots.release(slot);
  if (as === 'contain' && (await executionRunning(run.deps.sfn, executionArn)) !== false)
    return { kind: 'retry', reason: 'execution-starting' };
  return { kind: 'done', why: `${name} exists and has ended` };
}

/** An event Normalize refuses: started outside the slots (no member-account call), so that the execution fails loudly. */
async function startInvalid(message: BufferMessage, input: string, deps: BufferDeps): Promise<RecordOutcome> {
  const name = `b-invalid-${sha256(input).slice(0, 40)}`;
  try {
    const out = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: message.stateMachineArn, name, input }));
    return { kind: 'started', as: 'invalid', executionArn: out.executionArn ?? executionArnOf(message.stateMachineArn, name) };
  } catch (err) {
    if (hasAwsCode(err, 'ExecutionAlreadyExists')) return { kind: 'done', why: `${name} was started before` };
    throw err;
  }
}

/** Whether an execution runs: `undefined` when Step Functions does not know it. */
async function executionRunning(sfn: SFNClient, executionArn: string): Promise<boolean | undefined> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE';
  } catch (err) {
    if (hasAwsCode(err, 'ExecutionDoesNotExist')) return undefined;
    throw err;
  }
}

function receiveCount(record: SqsRecord): number {
  const n = Number(record.attributes?.ApproximateReceiveCount ?? '1');
  return Number.isFinite(n) && n >= 1 ? n : 1;
}

/**
 * How long a message waits before it is received again, in seconds: an account at its limit doubles from
 * `retryBaseSeconds` with each receive up to `retryMaxSeconds`, with full jitter on the upper half (so the messages of
 * one storm spread out); a finding waiting for another's execution to claim waits `retryBaseSeconds`.
 */
export function retryDelaySeconds(reason: RetryReason, receives: number, limits: BufferLimits, random: () => number = Math.random): number {
  if (reason !== 'account-at-limit') return limits.retryBaseSeconds;
  const ceiling = Math.min(limits.retryMaxSeconds, limits.retryBaseSeconds * 2 ** Math.min(receives - 1, 16));
  return Math.max(limits.retryBaseSeconds, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

const queueUrls = new Map<string, Promise<string>>();

/** Sets the message's visibility timeout to `seconds` (ChangeMessageVisibility), so Lambda receives it again then. */
async function delayMessage(deps: BufferDeps, record: SqsRecord, seconds: number): Promise<void> {
  const [, , , , owner, queueName] = record.eventSourceARN.split(':');
  let url = queueUrls.get(record.eventSourceARN);
  if (!url) {
    url = deps.sqs
      .send(new GetQueueUrlCommand({ QueueName: queueName, QueueOwnerAWSAccountId: owner }))
      .then((o) => o.QueueUrl!)
      .catch((err: unknown) => {
        queueUrls.delete(record.eventSourceARN);
        throw err;
      });
    queueUrls.set(record.eventSourceARN, url);
  }
  await deps.sqs.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: await url, ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds }),
  );
}
