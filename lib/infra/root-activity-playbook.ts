import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { buildPlaybookStateMachine, PlaybookStates } from './playbook-states';
import { ResponderFunction } from './responder-function';
import { StepName } from './steps';

/** The name of the `root-activity` state machine. */
export const ROOT_ACTIVITY_STATE_MACHINE_NAME = 'firebreak-root-activity';

/**
 * The Lambda Task states of `root-activity` and the step each one invokes. State names are a contract:
 * the local runner and the tests use them.
 */
export const ROOT_ACTIVITY_TASKS: Readonly<Record<string, StepName>> = {
  Normalize: 'normalize-finding',
  Claim: 'claim-case',
  Decide: 'decide-response',
  PlanDryRun: 'plan-containment',
  NotifyOnly: 'notify',
  CloseNotified: 'close-case',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

/** Properties of {@link RootActivityPlaybook}. */
export interface RootActivityPlaybookProps {
  /** The step functions, by step. Every step the playbook invokes must be present. */
  readonly functions: Readonly<Partial<Record<StepName, ResponderFunction>>>;
  /**
   * Name of the state machine.
   * @default ROOT_ACTIVITY_STATE_MACHINE_NAME
   */
  readonly stateMachineName?: string;
  /**
   * The overall execution timeout.
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The `root-activity` playbook (issue 3): root console sign-in and root access key creation. There is
 * nothing to revoke automatically for the root user, so the playbook only opens a notify-only case that
 * points to the runbook; it has no containment path.
 *
 * Normalize (naming the playbook) → Claim → Decide, then dry run or notify-only. Decide never returns
 * `contain` for root activity; any action but `dryRun` and `notify` goes to UnknownDecision →
 * RecordFailure. A Standard, JSONPath state machine, logging at level ALL, X-Ray tracing, and a 15 min
 * overall timeout. Retry and Catch as in the other playbooks.
 */
export class RootActivityPlaybook extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine's execution role. */
  public readonly role: iam.Role;
  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link RootActivityPlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: RootActivityPlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, {
      playbook: 'root-activity',
      tasks: ROOT_ACTIVITY_TASKS,
      functions: props.functions,
    });

    // No containment path: the triage front without a `contain` choice.
    const normalize = states.triage({
      input: PlaybookStates.WHOLE_STATE,
      executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      playbook: 'root-activity',
    });

    const built = buildPlaybookStateMachine(this, {
      playbook: 'root-activity',
      stateMachineName: props.stateMachineName ?? ROOT_ACTIVITY_STATE_MACHINE_NAME,
      definition: normalize,
      invoked: states.invoked,
      timeout: props.timeout ?? Duration.minutes(15),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    this.stateMachine = built.stateMachine;
    this.role = built.role;
    this.logGroup = built.logGroup;
  }
}
