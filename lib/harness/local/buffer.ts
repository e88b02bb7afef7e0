import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { ConfigError } from '../../core/errors';
import { LOCAL_REGION } from './accounts';
import type { LocalSession } from './session';
import type { CfnTemplate } from './template';
import type { RouteOptions } from './router';

/** The finding buffer as the template builds it (lib/infra/finding-buffer.ts): queue, DLQ and event-source mapping. */
export interface BufferShape {
  readonly queueName: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly dlqName: string;
  /** Logical ID of the function the mapping invokes (the starter). */
  readonly starter: string;
  readonly batchSize: number;
  readonly maxConcurrency: number;
}

/**
 * Reads the finding buffer from the synthesized template: the event-source mapping, its function, its queue and the
 * queue's redrive policy. So the local buffer has the figures the stack deploys.
 * @throws {ConfigError} when the template has no event-source mapping on an SQS queue with a DLQ.
 */
export function bufferShape(template: CfnTemplate): BufferShape {
  const res = template.Resources;
  const mapping = Object.values(res).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
  const p = mapping?.Properties as
    | {
        EventSourceArn?: { 'Fn::GetAtt'?: string[] };
        FunctionName?: { Ref?: string };
        BatchSize?: number;
        ScalingConfig?: { MaximumConcurrency?: number };
      }
    | undefined;
  const queue = res[p?.EventSourceArn?.['Fn::GetAtt']?.[0] ?? '']?.Properties as
    | {
        QueueName?: string;
        VisibilityTimeout?: number;
        RedrivePolicy?: { deadLetterTargetArn?: { 'Fn::GetAtt'?: string[] }; maxReceiveCount?: number };
      }
    | undefined;
  const dlq = res[queue?.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0] ?? '']?.Properties as { QueueName?: string } | undefined;
  if (!p?.FunctionName?.Ref || !queue?.QueueName || !dlq?.QueueName || !queue.RedrivePolicy?.maxReceiveCount)
    throw new ConfigError('The template has no finding buffer (an event-source mapping on an SQS queue with a DLQ)');
  return {
    queueName: queue.QueueName,
    visibilityTimeoutSeconds: queue.VisibilityTimeout ?? 30,
    maxReceiveCount: queue.RedrivePolicy.maxReceiveCount,
    dlqName: dlq.QueueName,
    starter: p.FunctionName.Ref,
    batchSize: p.BatchSize ?? 10,
    maxConcurrency: p.ScalingConfig?.MaximumConcurrency ?? 1000,
  };
}

/** What a drain of the local buffer did. */
export interface DrainReport {
  /** Batches the starter was invoked with. */
  readonly batches: number;
  /** Messages received, counting every receive of a message given back. */
  readonly receives: number;
  /** Messages the starter gave back (batch item failures). */
  readonly givenBack: number;
  /** Invocations of the starter that threw (their batch stays on the queue until its visibility timeout). */
  readonly starterErrors: string[];
  /** Messages in the DLQ at the end. */
  readonly deadLettered: number;
}

/**
 * The finding buffer on the emulator, as EventBridge and Lambda's event-source mapping would run it: each routed event
 * is put on the buffer queue by the matched rules (their input transformer, {@link EmulatorRouter}'s `bufferMessages`),
 * and the queue is drained by the starter function of the template with the mapping's batch size and maximum
 * concurrency; a batch's item failures stay on the queue (the starter set their visibility), the rest is deleted; a
 * message received more often than the redrive policy allows goes to the DLQ (SQS does that in the emulator).
 */
export class LocalFindingBuffer {
  private constructor(
    private readonly session: LocalSession,
    private readonly shape: BufferShape,
    private readonly queueUrl: string,
    private readonly queueArn: string,
    private readonly dlqUrl: string,
  ) {}

