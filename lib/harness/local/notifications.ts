import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalEnvironment } from './seed';
import { pageIdentity } from '../../core/page';

/** One notification Firebreak published to its topic, as the subscribed queue received it. */
export interface ReceivedNotification {
  readonly messageId: string;
  /** The body's `caseId` (lib/core/page.ts). */
  readonly caseId?: string;
  /** The body's `kind`: `contained`, `notify-only`, `failed`, `resource-gone`, `approval-request`, ... */
  readonly kind?: string;
  readonly body: string;
}

const inboxes = new WeakMap<LocalEnvironment, ReceivedNotification[]>();

/**
 * Every notification the topic delivered so far in this local world. The seeded topic is
 * subscribed by an SQS queue (raw delivery, `LocalEnvironment.notificationQueueUrl`); this drains
 * the queue into an inbox kept per environment, so later reads still see earlier messages.
 * The kind and the case are read from the body only ({@link pageIdentity}: a JSON page's `kind` and `caseId`, a
 * plain-text page's last line), never from the message attributes: SNS does not deliver those for a page published with
 * a chat card (`MessageStructure: json`), and the emulator is faithful to that (emulator/firebreak_moto/sns_message_structure.py).
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
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) break;
    for (const m of messages) {
      const body = m.Body ?? '';
      inbox.push({ messageId: m.MessageId ?? '', ...pageIdentity(body), body });
      await env.security.sqs.send(new DeleteMessageCommand({ QueueUrl: env.notificationQueueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return inbox;
}
