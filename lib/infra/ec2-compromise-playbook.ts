import { Aws, Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ConfigError } from '../errors';
import { policiesOf } from './dependencies';
import { JustifiedPolicy } from './nag';
import { ResponderFunction } from './responder-function';
import { StepName } from './steps';

/** The name of the `ec2-compromise` state machine. */
export const EC2_COMPROMISE_STATE_MACHINE_NAME = 'firebreak-ec2-compromise';

/**
 * The Lambda Task states of `ec2-compromise` and the step each one invokes. State names are a contract:
 * the local runner and the tests use them.
 */
export const EC2_COMPROMISE_TASKS: Readonly<Record<string, StepName>> = {
  Normalize: 'normalize-finding',
  Claim: 'claim-case',
  Decide: 'decide-response',
  PlanDryRun: 'plan-containment',
  NotifyOnly: 'notify',
  CloseNotified: 'close-case',
  Preserve: 'preserve-instance',
  Isolate: 'isolate-instance',
  VerifyIsolation: 'verify-isolation',
  SnapshotVolumes: 'snapshot-volumes',
  CheckSnapshots: 'check-snapshots',
  CopySnapshots: 'copy-snapshots',
  CheckMemberCopies: 'check-snapshots',
  ShareAndCopySnapshots: 'share-snapshots',
  CheckSecurityCopies: 'check-snapshots',
  CollectArtifacts: 'collect-artifacts',
  WriteManifest: 'write-manifest',
  Notify: 'notify',
  CloseCase: 'close-case',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

/** The Task states that record a failure; they retry but catch nothing. */
export const FAILURE_RECORDING_TASKS: readonly string[] = ['RecordResourceGone', 'RecordFailure'];

/**
 * The Retry of every Lambda Task: the errors Firebreak's handlers raise for throttling and transient
 * AWS failures, and the Lambda service errors that AWS recommends retrying ("Handle transient Lambda
 * service exceptions", Step Functions Developer Guide).
 */
export const LAMBDA_TASK_RETRY: sfn.RetryProps = {
  errors: [
    'Throttled',
    'TransientAwsError',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ],
  interval: Duration.seconds(2),
  maxAttempts: 4,
  backoffRate: 2,
  jitterStrategy: sfn.JitterType.FULL,
};

/** How often the evidence poll loops re-check snapshot and copy progress. */
export const EVIDENCE_POLL_INTERVAL = Duration.seconds(15);

/** Properties of {@link Ec2CompromisePlaybook}. */
export interface Ec2CompromisePlaybookProps {
  /** The step functions, by step. Every step the playbook invokes must be present. */
  readonly functions: Readonly<Partial<Record<StepName, ResponderFunction>>>;
  /**
   * Name of the state machine.
   * @default EC2_COMPROMISE_STATE_MACHINE_NAME
   */
  readonly stateMachineName?: string;
  /**
   * The overall execution timeout.
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The `ec2-compromise` playbook (DESIGN.md §3): a Standard, JSONPath state machine of Lambda Tasks
 * (`payloadResponseOnly`, so each Task's `Resource` is the function ARN), logging at level ALL,
 * X-Ray tracing, and a 6 h overall timeout.
 *
 * Normalize → Claim → Decide, then dry run, notify-only, or contain: Preserve → Isolate →
 * VerifyIsolation → snapshots (poll loop) → member copies (poll loop) → security account copies (poll
 * loop) → CollectArtifacts → WriteManifest → Notify → CloseCase. Every Task retries transient errors;
 * `ResourceGone` goes to RecordResourceGone (the case ends RESOURCE_GONE) and any other error to
 * RecordFailure (the execution fails).
 */
export class Ec2CompromisePlaybook extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine's execution role. */
  public readonly role: iam.Role;
  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link Ec2CompromisePlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: Ec2CompromisePlaybookProps) {
    super(scope, id);
    const stateMachineName = props.stateMachineName ?? EC2_COMPROMISE_STATE_MACHINE_NAME;
    const fn = (step: StepName): ResponderFunction => {
      const f = props.functions[step];
      if (!f) throw new ConfigError(`${this.node.path}: no function for step ${step}`);
      return f;
    };
    const invoked = [...new Set(Object.values(EC2_COMPROMISE_TASKS))].map(fn);

    const lambdaTask = (stateName: string, parameters: Record<string, unknown> | undefined, resultPath: string) => {
      const step = EC2_COMPROMISE_TASKS[stateName];
      if (!step) throw new ConfigError(`${this.node.path}: ${stateName} is not a Task state of ec2-compromise`);
      return new tasks.LambdaInvoke(this, stateName, {
        lambdaFunction: fn(step).function,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        payload: parameters ? sfn.TaskInput.fromObject(parameters) : undefined,
        // An omitted ResultPath means "$" in ASL. aws-local-stepfunctions (the local runner) takes an
        // explicit "$" as a key named "$", so the replace-the-state case is left implicit.
        resultPath: resultPath === '$' ? undefined : resultPath,
      }).addRetry(LAMBDA_TASK_RETRY);
    };
    const wholeState = sfn.JsonPath.entirePayload;

    // Terminal paths.
    const done = new sfn.Succeed(this, 'Done');
    const outcome = (stateName: string, value: string) =>
      new sfn.Pass(this, stateName, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });

    const recordResourceGone = lambdaTask('RecordResourceGone', { state: wholeState, outcome: 'RESOURCE_GONE' }, '$.failure');
    recordResourceGone.next(outcome('ResourceGoneDone', 'RESOURCE_GONE')).next(done);
    const recordFailure = lambdaTask('RecordFailure', { state: wholeState, outcome: 'FAILED' }, '$.failure');
    recordFailure.next(
      new sfn.Fail(this, 'PlaybookFailed', { error: 'PlaybookFailed', cause: 'A playbook step failed; see the case timeline' }),
    );

    /** A Lambda Task with the playbook's Retry and Catch. */
    const step = (stateName: string, resultPath: string, parameters?: Record<string, unknown>) =>
      lambdaTask(stateName, parameters, resultPath)
        .addCatch(recordResourceGone, { errors: ['ResourceGone'], resultPath: '$.error' })
        .addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    /** A Wait-state poll loop: check → Choice(completed? next : Wait → check). */
    const pollUntilCompleted = (check: sfn.TaskStateBase, checkResultPath: string, choiceName: string, waitName: string, next: sfn.IChainable) => {
      const wait = new sfn.Wait(this, waitName, { time: sfn.WaitTime.duration(EVIDENCE_POLL_INTERVAL) });
      wait.next(check);
      check.next(
        new sfn.Choice(this, choiceName)
          .when(sfn.Condition.stringEquals(`${checkResultPath}.status`, 'completed'), next)
          .otherwise(wait),
      );
      return check;
    };
    const checkBatch = (stateName: string, batchPath: string, owner: 'member' | 'security', resultPath: string) =>
      step(stateName, resultPath, {
        incident: sfn.JsonPath.objectAt('$.incident'),
        case: sfn.JsonPath.objectAt('$.case'),
        batch: sfn.JsonPath.objectAt(batchPath),
        owner,
      });

    // Containment path, built from its end.
    const closeCase = step('CloseCase', '$.closed', { state: wholeState, outcome: 'CONTAINED' });
    closeCase.next(outcome('Contained', 'CONTAINED')).next(done);
    const collect = step('CollectArtifacts', '$.artifacts');
    collect
      .next(step('WriteManifest', '$.manifest'))
      .next(step('Notify', '$.notification', { state: wholeState, kind: 'contained' }))
      .next(closeCase);

    const securityCopies = pollUntilCompleted(
      checkBatch('CheckSecurityCopies', '$.securityCopies', 'security', '$.securityCopiesCheck'),
      '$.securityCopiesCheck', 'SecurityCopiesDone', 'WaitForSecurityCopies', collect,
    );
    const share = step('ShareAndCopySnapshots', '$.securityCopies');
    share.next(securityCopies);

    const memberCopies = pollUntilCompleted(
      checkBatch('CheckMemberCopies', '$.memberCopies', 'member', '$.memberCopiesCheck'),
      '$.memberCopiesCheck', 'MemberCopiesDone', 'WaitForMemberCopies', share,
    );
    const copy = step('CopySnapshots', '$.memberCopies');
    copy.next(memberCopies);

    const snapshots = pollUntilCompleted(
      checkBatch('CheckSnapshots', '$.snapshots', 'member', '$.snapshotsCheck'),
      '$.snapshotsCheck', 'SnapshotsDone', 'WaitForSnapshots', copy,
    );
    const contain = step('Preserve', '$.preserve');
    contain
      .next(step('Isolate', '$.isolate'))
      .next(step('VerifyIsolation', '$.verify'))
      .next(step('SnapshotVolumes', '$.snapshots'))
      .next(snapshots);

    // Dry run and notify-only paths.
    const dryRun = step('PlanDryRun', '$.plan');
    dryRun.next(outcome('DryRunDone', 'DRY_RUN')).next(done);
    const notifyOnly = step('NotifyOnly', '$.notification', { state: wholeState, kind: 'notify-only' });
    notifyOnly
      .next(step('CloseNotified', '$.closed', { state: wholeState, outcome: 'NOTIFIED' }))
      .next(outcome('Notified', 'NOTIFIED'))
      .next(done);
    const unknownDecision = new sfn.Pass(this, 'UnknownDecision', {
      result: sfn.Result.fromObject({ Error: 'UnknownDecision', Cause: 'Decide returned an action this playbook does not handle' }),
      resultPath: '$.error',
    });
    unknownDecision.next(recordFailure);

    const decide = step('Decide', '$.decision');
    decide.next(
      new sfn.Choice(this, 'DecideOutcome')
        .when(sfn.Condition.stringEquals('$.decision.action', 'dryRun'), dryRun)
        .when(sfn.Condition.stringEquals('$.decision.action', 'notify'), notifyOnly)
        .when(sfn.Condition.stringEquals('$.decision.action', 'contain'), contain)
        .otherwise(unknownDecision),
    );

    const alreadyHandled = outcome('AlreadyHandled', 'ALREADY_HANDLED');
    alreadyHandled.next(done);
    const normalize = step('Normalize', '$', {
      input: wholeState,
      executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
    });
    normalize
      .next(step('Claim', '$.case'))
      .next(
        new sfn.Choice(this, 'ClaimOutcome')
          .when(sfn.Condition.stringEquals('$.case.status', 'ALREADY_HANDLED'), alreadyHandled)
          .otherwise(decide),
      );

    // Execution role: exact function ARNs only (LambdaInvoke's own grant would add `<arn>:*`), and
    // the log delivery and X-Ray actions, which support no resource-level permissions.
    this.role = new iam.Role(this, 'Role', {
      description: `Firebreak playbook ${stateMachineName}`,
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      }),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invoked.map((f) => f.functionArn) }),
    );
    new JustifiedPolicy(this.role, 'Delivery', {
      roles: [this.role],
      statements: [
        {
          statement: new iam.PolicyStatement({
            actions: [
              'logs:CreateLogDelivery',
              'logs:GetLogDelivery',
              'logs:UpdateLogDelivery',
              'logs:DeleteLogDelivery',
              'logs:ListLogDeliveries',
              'logs:PutResourcePolicy',
              'logs:DescribeResourcePolicies',
              'logs:DescribeLogGroups',
            ],
            resources: ['*'],
          }),
          reason:
            'Step Functions execution logging to CloudWatch Logs uses the log delivery actions, which support no resource-level permissions ("Using CloudWatch Logs to log execution history", Step Functions Developer Guide).',
        },
        {
          statement: new iam.PolicyStatement({
            actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
            resources: ['*'],
          }),
          reason: 'Step Functions X-Ray tracing: these X-Ray actions support no resource-level permissions.',
        },
      ],
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs resource policies small.
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(normalize),
      role: this.role.withoutPolicyUpdates(),
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      timeout: props.timeout ?? Duration.hours(6),
    });
    this.stateMachine.node.addDependency(policiesOf(this.role));
    // StateMachine adds a DependsOn on the role, which its `RoleArn: GetAtt` already implies (cfn-lint W3005).
    this.stateMachine.node.defaultChild!.node.removeDependency(this.stateMachine.role);
    Tags.of(this).add('firebreak:component', 'playbook');
    Tags.of(this).add('firebreak:playbook', 'ec2-compromise');
  }
}
