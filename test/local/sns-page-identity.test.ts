import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { caseCard, withCard } from '../../lib/core/chat-card';
import { pageLine } from '../../lib/core/page';
import { readNotifications } from '../../lib/harness/local/notifications';
import type { LocalEnvironment } from '../../lib/harness/local/seed';
import { useEmulator } from '../support/emulator';

/**
 * The emulator is faithful to "Message attributes are sent only when the message structure is String, not JSON"
 * ("Amazon SNS message attributes", https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html;
 * emulator/firebreak_moto/sns_message_structure.py), and the local harness reads a page's kind and case from its body
 * (lib/core/page.ts), so what it reads is what a subscriber on AWS gets. One world (topic, two raw SQS subscribers).
 */
describe('SNS message structure and the page body', () => {
  const emulator = useEmulator();
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const CASE = 'fb-20261205-0123456789';
  const attributes = (kind: string, caseId?: string) => ({
    kind: { DataType: 'String', StringValue: kind },
    ...(caseId ? { caseId: { DataType: 'String', StringValue: caseId } } : {}),
  });
  const card = (event: 'approval-requested' | 'contained') =>
    caseCard({ event, caseId: CASE, playbook: 'ec2-compromise', account: '111111111111', region: 'us-east-1' });
  let sns: SNSClient;
  let sqs: SQSClient;
  let topicArn: string;
  const queues: string[] = [];

  beforeAll(async () => {
    sns = new SNSClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials });
    sqs = new SQSClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials });
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'pages' }))).TopicArn!;
    for (const name of ['probe', 'inbox']) {
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
      await sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'true' } }),
      );
      queues.push(url);
    }
    const text = ['Case waits for approval.', pageLine('approval-request', CASE)].join('\n');
    const json = JSON.stringify({ kind: 'contained', caseId: CASE, summary: 'contained' });
    const refused = JSON.stringify({ kind: 'gameday-refused', summary: 'refused' });
    // A carded plain-text page, a carded JSON page, and a String page about no case (no card: delivered with its attribute).
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        ...withCard(text, card('approval-requested')),
        MessageAttributes: attributes('approval-request', CASE),
      }),
    );
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, ...withCard(json, card('contained')), MessageAttributes: attributes('contained', CASE) }),
    );
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, ...withCard(refused, undefined), MessageAttributes: attributes('gameday-refused') }),
    );
  }, 120_000);

  it('delivers the attributes of a String publish only, and every protocol but https gets the default message', async () => {
    const got =
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues[0], MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] })))
        .Messages ?? [];
    const kindAttribute = Object.fromEntries(got.map((m) => [m.Body!.split('\n')[0], m.MessageAttributes?.kind?.StringValue]));
    expect(got).toHaveLength(3);
    expect(kindAttribute).toEqual({
      'Case waits for approval.': undefined,
      '{"kind":"contained","caseId":"fb-20261205-0123456789","summary":"contained"}': undefined,
      '{"kind":"gameday-refused","summary":"refused"}': 'gameday-refused',
    });
  });

  it('the harness reads each page kind and case from its body', async () => {
    const env = { security: { sqs }, notificationQueueUrl: queues[1] } as unknown as LocalEnvironment;
    const read = (await readNotifications(env)).map(({ kind, caseId }) => ({ kind, caseId }));
    expect(read).toEqual([
      { kind: 'approval-request', caseId: CASE },
      { kind: 'contained', caseId: CASE },
      { kind: 'gameday-refused', caseId: undefined },
    ]);
  });
});
