import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FirebreakConfig } from '../core/config';
import { FIREBREAK_EVENT_BUS_NAME } from './accounts';
import { FirebreakNames } from './names';
import { EXECUTION_ENDED_STATUSES, FirebreakSecurityAccount } from './security-account';

// The default prefix's names, for the callers that import them from here.
export { EXECUTION_ENDED_STATUSES, FIREBREAK_EVENT_BUS_NAME };
/** Name of the notification topic (default prefix). */
export const NOTIFICATION_TOPIC_NAME = FirebreakNames.DEFAULT.notificationTopic;
/** Name of the rule that sends the end of a playbook execution without an outcome to `close-orphaned-case` (default prefix). */
export const EXECUTION_ENDED_RULE_NAME = FirebreakNames.DEFAULT.executionEndedRule;

/** Properties of {@link SecurityAccountStack}. */
export interface SecurityAccountStackProps extends StackProps {
  /** The validated deployment configuration. */
  readonly config: FirebreakConfig;
  /**
   * The folder that holds one folder per Lambda step.
   * @default - `lambdas/` at the repository root
   */
  readonly lambdasDir?: string;
  /**
   * How many times EventBridge retries starting a playbook before the event goes to the rule's DLQ.
   * @default 20
   */
  readonly targetRetryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event before it goes to the rule's DLQ.
   * @default Duration.hours(2)
   */
  readonly targetMaxEventAge?: Duration;
}

/**
 * The security (central) account's stack: the {@link FirebreakSecurityAccount} construct (keys, evidence vault,
 * ledger, topic, bus, step functions, playbooks, rules, alarms) and its outputs. It only composes.
 */
export class SecurityAccountStack extends Stack {
  /** The security account's half of Firebreak. */
  public readonly firebreak: FirebreakSecurityAccount;

  /**
   * @param scope - the app.
   * @param id - the stack ID.
   * @param props - see {@link SecurityAccountStackProps}.
   * @throws {ConfigError} when the prefix is invalid, or a catalog entry names a playbook the construct does not build.
   */
  constructor(scope: Construct, id: string, props: SecurityAccountStackProps) {
    // Unindented JSON: the template is about 565 KB so, 800 KB indented, near CloudFormation's 1 MB limit for a template
    // in S3 ("CloudFormation quotas"); aws-cdk-lib warns from 80 % (Stack.templateSize).
    super(scope, id, { suppressTemplateIndentation: true, ...props });
    const { config, lambdasDir, targetRetryAttempts, targetMaxEventAge } = props;
    // `Default`: the construct adds no level to the logical IDs, which stay the ones this stack has always had.
    const fb = new FirebreakSecurityAccount(this, 'Default', { config, lambdasDir, targetRetryAttempts, targetMaxEventAge });
    this.firebreak = fb;
    new CfnOutput(this, 'Ec2CompromiseStateMachineArn', { value: fb.ec2Compromise.stateMachine.stateMachineArn });
    new CfnOutput(this, 'CredentialCompromiseStateMachineArn', { value: fb.credentialCompromise.stateMachine.stateMachineArn });
    new CfnOutput(this, 'CloudTrailTamperStateMachineArn', { value: fb.cloudTrailTamper.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RootActivityStateMachineArn', { value: fb.rootActivity.stateMachine.stateMachineArn });
    new CfnOutput(this, 'FindingTriageStateMachineArn', { value: fb.findingTriage.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ReleaseStateMachineArn', { value: fb.release.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EvidenceBucketName', { value: fb.evidence.bucket.bucketName });
    new CfnOutput(this, 'LedgerTableName', { value: fb.ledger.table.tableName });
    new CfnOutput(this, 'NotificationTopicArn', { value: fb.topic.topicArn });
    new CfnOutput(this, 'EventBusName', { value: fb.bus.eventBusName });
  }
}
