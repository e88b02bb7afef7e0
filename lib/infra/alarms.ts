import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge, NAG_PACK } from './nag';

/**
 * A dead-letter queue as every Firebreak one is: SQS-managed encryption, TLS only (`enforceSSL`), messages kept 14 days
 * (the SQS maximum: "Amazon SQS message quotas", SQS Developer Guide). cdk-nag's SQS3 (a queue without its own
 * dead-letter queue) is acknowledged with `why`: this queue is the dead-letter queue.
 * @param scope - the construct the queue belongs to.
 * @param id - its construct ID.
 * @param queueName - its physical name.
 * @param why - the acknowledgement's justification: whose dead-letter queue it is, and what watches it.
 * @returns the queue.
 */
export function deadLetterQueue(scope: Construct, id: string, queueName: string, why: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    queueName,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(queue, `${NAG_PACK}-SQS3`, why);
  return queue;
}

/**
 * An alarm on any one occurrence: the metric above 0 in one evaluation period; no data is no failure
 * (`TreatMissingData.NOT_BREACHING`).
 * @param scope - the construct the alarm belongs to.
 * @param id - its construct ID.
 * @param alarmDescription - what happened and where to look, for the person the topic reaches.
 * @param metric - the metric, with its period and statistic.
 * @param topic - the topic the alarm notifies. @default - none (the caller adds its actions)
 * @returns the alarm.
 */
export function anyOccurrenceAlarm(
  scope: Construct,
  id: string,
  alarmDescription: string,
  metric: cloudwatch.IMetric,
  topic?: sns.ITopic,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription,
    metric,
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  if (topic) alarm.addAlarmAction(new cwActions.SnsAction(topic));
  return alarm;
}

/**
 * An alarm on a dead-letter queue's depth ({@link anyOccurrenceAlarm} on ApproximateNumberOfMessagesVisible, maximum over
 * 5 minutes), to the topic.
 */
export function queueDepthAlarm(
  scope: Construct,
  id: string,
  alarmDescription: string,
  queue: sqs.IQueue,
  topic: sns.ITopic,
): cloudwatch.Alarm {
  const metric = queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' });
  return anyOccurrenceAlarm(scope, id, alarmDescription, metric, topic);
}
