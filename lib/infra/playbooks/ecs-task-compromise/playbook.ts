import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { playbookPath } from '../../../core/contracts/state-paths';
import {
  APPROVAL_TASKS,
  SHADOW_TASKS,
  SUPPRESSION_TASKS,
  NOT_YET_CONSISTENT_RETRY,
  PlaybookStates,
  ContainmentPlaybookProps,
  PlaybookConstruct,
} from '../../playbook-states';
import type { StepName } from '../../steps';

/** The name of the `ecs-task-compromise` state machine (default prefix). */
export const ECS_TASK_COMPROMISE_STATE_MACHINE_NAME = 'firebreak-ecs-task-compromise';

/**
 * The Lambda Task states of `ecs-task-compromise` and the step each one invokes. State names are a contract: the local
 * runner and the tests use them.
 */
export const ECS_TASK_COMPROMISE_TASKS: Readonly<Record<string, StepName>> = {
  Normalize: 'normalize-finding',
  GameDayGuard: 'guard-gameday',
  ...APPROVAL_TASKS,
  ...SHADOW_TASKS,
  ...SUPPRESSION_TASKS,
  Claim: 'claim-case',
  Decide: 'decide-response',
  PlanDryRun: 'plan-containment',
  NotifyOnly: 'notify',
  CloseNotified: 'close-case',
  PreserveTask: 'preserve-task',
  StopTask: 'stop-task',
  VerifyTaskStopped: 'verify-task-stopped',
  Notify: 'notify',
  CloseCase: 'close-case',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

/** Properties of {@link EcsTaskCompromisePlaybook}; its `timeout` defaults to `Duration.hours(1)`. */
export type EcsTaskCompromisePlaybookProps = ContainmentPlaybookProps;

/**
 * The `ecs-task-compromise` playbook: a Standard, JSONPath state machine of Lambda Tasks (`payloadResponseOnly`),
 * logging at level ALL, X-Ray tracing, and a 1 h overall timeout. The triage front of the other playbooks (Normalize →
 * Claim → Decide: dry run, notify-only, approval, shadow; `ecs-task-high` waits for a person's approval), then
 * PreserveTask (the task, its definition, ENIs and service as evidence, the manifest) → StopTask (read, record, StopTask
 * unless stopped) → VerifyTaskStopped (retries `NotYetConsistent`) → Notify → CloseCase. Retry and Catch as in the
 * other playbooks: `ResourceGone` → RecordResourceGone, any other error → RecordFailure.
 */
export class EcsTaskCompromisePlaybook extends PlaybookConstruct {
  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link EcsTaskCompromisePlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: EcsTaskCompromisePlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, {
      playbook: 'ecs-task-compromise',
      tasks: ECS_TASK_COMPROMISE_TASKS,
      functions: props.functions,
      approvalTimeout: props.approvalTimeout,
    });
    const wholeState = PlaybookStates.WHOLE_STATE;

    const closeCase = states.step('CloseCase', playbookPath('closed'), { parameters: { state: wholeState, outcome: 'CONTAINED' } });
    closeCase.next(states.outcome('Contained', 'CONTAINED')).next(states.done);
    const notify = states.step('Notify', playbookPath('notification'), { parameters: { state: wholeState, kind: 'contained' } });
    notify.next(closeCase);
    const preserve = states.step('PreserveTask', playbookPath('taskPreservation'));
    preserve
      .next(states.step('StopTask', playbookPath('taskStop')))
      .next(states.step('VerifyTaskStopped', playbookPath('verify'), { retries: [NOT_YET_CONSISTENT_RETRY] }))
      .next(notify);

    const normalize = states.triage(
      {
        input: wholeState,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        playbook: 'ecs-task-compromise',
      },
      preserve,
    );

    this.buildStateMachine(states, normalize, props, {
      playbook: 'ecs-task-compromise',
      stateMachineName: ECS_TASK_COMPROMISE_STATE_MACHINE_NAME,
      timeout: Duration.hours(1),
    });
  }
}
