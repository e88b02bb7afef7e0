import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { APPROVAL_TASKS, buildPlaybookStateMachine, NOT_YET_CONSISTENT_RETRY, PlaybookStates } from './playbook-states';
import { ResponderFunction } from './responder-function';
import { StepName } from './steps';

/** The name of the `cloudtrail-tamper` state machine. */
export const CLOUDTRAIL_TAMPER_STATE_MACHINE_NAME = 'firebreak-cloudtrail-tamper';

/**
 * The Lambda Task states of `cloudtrail-tamper` and the step each one invokes. State names are a
 * contract: the local runner and the tests use them.
 */
export const CLOUDTRAIL_TAMPER_TASKS: Readonly<Record<string, StepName>> = {
  Normalize: 'normalize-finding',
  ...APPROVAL_TASKS,
  Claim: 'claim-case',
  Decide: 'decide-response',
  PlanDryRun: 'plan-containment',
  NotifyOnly: 'notify',
  CloseNotified: 'close-case',
  RestoreLogging: 'restore-logging',
  RevokeActor: 'revoke-actor',
  VerifyTamperResponse: 'verify-tamper-response',
  Notify: 'notify',
  CloseCase: 'close-case',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

/** Properties of {@link CloudTrailTamperPlaybook}. */
export interface CloudTrailTamperPlaybookProps {
  /** The step functions, by step. Every step the playbook invokes must be present. */
  readonly functions: Readonly<Partial<Record<StepName, ResponderFunction>>>;
  /**
   * How long an approval-mode finding waits for `firebreak approve` / `deny`.
   * @default Duration.hours(1)
   */
  readonly approvalTimeout?: Duration;
  /**
   * Name of the state machine.
   * @default CLOUDTRAIL_TAMPER_STATE_MACHINE_NAME
   */
  readonly stateMachineName?: string;
  /**
   * The overall execution timeout.
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The `cloudtrail-tamper` playbook (issue 3): started by CloudTrail-delivered API calls that stop,
 * delete or change a trail, or delete or detach GuardDuty. A Standard, JSONPath state machine of
 * Lambda Tasks (`payloadResponseOnly`), logging at level ALL, X-Ray tracing, and a 1 h overall timeout.
 *
 * Normalize (naming the playbook) → Claim → Decide, then dry run, notify-only, or contain:
 * RestoreLogging (StartLogging after StopLogging; records what changed otherwise, and never fails on a
 * deleted trail) → RevokeActor (the caller's credentials, as credential-compromise revokes them) →
 * VerifyTamperResponse (which also retries `NotYetConsistent`) → Notify → CloseCase. Retry and Catch as
 * in the other playbooks.
 */
export class CloudTrailTamperPlaybook extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine's execution role. */
  public readonly role: iam.Role;
  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link CloudTrailTamperPlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: CloudTrailTamperPlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, {
      playbook: 'cloudtrail-tamper',
      tasks: CLOUDTRAIL_TAMPER_TASKS,
      functions: props.functions,
      approvalTimeout: props.approvalTimeout ?? Duration.hours(1),
    });
    const wholeState = PlaybookStates.WHOLE_STATE;

    // Containment path, built from its end.
    const closeCase = states.step('CloseCase', '$.closed', { parameters: { state: wholeState, outcome: 'CONTAINED' } });
    closeCase.next(states.outcome('Contained', 'CONTAINED')).next(states.done);
    const contain = states.step('RestoreLogging', '$.restore');
    contain
      .next(states.step('RevokeActor', '$.revocation'))
      .next(states.step('VerifyTamperResponse', '$.verify', { retries: [NOT_YET_CONSISTENT_RETRY] }))
      .next(states.step('Notify', '$.notification', { parameters: { state: wholeState, kind: 'contained' } }))
      .next(closeCase);

    const normalize = states.triage(
      {
        input: wholeState,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        playbook: 'cloudtrail-tamper',
      },
      contain,
    );

    const built = buildPlaybookStateMachine(this, {
      playbook: 'cloudtrail-tamper',
      stateMachineName: props.stateMachineName ?? CLOUDTRAIL_TAMPER_STATE_MACHINE_NAME,
      definition: normalize,
      invoked: states.invoked,
      timeout: props.timeout ?? Duration.hours(1),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    this.stateMachine = built.stateMachine;
    this.role = built.role;
    this.logGroup = built.logGroup;
  }
}
