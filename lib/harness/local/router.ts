import { CreateEventBusCommand, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { hasAwsCode } from '../../runtime/aws-errors';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { LOCAL_REGION } from './accounts';
import type { HarnessClients } from './harness-clients';
import type { LocalRule } from './template';
import { InvalidInput } from '../../core/errors';

/** The result of routing one event. */
export interface RoutingResult {
  /** Names of the rules whose pattern matched. */
  readonly matched: string[];
  /** Logical IDs of the state machines those rules target. */
  readonly stateMachines: string[];
  /** Logical IDs of the Lambda functions those rules target. */
  readonly functions: string[];
  /**
   * The event as the emulator delivered it to the first matched rule's target (what EventBridge gives a
   * target: `id`, `account` — the sender's —, `time`, `region` filled in); absent when no rule matched.
   */
  readonly delivered?: Record<string, unknown>;
  /**
   * What the matched rules that target the finding buffer put on it: each rule's input transformer template with the
   * delivered event in place of `<aws.events.event.json>` (lib/infra/finding-buffer.ts `BufferMessageInput`).
   */
  readonly bufferMessages: string[];
}

/** Options of {@link EmulatorRouter.route}. */
export interface RouteOptions {
  /**
   * The account that sends the event with PutEvents: EventBridge puts the caller's account in the
   * event's `account`, which rules can match on (the game-day rules accept only the security account).
   * Another account than the security account's puts it on the security account's bus by ARN, as a
   * member account's PutEvents (or a forwarding rule) does. @default the security account
   */
  readonly sender?: HarnessClients;
}

/**
 * Routes events through the synthesized EventBridge rule patterns using the emulator's own
 * matcher (moto does not implement `TestEventPattern`): each rule is put on the emulator's bus with
 * one SQS queue as its target; an event is sent with `PutEvents`, and the queues that received it
 * tell which rules matched. DESIGN.md §5.
 */
export class EmulatorRouter {
  private installed?: Promise<Map<string, { rule: LocalRule; queueUrl: string }>>;

  constructor(
    private readonly security: HarnessClients,
    private readonly rules: LocalRule[],
  ) {}

  private install(): Promise<Map<string, { rule: LocalRule; queueUrl: string }>> {
    this.installed ??= (async () => {
      const out = new Map<string, { rule: LocalRule; queueUrl: string }>();
      for (const bus of new Set(this.rules.map((r) => r.eventBusName).filter((b) => b !== 'default'))) {
        await this.security.events.send(new CreateEventBusCommand({ Name: bus })).catch((err) => {
          if (!hasAwsCode(err, 'ResourceAlreadyExistsException')) throw err;
        });
      }
      for (const rule of this.rules) {
        const suffix = createHash('sha256').update(rule.name).digest('hex').slice(0, 10);
        const queue = await this.security.sqs.send(new CreateQueueCommand({ QueueName: `firebreak-route-${suffix}` }));
        const arn = (
          await this.security.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))
        ).Attributes!.QueueArn!;
        const bus = rule.eventBusName === 'default' ? undefined : rule.eventBusName;
        await this.security.events.send(
          new PutRuleCommand({ Name: rule.name, EventPattern: JSON.stringify(rule.pattern), EventBusName: bus, State: 'ENABLED' }),
        );
        await this.security.events.send(
          new PutTargetsCommand({ Rule: rule.name, EventBusName: bus, Targets: [{ Id: 'route-probe', Arn: arn }] }),
        );
        out.set(rule.name, { rule, queueUrl: queue.QueueUrl! });
      }
      return out;
    })();
    return this.installed;
  }

  /**
   * Sends one event through the rules.
   * @param event - an EventBridge event (`source`, `detail-type`, `detail`, ...).
   * @param busName - the bus of the security account the event arrives on. @default 'default'
   * @param options - who sends it ({@link RouteOptions}).
   * @returns the matched rules, their target state machines and functions, and the event as delivered.
   */
  async route(
    event: { source: string; 'detail-type': string; detail: unknown; resources?: string[]; time?: string },
    busName = 'default',
    options: RouteOptions = {},
  ): Promise<RoutingResult> {
    const installed = await this.install();
    const relevant = [...installed.values()].filter((r) => r.rule.eventBusName === busName);
    const sender = options.sender ?? this.security;
    // Another account reaches the security account's bus by its ARN (moto: emulator/firebreak_moto/events.py).
    const bus =
      sender.accountId !== this.security.accountId
        ? `arn:aws:events:${LOCAL_REGION}:${this.security.accountId}:event-bus/${busName}`
        : busName === 'default'
          ? undefined
          : busName;
    const put = await sender.events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: event.source,
            DetailType: event['detail-type'],
            Detail: JSON.stringify(event.detail),
            Resources: event.resources,
            Time: event.time ? new Date(event.time) : undefined,
            EventBusName: bus,
          },
        ],
      }),
    );
    const eventId = put.Entries?.[0]?.EventId;
    if (!eventId) throw new InvalidInput(`The emulator refused the event: ${JSON.stringify(put.Entries)}`);
    const matched: string[] = [];
    const bufferTemplates: string[] = [];
    const stateMachines: string[] = [];
    const functions: string[] = [];
    let delivered: Record<string, unknown> | undefined;
    for (const { rule, queueUrl } of relevant) {
      const got = await this.security.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      let hit = false;
      for (const m of got.Messages ?? []) {
        const body = JSON.parse(m.Body ?? '{}') as Record<string, unknown>;
        if (body.id === eventId) {
          hit = true;
          delivered ??= body;
        }
        await this.security.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
      if (hit) {
        matched.push(rule.name);
        if (rule.bufferTemplate) bufferTemplates.push(rule.bufferTemplate);
        stateMachines.push(...rule.targetStateMachines);
        functions.push(...rule.targetFunctions);
      }
    }
    return {
      matched: matched.sort(),
      stateMachines: [...new Set(stateMachines)],
      functions: [...new Set(functions)],
      ...(delivered ? { delivered } : {}),
      // The reserved variable's content is not escaped: the event's JSON goes in as it is.
      bufferMessages: delivered ? bufferTemplates.map((t) => t.split('<aws.events.event.json>').join(JSON.stringify(delivered))) : [],
    };
  }
}
