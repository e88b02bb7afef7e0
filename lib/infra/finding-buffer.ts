import { Duration, Fn, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUFFER_BATCH_SIZE, BUFFER_MAX_CONCURRENCY, BUFFER_MAX_RECEIVES, BUFFER_STARTER_TIMEOUT_SECONDS } from '../core/buffer';
import { ConfigError } from '../core/errors';
import { deadLetterQueue, queueDepthAlarm } from './alarms';
import type { ResponderFunction } from './responder-function';

/** Properties of {@link FindingBuffer}. */
export interface FindingBufferProps {
  /** The queue's name; its DLQ is `<queueName>-dlq`. */
  readonly queueName: string;
  /** The starter step's function (`start-playbook`), which the queue's event-source mapping invokes. */
  readonly starter: ResponderFunction;
  /** The topic the DLQ's alarm tells. */
  readonly topic: sns.ITopic;
}

/**
 * The finding buffer (docs/ARCHITECTURE.md, "The finding buffer: a storm that never fails"): the catalog rules put each
 * finding on this SQS queue (SQS-managed encryption, TLS only, 14 days), from which an event-source mapping invokes the
 * starter (`start-playbook`, lib/runtime/buffer/starter.ts) with batches of {@link BUFFER_BATCH_SIZE}, at most
 * {@link BUFFER_MAX_CONCURRENCY} at once, reporting batch item failures (a message the starter gives back stays on the
 * queue, its visibility set to the retry delay). A message received {@link BUFFER_MAX_RECEIVES} times goes to the DLQ,
 * whose alarm tells the notification topic: no finding is dropped silently.
 *
 * The visibility timeout is six times the starter's timeout ("Configuring a standard queue as an event source",
 * Lambda Developer Guide: at least six times the function timeout). No reserved concurrency: the mapping's maximum
 * concurrency already caps the starter without Lambda throttling its invocations (a throttled invocation returns its
 * batch to the queue and counts a receive), and reserving concurrency would take it from the playbooks' steps.
 */
export class FindingBuffer extends Construct {
  /** The queue the catalog rules target. */
  public readonly queue: sqs.Queue;
  /** Messages received too many times. */
  public readonly deadLetterQueue: sqs.Queue;

  /**
   * @param scope - the security account's construct.
   * @param id - the construct ID.
   * @param props - see {@link FindingBufferProps}.
   * @throws {ConfigError} when the starter is not the `start-playbook` step.
   */
  constructor(scope: Construct, id: string, props: FindingBufferProps) {
    super(scope, id);
    if (props.starter.step !== 'start-playbook')
      throw new ConfigError(`The finding buffer's starter is ${props.starter.step}, not start-playbook`);
    this.deadLetterQueue = deadLetterQueue(
      this,
      'Dlq',
      `${props.queueName}-dlq`,
      `This queue is itself the dead-letter queue of the finding buffer ${props.queueName}; its depth raises an alarm to the notification topic.`,
    );
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: props.queueName,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(6 * BUFFER_STARTER_TIMEOUT_SECONDS),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: BUFFER_MAX_RECEIVES },
    });
    // The function's role takes no policy behind the step's back (ResponderFunction): the grant goes to the step's role.
    this.queue.grantConsumeMessages(props.starter);
    new lambda.EventSourceMapping(this, 'Mapping', {
      target: props.starter.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: BUFFER_BATCH_SIZE,
      reportBatchItemFailures: true,
      maxConcurrency: BUFFER_MAX_CONCURRENCY,
    });
    const alarm = queueDepthAlarm(
      this,
      'DlqAlarm',
      `Firebreak: a finding could not be started from the buffer after ${BUFFER_MAX_RECEIVES} attempts; see queue ${props.queueName}-dlq`,
      this.deadLetterQueue,
      props.topic,
    );
    for (const c of [this.queue, this.deadLetterQueue, alarm]) Tags.of(c).add('firebreak:component', 'routing');
  }
}

/**
 * What a catalog rule puts on the finding buffer: `{"playbook": <name>, "stateMachineArn": <its ARN>, "event": <the event>}`,
 * the event as EventBridge delivers it through the reserved variable `aws.events.event.json` ("the full original event
 * payload as JSON, with the detail field; can only be used as the value of a JSON field, as its contents are not
 * escaped": "Amazon EventBridge input transformation", EventBridge User Guide). What the starter parses
 * (`BufferMessageSchema`, lib/runtime/buffer/starter.ts); the local router renders the same template.
 */
export class BufferMessageInput extends events.RuleTargetInput {
  /**
   * @param playbook - the catalog entry's playbook.
   * @param stateMachineArn - its state machine's ARN (a token).
   */
  constructor(
    private readonly playbook: string,
    private readonly stateMachineArn: string,
  ) {
    super();
  }

  /** The input transformer's template (no input paths: only the reserved variable). */
  public bind(): events.RuleTargetInputProperties {
    return {
      inputTemplate: Fn.join('', [
        `{"playbook":${JSON.stringify(this.playbook)},"stateMachineArn":"`,
        this.stateMachineArn,
        '","event":<aws.events.event.json>}',
      ]),
    };
  }
}
