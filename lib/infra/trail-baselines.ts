import { Aws, Duration, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../core/errors';
import { deadLetterQueue, anyOccurrenceAlarm } from './alarms';
import type { ResponderFunction } from './responder-function';

/** Properties of {@link TrailBaselines}. */
export interface TrailBaselinesProps {
  /** The `record-trail-baselines` step's function. */
  readonly recorder: ResponderFunction;
  /** How often every trail is read (config `trailBaselineIntervalMinutes`). */
  readonly interval: Duration;
  /** The deployment's name prefix: the rules are `<prefix>-trail-baselines` and `<prefix>-trail-baselines-deployed`. */
  readonly ruleNamePrefix: string;
  /** The topic the alarms tell. */
  readonly topic: sns.ITopic;
}

/** The stack statuses after which the baselines are read at once: a deployment that created or updated the stack. */
export const DEPLOYED_STACK_STATUSES: readonly string[] = ['CREATE_COMPLETE', 'UPDATE_COMPLETE'];

/**
 * The proactive tamper baseline's triggers (docs/ARCHITECTURE.md, "The proactive trail baseline"): two EventBridge rules on
 * the default bus that invoke `record-trail-baselines`:
 * - `<prefix>-trail-baselines`, a schedule (`rate(<interval>)`): a rate rule first fires one interval after it is created;
 * - `<prefix>-trail-baselines-deployed`, this stack's own "CloudFormation Stack Status Change" event with status
 *   CREATE_COMPLETE or UPDATE_COMPLETE ("Stack Status Change event detail", CloudFormation User Guide,
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-status-change.html: `stack-id`,
 *   `status-details.status`), so that a fresh deployment has baselines without waiting an interval. Chosen over a custom
 *   resource: no response protocol to CloudFormation that a failing read could leave hanging (a custom resource that
 *   never answers holds the stack for an hour), no extra provider function, and a failure never rolls a deployment back;
 *   the rule exists before the stack completes, since it is one of the stack's resources.
 * Each target has a DLQ (EventBridge's delivery) and the function's asynchronous invocations an on-failure destination
 * (the same queue, after Lambda's two retries), whose depth alarms; and an alarm on the function's errors tells the topic
 * when a run failed, e.g. an account could not be read (the step fails after baselining the others).
 */
export class TrailBaselines extends Construct {
  /** The schedule rule. */
  public readonly scheduleRule: events.Rule;
  /** The rule that runs it after each deployment. */
  public readonly deployedRule: events.Rule;
  /** Events and invocations that could not be delivered or failed for good. */
  public readonly deadLetterQueue: sqs.Queue;

  /**
   * @param scope - the security account's construct.
   * @param id - the construct ID.
   * @param props - see {@link TrailBaselinesProps}.
   * @throws {ConfigError} when the recorder is not the `record-trail-baselines` step.
   */
  constructor(scope: Construct, id: string, props: TrailBaselinesProps) {
    super(scope, id);
    if (props.recorder.step !== 'record-trail-baselines')
      throw new ConfigError(`The trail baselines' recorder is ${props.recorder.step}, not record-trail-baselines`);
    const name = `${props.ruleNamePrefix}-trail-baselines`;
    this.deadLetterQueue = deadLetterQueue(
      this,
      'Dlq',
      `${name}-dlq`,
      `This queue is itself the dead-letter queue of the rules ${name} and ${name}-deployed; its depth raises an alarm to the notification topic.`,
    );
    const target = () =>
      new targets.LambdaFunction(props.recorder.function, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 20,
        maxEventAge: Duration.hours(2),
      });
    this.scheduleRule = new events.Rule(this, 'ScheduleRule', {
      ruleName: name,
      description: `Firebreak: read every trail of the member accounts as its tamper baseline, every ${props.interval.toMinutes()} min.`,
      schedule: events.Schedule.rate(props.interval),
      targets: [target()],
    });
    this.deployedRule = new events.Rule(this, 'DeployedRule', {
      ruleName: `${name}-deployed`,
      description: 'Firebreak: read every trail of the member accounts as its tamper baseline once this stack is deployed.',
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        detail: { 'stack-id': [Aws.STACK_ID], 'status-details': { status: [...DEPLOYED_STACK_STATUSES] } },
      },
      targets: [target()],
    });
    props.recorder.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
    });
    const alarm = (alarmId: string, alarmDescription: string, metric: cloudwatch.IMetric) =>
      anyOccurrenceAlarm(this, alarmId, alarmDescription, metric, props.topic);
    const alarms = [
      alarm(
        'ErrorsAlarm',
        `Firebreak: a run of ${props.recorder.step} failed (an account could not be read, or the ledger could not be written); see its log, which names each account`,
        props.recorder.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      ),
      alarm(
        'DlqAlarm',
        `Firebreak: the trail baselines could not be recorded for good; see queue ${name}-dlq`,
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      ),
    ];
    for (const c of [this.scheduleRule, this.deployedRule, this.deadLetterQueue, ...alarms])
      Tags.of(c).add('firebreak:component', 'routing');
  }
}
