import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalEnvironment } from './seed';

/** One notification Firebreak published to its topic, as the subscribed queue received it. */
export interface ReceivedNotification {
  readonly messageId: string;
  /** From the message attribute `caseId`, or the body's `caseId`. */
  readonly caseId?: string;
  /** `contained`, `notify-only`, `failed`, `resource-gone`, `approval-request`, ... */
  readonly kind?: string;
  readonly body: string;
}

const inboxes = new WeakMap<LocalEnvironment, ReceivedNotification[]>();

/**
 * Every notification the topic delivered so far in this local world. The seeded topic is
 * subscribed by an SQS queue (raw delivery, `LocalEnvironment.notificationQueueUrl`); this drains
 * the queue into an inbox kept per environment, so later reads still see earlier messages.
 * The case is identified by the `caseId` message attribute when there is one (Notify sets it),
 * else by the JSON body's `caseId` (RecordFailure publishes the case ID in the body only).
 */
export async function readNotifications(env: LocalEnvironment): Promise<readonly ReceivedNotification[]> {
  let inbox = inboxes.get(env);
  if (!inbox) inboxes.set(env, (inbox = []));
  for (;;) {
    const got = await env.security.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: env.notificationQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) break;
    for (const m of messages) {
      let parsed: { caseId?: unknown; kind?: unknown } = {};
      try {
        parsed = JSON.parse(m.Body ?? '{}') as typeof parsed;
      } catch {
        // not JSON: keep the body as it is
      }
      const attr = (name: string) => m.MessageAttributes?.[name]?.StringValue;
      inbox.push({
        messageId: m.MessageId ?? '',
        caseId: attr('caseId') ?? (typeof parsed.caseId === 'string' ? parsed.caseId : undefined),
        kind: attr('kind') ?? (typeof parsed.kind === 'string' ? parsed.kind : undefined),
        body: m.Body ?? '',
      });
      await env.security.sqs.send(new DeleteMessageCommand({ QueueUrl: env.notificationQueueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return inbox;
}
