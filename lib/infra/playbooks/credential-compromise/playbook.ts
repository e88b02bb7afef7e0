import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { playbookPath } from '../../../core/contracts/state-paths';
import {
  APPROVAL_TASKS,
  SHADOW_TASKS,
  SUPPRESSION_TASKS,
  NOT_YET_CONSISTENT_ERROR,
  NOT_YET_CONSISTENT_RETRY,
  PlaybookStates,
  ContainmentPlaybookProps,
  PlaybookConstruct,
} from '../../playbook-states';
import type { StepName } from '../../steps';

/** The name of the `credential-compromise` state machine. */
export const CREDENTIAL_COMPROMISE_STATE_MACHINE_NAME = 'firebreak-credential-compromise';

/**
 * The Lambda Task states of `credential-compromise` and the step each one invokes. State names are a
 * contract: the local runner and the tests use them.
 */
export const CREDENTIAL_COMPROMISE_TASKS: Readonly<Record<string, StepName>> = {
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
  RevokeCredentials: 'revoke-credentials',
  VerifyRevocation: 'verify-revocation',
  PreserveCredentialEvidence: 'preserve-credential-evidence',
  ChainInstanceContainment: 'chain-instance-containment',
  Notify: 'notify',
  CloseCase: 'close-case',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

// Shared with cloudtrail-tamper (playbook-states.ts); re-exported for the callers that import them from here.
export { NOT_YET_CONSISTENT_ERROR, NOT_YET_CONSISTENT_RETRY };

/** Properties of {@link CredentialCompromisePlaybook}; its `timeout` defaults to `Duration.hours(1)`. */
export type CredentialCompromisePlaybookProps = ContainmentPlaybookProps;

/**
 * The `credential-compromise` playbook (DESIGN.md §3): a Standard, JSONPath state machine of Lambda
 * Tasks (`payloadResponseOnly`), logging at level ALL, X-Ray tracing, and a 1 h overall timeout.
 *
 * Normalize (naming the playbook) → Claim → Decide, then dry run, notify-only, or contain:
 * RevokeCredentials → VerifyRevocation (which also retries `NotYetConsistent`, a bounded wait for IAM)
 * → [ChainInstanceContainment, when Decide set `decision.chain`: start ec2-compromise on the instance whose credentials
 * leaked] → PreserveCredentialEvidence (the finding, the principal's CloudTrail records, its policies before and after,
 * in the evidence vault; after every containment, so its failure never keeps the instance from being contained)
 * → Notify → CloseCase. Retry and Catch as in `ec2-compromise`: every Task retries transient errors;
 * `ResourceGone` goes to RecordResourceGone (the case ends RESOURCE_GONE) and any other error to
 * RecordFailure (the execution fails).
 */
export class CredentialCompromisePlaybook extends PlaybookConstruct {
  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link CredentialCompromisePlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: CredentialCompromisePlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, {
      playbook: 'credential-compromise',
      tasks: CREDENTIAL_COMPROMISE_TASKS,
      functions: props.functions,
      approvalTimeout: props.approvalTimeout,
    });
    const wholeState = PlaybookStates.WHOLE_STATE;

    // Containment path, built from its end.
    const closeCase = states.step('CloseCase', playbookPath('closed'), { parameters: { state: wholeState, outcome: 'CONTAINED' } });
    closeCase.next(states.outcome('Contained', 'CONTAINED')).next(states.done);
    const notify = states.step('Notify', playbookPath('notification'), { parameters: { state: wholeState, kind: 'contained' } });
    notify.next(closeCase);
    // The evidence after every containment (the revocation verified, the instance's containment chained): revoking a leaked
    // key or containing its instance never waits on LookupEvents, nor is skipped when the evidence fails (issue 16, item 4).
    const evidence = states.step('PreserveCredentialEvidence', playbookPath('credentialEvidence')).next(notify);
    const chain = new sfn.Choice(this, 'ChainOutcome')
      .when(
        sfn.Condition.isPresent(playbookPath('decision', 'chain')),
        states.step('ChainInstanceContainment', playbookPath('chained')).next(evidence),
      )
      .otherwise(evidence);
    const contain = states.step('RevokeCredentials', playbookPath('revocation'));
    contain.next(states.step('VerifyRevocation', playbookPath('verify'), { retries: [NOT_YET_CONSISTENT_RETRY] })).next(chain);

    const normalize = states.triage(
      {
        input: wholeState,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        playbook: 'credential-compromise',
      },
      contain,
    );

    this.buildStateMachine(states, normalize, props, {
      playbook: 'credential-compromise',
      stateMachineName: CREDENTIAL_COMPROMISE_STATE_MACHINE_NAME,
      timeout: Duration.hours(1),
    });
  }
}
