import { RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { FirebreakConfig } from '../core/config';
import { FirebreakNames } from './names';

/**
 * A notification topic as Firebreak makes every one: `<prefix>-notifications`, encrypted under a key of its own (rotated,
 * retained) that CloudWatch alarms may use to publish ("Encryption at rest", Amazon SNS Developer Guide), TLS only, and
 * the configured e-mail subscribed. The construct IDs are `NotificationKey` and `Topic` under `scope`.
 * @param scope - the construct the key and topic belong to (one per account and region: the topic's name is fixed).
 * @param config - the configuration (`notificationEmail`).
 * @param names - the deployment's names.
 * @param keyDescription - the key's description.
 * @returns the key and the topic.
 */
export function notificationTopic(
  scope: Construct,
  config: FirebreakConfig,
  names: FirebreakNames,
  keyDescription: string,
): { key: kms.Key; topic: sns.Topic } {
  const key = new kms.Key(scope, 'NotificationKey', {
    description: keyDescription,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
    }),
  );
  const topic = new sns.Topic(scope, 'Topic', {
    topicName: names.notificationTopic,
    displayName: 'Firebreak incident response',
    masterKey: key,
    enforceSSL: true,
  });
  if (config.notificationEmail) topic.addSubscription(new subscriptions.EmailSubscription(config.notificationEmail));
  Tags.of(topic).add('firebreak:component', 'notifications');
  Tags.of(key).add('firebreak:component', 'notifications');
  return { key, topic };
}
