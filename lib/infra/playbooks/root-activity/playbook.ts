import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PlaybookStates, PlaybookProps, PlaybookConstruct, SUPPRESSION_TASKS } from '../../playbook-states';
import type { StepName } from '../../steps';

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
  ...SUPPRESSION_TASKS,
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

/** Properties of {@link RootActivityPlaybook}; its `timeout` defaults to `Duration.minutes(15)`. */
export type RootActivityPlaybookProps = PlaybookProps;

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
export class RootActivityPlaybook extends PlaybookConstruct {
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

    this.buildStateMachine(states, normalize, props, {
      playbook: 'root-activity',
      stateMachineName: ROOT_ACTIVITY_STATE_MACHINE_NAME,
      timeout: Duration.minutes(15),
    });
  }
}