  /**
   * Creates the buffer queue and its DLQ in the emulator's security account as the template defines them.
   * @param session - an open local session.
   * @param template - the synthesized security template the session runs.
   */
  static async create(session: LocalSession, template: CfnTemplate): Promise<LocalFindingBuffer> {
    const shape = bufferShape(template);
    const sqs = session.env.security.sqs;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: shape.dlqName }))).QueueUrl!;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!
      .QueueArn!;
    const queueUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: shape.queueName,
          Attributes: {
            VisibilityTimeout: String(shape.visibilityTimeoutSeconds),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: shape.maxReceiveCount }),
          },
        }),
      )
    ).QueueUrl!;
    const queueArn = `arn:aws:sqs:${LOCAL_REGION}:${session.env.securityAccount}:${shape.queueName}`;
    return new LocalFindingBuffer(session, shape, queueUrl, queueArn, dlqUrl);
  }

  /** The figures read from the template. */
  get figures(): BufferShape {
    return this.shape;
  }

  /**
   * Routes events through the template's rules, one PutEvents each, and puts what the matched rules' targets make of
   * them on the buffer queue (nothing is started yet: {@link drain} does).
   * @returns how many messages were put on the buffer.
   */
  async deliver(
    events: readonly { event: Parameters<LocalSession['router']['route']>[0]; bus?: string; options?: RouteOptions }[],
  ): Promise<number> {
    const messages: string[] = [];
    for (const e of events) messages.push(...(await this.session.router.route(e.event, e.bus ?? 'default', e.options)).bufferMessages);
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body }));
      const out = await this.session.env.security.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      if (out.Failed?.length) throw new ConfigError(`The emulator refused buffer messages: ${JSON.stringify(out.Failed)}`);
    }
    return messages.length;
  }

  /**
   * Drains the buffer as the event-source mapping does, until the queue is empty and no execution runs.
   * @param pollMs - how long to wait when every message left is invisible (given back with a delay). @default 200
   */
  async drain(pollMs = 200): Promise<DrainReport> {
    const report = { batches: 0, receives: 0, givenBack: 0, starterErrors: [] as string[], deadLettered: 0 };
    const inflight = new Set<Promise<void>>();
    for (;;) {
      while (inflight.size < this.shape.maxConcurrency) {
        const got = await this.receive();
        if (got.length === 0) break;
        report.batches++;
        report.receives += got.length;
        const p = this.invoke(got, report).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (inflight.size > 0) {
        await Promise.race(inflight);
        continue;
      }
      if ((await this.idle()) && this.session.sfn.list().every((x) => x.status !== 'RUNNING')) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    await this.session.sfn.settle();
    report.deadLettered = await this.depth(this.dlqUrl);
    return report;
  }

  private async receive(): Promise<Message[]> {
    const out = await this.session.env.security.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: this.shape.batchSize,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return out.Messages ?? [];
  }

  /** One invocation of the starter with a batch, as Lambda's SQS event; deletes what it did not give back. */
  private async invoke(messages: Message[], report: { givenBack: number; starterErrors: string[] }): Promise<void> {
    const event = {
      Records: messages.map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? '',
        attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' },
        messageAttributes: {},
        eventSource: 'aws:sqs',
        eventSourceARN: this.queueArn,
        awsRegion: LOCAL_REGION,
      })),
    };
    let failed: Set<string>;
    try {
      const out = (await this.session.runner.invokeFunction(this.shape.starter, event)) as {
        batchItemFailures?: { itemIdentifier: string }[];
      };
      failed = new Set((out?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      report.starterErrors.push(`${(err as Error).name}: ${(err as Error).message}`);
      return;
    }
    report.givenBack += failed.size;
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length === 0) return;
    await this.session.env.security.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }

  /** Whether the queue holds no message, visible, in flight or delayed. */
  private async idle(): Promise<boolean> {
    return (await this.depth(this.queueUrl, true)) === 0;
  }

  private async depth(url: string, all = false): Promise<number> {
    const names = all
      ? (['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const)
      : (['ApproximateNumberOfMessages'] as const);
    const attrs =
      (await this.session.env.security.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...names] }))).Attributes ??
      {};
    return names.reduce((n, k) => n + Number(attrs[k] ?? 0), 0);
  }
}
