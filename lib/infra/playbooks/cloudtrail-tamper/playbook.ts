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
  JudgeTrailChange: 'judge-trail-change',
  RestoreLogging: 'restore-logging',
  RevokeActor: 'revoke-actor',
  VerifyTamperResponse: 'verify-tamper-response',
  PreserveCredentialEvidence: 'preserve-credential-evidence',
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
 * Normalize (naming the playbook) → Claim → Decide, then dry run, notify-only, or contain, which starts with
 * JudgeTrailChange (issue 14: does the call reduce logging?) → JudgementOutcome (Choice on `$.judgement.route`):
 * `contain` → RestoreLogging (StartLogging after StopLogging; records what changed otherwise, and never fails on a
 * deleted trail) → ActorOutcome → RevokeActor (the caller's credentials, as credential-compromise revokes them) →
 * VerifyTamperResponse (which also retries `NotYetConsistent`) → PreserveCredentialEvidence (the event, the actor's
 * CloudTrail records, its policies before and after, in the evidence vault) → Notify → CloseCase; `restore` (a known automation
 * principal, or an unknown change nobody answered) → RestoreLogging → ActorOutcome → VerifyTamperResponse (nobody
 * revoked) → Notify → CloseCase; `notify` (the change increases logging or changes nothing) → NotifyOnly; `approval`
 * (whether it reduces logging cannot be told) → RequestApproval, whose `contain` comes back to JudgeTrailChange.
 * Retry and Catch as in the other playbooks.
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
    const verify = states.step('VerifyTamperResponse', playbookPath('verify'), { retries: [NOT_YET_CONSISTENT_RETRY] });
    verify
      // The evidence after the response is verified: logging restored and the actor revoked first (issue 16, item 4).
      .next(states.step('PreserveCredentialEvidence', playbookPath('credentialEvidence')))
      .next(states.step('Notify', playbookPath('notification'), { parameters: { state: wholeState, kind: 'contained' } }))
      .next(closeCase);
    const revoke = states.step('RevokeActor', playbookPath('revocation'));
    revoke.next(verify);
    const restore = states.step('RestoreLogging', playbookPath('restore'));
    restore.next(
      new sfn.Choice(this, 'ActorOutcome')
        .when(sfn.Condition.stringEquals(playbookPath('judgement', 'route'), 'restore'), verify)
        .otherwise(revoke),
    );
    const contain = states.step('JudgeTrailChange', playbookPath('judgement'));
    const judgementOutcome = new sfn.Choice(this, 'JudgementOutcome')
      .when(sfn.Condition.stringEquals(playbookPath('judgement', 'route'), 'contain'), restore)
      .when(sfn.Condition.stringEquals(playbookPath('judgement', 'route'), 'restore'), restore);
    contain.next(judgementOutcome);

    const normalize = states.triage(
      {
        input: wholeState,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        playbook: 'cloudtrail-tamper',
      },
      contain,
    );
    // NotifyOnly and RequestApproval exist once the triage front is built.
    const unknownRoute = new sfn.Pass(this, 'UnknownRoute', {
      result: sfn.Result.fromObject({ Error: 'UnknownRoute', Cause: 'JudgeTrailChange returned a route this playbook does not handle' }),
      resultPath: playbookPath('error'),
    });
    unknownRoute.next(states.recordFailure);
    judgementOutcome
      .when(sfn.Condition.stringEquals(playbookPath('judgement', 'route'), 'notify'), states.notifyOnly)
      .when(sfn.Condition.stringEquals(playbookPath('judgement', 'route'), 'approval'), states.approval)
      .otherwise(unknownRoute);

    this.buildStateMachine(states, normalize, props, {
      playbook: 'cloudtrail-tamper',
      stateMachineName: CLOUDTRAIL_TAMPER_STATE_MACHINE_NAME,
      timeout: Duration.hours(1),
    });
  }
}
