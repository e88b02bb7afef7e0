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

/** The name of the `cloudtrail-tamper` state machine. */
export const CLOUDTRAIL_TAMPER_STATE_MACHINE_NAME = 'firebreak-cloudtrail-tamper';

/**
 * The Lambda Task states of `cloudtrail-tamper` and the step each one invokes. State names are a
 * contract: the local runner and the tests use them.
 */
export const CLOUDTRAIL_TAMPER_TASKS: Readonly<Record<string, StepName>> = {
  Normalize: 'normalize-finding',
  ...APPROVAL_TASKS,
  ...SHADOW_TASKS,
  ...SUPPRESSION_TASKS,
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

/** Properties of {@link CloudTrailTamperPlaybook}; its `timeout` defaults to `Duration.hours(1)`. */
export type CloudTrailTamperPlaybookProps = ContainmentPlaybookProps;

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
export class CloudTrailTamperPlaybook extends PlaybookConstruct {
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
      approvalTimeout: props.approvalTimeout,
    });
    const wholeState = PlaybookStates.WHOLE_STATE;

    // Containment path, built from its end.
    const closeCase = states.step('CloseCase', playbookPath('closed'), { parameters: { state: wholeState, outcome: 'CONTAINED' } });
    closeCase.next(states.outcome('Contained', 'CONTAINED')).next(states.done);
    const contain = states.step('RestoreLogging', playbookPath('restore'));
    contain
      .next(states.step('RevokeActor', playbookPath('revocation')))
      .next(states.step('VerifyTamperResponse', playbookPath('verify'), { retries: [NOT_YET_CONSISTENT_RETRY] }))
      .next(states.step('Notify', playbookPath('notification'), { parameters: { state: wholeState, kind: 'contained' } }))
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

    this.buildStateMachine(states, normalize, props, {
      playbook: 'cloudtrail-tamper',
      stateMachineName: CLOUDTRAIL_TAMPER_STATE_MACHINE_NAME,
      timeout: Duration.hours(1),
    });
  }
}
