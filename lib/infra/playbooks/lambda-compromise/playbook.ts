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

/** The name of the `lambda-compromise` state machine (default prefix). */
export const LAMBDA_COMPROMISE_STATE_MACHINE_NAME = 'firebreak-lambda-compromise';

/**
 * The Lambda Task states of `lambda-compromise` and the step each one invokes. State names are a contract: the local
 * runner and the tests use them.
 */
export const LAMBDA_COMPROMISE_TASKS: Readonly<Record<string, StepName>> = {
  Normalize: 'normalize-finding',
  GameDayGuard: 'guard-gameday',
  ...APPROVAL_TASKS,
  ...SHADOW_TASKS,
  // The plan is lambda-compromise's own step (lib/runtime/playbook/lambda-compromise/plan-function.ts).
  PlanShadow: 'plan-function',
  ...SUPPRESSION_TASKS,
  Claim: 'claim-case',
  Decide: 'decide-response',
  PlanDryRun: 'plan-function',
  NotifyOnly: 'notify',
  CloseNotified: 'close-case',
  PreserveFunction: 'preserve-function',
  ContainFunction: 'contain-function',
  VerifyFunctionContainment: 'verify-function-containment',
  Notify: 'notify',
  CloseCase: 'close-case',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

/** Properties of {@link LambdaCompromisePlaybook}; its `timeout` defaults to `Duration.hours(1)`. */
export type LambdaCompromisePlaybookProps = ContainmentPlaybookProps;

/**
 * The `lambda-compromise` playbook: a Standard, JSONPath state machine of Lambda Tasks (`payloadResponseOnly`), logging
 * at level ALL, X-Ray tracing, and a 1 h overall timeout. The triage front of the other playbooks (Normalize → Claim →
 * Decide: dry run, notify-only, approval, shadow), then PreserveFunction (the evidence version, configuration, code and
 * the manifest) → ContainFunction (reserved concurrency 0, the execution role's older sessions) →
 * VerifyFunctionContainment (retries `NotYetConsistent`) → Notify → CloseCase. Retry and Catch as in the other
 * playbooks: `ResourceGone` → RecordResourceGone, any other error → RecordFailure.
 */
export class LambdaCompromisePlaybook extends PlaybookConstruct {
  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link LambdaCompromisePlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: LambdaCompromisePlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, {
      playbook: 'lambda-compromise',
      tasks: LAMBDA_COMPROMISE_TASKS,
      functions: props.functions,
      approvalTimeout: props.approvalTimeout,
    });
    const wholeState = PlaybookStates.WHOLE_STATE;

    const closeCase = states.step('CloseCase', playbookPath('closed'), { parameters: { state: wholeState, outcome: 'CONTAINED' } });
    closeCase.next(states.outcome('Contained', 'CONTAINED')).next(states.done);
    const notify = states.step('Notify', playbookPath('notification'), { parameters: { state: wholeState, kind: 'contained' } });
    notify.next(closeCase);
    // NotYetConsistent: the function changed while its evidence version was published (PublishVersion's CodeSha256 /
    // RevisionId precondition); the step reads it again.
    // Contain first, as ec2-compromise isolates before its evidence: throttling and the role's deny change neither the
    // code nor the configuration preservation copies, and a preservation a member can make fail (a function kept
    // mid-update refuses PublishVersion) or that runs out of time must never leave the function running.
    const contain = states.step('ContainFunction', playbookPath('functionContainment'));
    contain
      .next(states.step('PreserveFunction', playbookPath('functionPreservation'), { retries: [NOT_YET_CONSISTENT_RETRY] }))
      .next(states.step('VerifyFunctionContainment', playbookPath('verify'), { retries: [NOT_YET_CONSISTENT_RETRY] }))
      .next(notify);

    const normalize = states.triage(
      {
        input: wholeState,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        playbook: 'lambda-compromise',
      },
      contain,
    );

    this.buildStateMachine(states, normalize, props, {
      playbook: 'lambda-compromise',
      stateMachineName: LAMBDA_COMPROMISE_STATE_MACHINE_NAME,
      timeout: Duration.hours(1),
    });
  }
}
