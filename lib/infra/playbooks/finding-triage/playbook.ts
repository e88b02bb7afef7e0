import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TRIAGE_PLAYBOOK } from '../../../core/catalog/catalog';
import { PlaybookStates, PlaybookProps, PlaybookConstruct } from '../../playbook-states';
import { ROOT_ACTIVITY_TASKS } from '../root-activity/playbook';
import type { StepName } from '../../steps';

/** The name of the `finding-triage` state machine. */
export const FINDING_TRIAGE_STATE_MACHINE_NAME = 'firebreak-finding-triage';

/**
 * The Lambda Task states of `finding-triage` and the step each one invokes: those of root-activity,
 * the other notify-only playbook. State names are a contract: the local runner and the tests use them.
 */
export const FINDING_TRIAGE_TASKS: Readonly<Record<string, StepName>> = ROOT_ACTIVITY_TASKS;

/** Properties of {@link FindingTriagePlaybook}; its `timeout` defaults to `Duration.minutes(15)`. */
export type FindingTriagePlaybookProps = PlaybookProps;

/**
 * The `finding-triage` playbook (issue 9, "never silent"): every GuardDuty finding at or above the
 * severity floor on a resource that no containment playbook acts on (S3 buckets and objects, EKS and
 * ECS clusters, containers, RDS databases, Lambda functions, malware scans of snapshots, images and
 * recovery points, attack sequences, and any resource type GuardDuty adds later) opens a case: ledger
 * entry, timeline, and a notification with the finding's summary, the resource, its runbook entry and
 * the exact triage commands. It contains nothing and makes no call in the member account.
 *
 * Normalize (naming the playbook) → Claim (one case per finding) → Decide, then dry run (sample
 * findings) or notify-only. Decide never returns `contain` here; any action but `dryRun` and `notify`
 * goes to UnknownDecision → RecordFailure. A Standard, JSONPath state machine, logging at level ALL,
 * X-Ray tracing, and a 15 min overall timeout. Retry and Catch as in the other playbooks.
 */
export class FindingTriagePlaybook extends PlaybookConstruct {
  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link FindingTriagePlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: FindingTriagePlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, { playbook: TRIAGE_PLAYBOOK, tasks: FINDING_TRIAGE_TASKS, functions: props.functions });
    const normalize = states.triage({
      input: PlaybookStates.WHOLE_STATE,
      executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      playbook: TRIAGE_PLAYBOOK,
    });
    this.buildStateMachine(states, normalize, props, {
      playbook: TRIAGE_PLAYBOOK,
      stateMachineName: FINDING_TRIAGE_STATE_MACHINE_NAME,
      timeout: Duration.minutes(15),
    });
  }
}
