import { Aws, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FirebreakConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { deadLetterQueue, queueDepthAlarm } from './alarms';
import { FirebreakNames } from './names';
import { notificationTopic } from './notifications';

/**
 * The GuardDuty findings a region's security stack forwards home: every finding ("EventBridge event format for
 * GuardDuty", Amazon GuardDuty User Guide: source `aws.guardduty`, detail-type `GuardDuty Finding`), those below the
 * severity floor included, so that the home region counts them as it counts its own (never silent).
 */
export const FORWARDED_FINDINGS_PATTERN = { source: ['aws.guardduty'], detailType: ['GuardDuty Finding'] } as const;

/** Properties of {@link FirebreakSecurityRegion}. */
export interface FirebreakSecurityRegionProps {
  /** The validated deployment configuration: the home region (`region`), the prefix, the notification e-mail. */
  readonly config: FirebreakConfig;
}

/**
 * The security account's half of Firebreak in a region other than the home one (docs/ARCHITECTURE.md, "Regions"): a rule
 * on this region's default bus, where GuardDuty's delegated administrator receives every member's findings of the region,
 * that forwards each GuardDuty finding to the home region's default bus, where the catalog rules route it as they route
 * the home region's own ("Sending and receiving Amazon EventBridge events between AWS Regions", EventBridge User Guide: a
 * rule's target may be an event bus of another region; EventBridge keeps the event's `region` and `account`). EventBridge
 * puts the events with a role whose only permission is `events:PutEvents` on that bus. Undeliverable findings go to a
 * dead-letter queue whose depth alarms to this region's `<prefix>-notifications` topic (an alarm can only notify a topic of
 * its own region), with the configured e-mail subscribed.
 */
export class FirebreakSecurityRegion extends Construct {
  /** The rule that forwards the region's GuardDuty findings home. */
  public readonly forwardingRule: events.Rule;
  /** The dead-letter queue of the rule's target. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The region's notification topic (the dead-letter queue's alarm). */
  public readonly topic: sns.Topic;

  /**
   * @param scope - a stack in the security account, in a region of `config.regions` other than `config.region`.
   * @param id - the construct ID.
   * @param props - see {@link FirebreakSecurityRegionProps}.
   * @throws {ConfigError} when the stack's region is the home region, or a token.
   */
  constructor(scope: Construct, id: string, props: FirebreakSecurityRegionProps) {
    super(scope, id);
    const { config } = props;
    const names = new FirebreakNames(config.prefix);
    const here = Stack.of(this).region;
    if (here === config.region)
      throw new ConfigError(`FirebreakSecurityRegion belongs in a region other than the home region ${config.region}`);
    this.topic = notificationTopic(this, config, names, 'Firebreak notifications of this region (SNS topic)').topic;

    const home = `arn:${Aws.PARTITION}:events:${config.region}:${Aws.ACCOUNT_ID}:event-bus/default`;
    const role = new iam.Role(this, 'ForwardingRole', {
      description: `Firebreak: EventBridge forwards this region's GuardDuty findings to the default bus of ${config.region}`,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnEquals: { 'aws:SourceArn': `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${names.findingsHomeRule}` },
      }),
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [home] }));
    this.deadLetterQueue = deadLetterQueue(
      this,
      'ForwardingDlq',
      `${names.findingsHomeRule}-dlq`,
      `This queue is itself the dead-letter queue of EventBridge rule ${names.findingsHomeRule}'s target; its depth raises an alarm to this region's notification topic.`,
    );
    queueDepthAlarm(
      this,
      'ForwardingDlqAlarm',
      `Firebreak: a GuardDuty finding of this region could not be forwarded to ${config.region}, so no playbook ran on it; see queue ${names.findingsHomeRule}-dlq`,
      this.deadLetterQueue,
      this.topic,
    );
    this.forwardingRule = new events.Rule(this, 'ForwardingRule', {
      ruleName: names.findingsHomeRule,
      description: `Forward every GuardDuty finding of this region to the Firebreak home region ${config.region}`,
      eventPattern: { source: [...FORWARDED_FINDINGS_PATTERN.source], detailType: [...FORWARDED_FINDINGS_PATTERN.detailType] },
      // The policy above is the role's only permission; the target must not add its own.
      targets: [
        new targets.EventBus(events.EventBus.fromEventBusArn(this, 'HomeBus', home), {
          role: role.withoutPolicyUpdates(),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
    for (const c of [this.forwardingRule, role, this.deadLetterQueue]) Tags.of(c).add('firebreak:component', 'routing');
  }
}

/** Properties of {@link SecurityRegionStack}. */
export interface SecurityRegionStackProps extends StackProps {
  /** The validated deployment configuration. */
  readonly config: FirebreakConfig;
}

/** The security account's stack of a region other than the home one: the {@link FirebreakSecurityRegion} construct. */
export class SecurityRegionStack extends Stack {
  /** The region's half. */
  public readonly firebreak: FirebreakSecurityRegion;

  /**
   * @param scope - the app (or a Stage, or the Firebreak construct).
   * @param id - the stack ID.
   * @param props - see {@link SecurityRegionStackProps}; `env.region` must be a region of `config.regions` other than the home one.
   * @throws {ConfigError} when the stack's region is the home region.
   */
  constructor(scope: Construct, id: string, props: SecurityRegionStackProps) {
    super(scope, id, props);
    this.firebreak = new FirebreakSecurityRegion(this, 'Default', { config: props.config });
  }
}
