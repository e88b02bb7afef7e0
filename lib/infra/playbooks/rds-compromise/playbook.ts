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

/** The name of the `rds-compromise` state machine (default prefix). */
export const RDS_COMPROMISE_STATE_MACHINE_NAME = 'firebreak-rds-compromise';

/** How long the evidence loop waits between two PreserveDatabase runs (RDS snapshots take minutes). */
export const DB_EVIDENCE_POLL_INTERVAL = Duration.seconds(30);

/**
 * The Lambda Task states of `rds-compromise` and the step each one invokes. State names are a contract: the local
 * runner and the tests use them.
 */
export const RDS_COMPROMISE_TASKS: Readonly<Record<string, StepName>> = {
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
  PreserveDatabase: 'preserve-database',
  ContainDatabase: 'contain-database',
  VerifyDatabaseContainment: 'verify-database-containment',
  Notify: 'notify',
  CloseCase: 'close-case',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

/** Properties of {@link RdsCompromisePlaybook}; its `timeout` defaults to `Duration.hours(6)`. */
export type RdsCompromisePlaybookProps = ContainmentPlaybookProps;

/**
 * The `rds-compromise` playbook: a Standard, JSONPath state machine of Lambda Tasks (`payloadResponseOnly`), logging
 * at level ALL, X-Ray tracing, and a 6 h overall timeout (the evidence deadline ends the snapshot loop before it).
 * The triage front of the other playbooks (Normalize → Claim → Decide: dry run, notify-only, approval, shadow), then
 * PreserveDatabase (the snapshot chain into the security account; `pending` → WaitForDatabaseSnapshots → again, until
 * `completed` or the evidence deadline) → ContainDatabase (public accessibility off for an exposure finding) →
 * VerifyDatabaseContainment (retries `NotYetConsistent`) → Notify → CloseCase. Retry and Catch as in the other
 * playbooks: `ResourceGone` → RecordResourceGone, any other error → RecordFailure.
 */
export class RdsCompromisePlaybook extends PlaybookConstruct {
  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link RdsCompromisePlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: RdsCompromisePlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, {
      playbook: 'rds-compromise',
      tasks: RDS_COMPROMISE_TASKS,
      functions: props.functions,
      approvalTimeout: props.approvalTimeout,
    });
    const wholeState = PlaybookStates.WHOLE_STATE;

    const closeCase = states.step('CloseCase', playbookPath('closed'), { parameters: { state: wholeState, outcome: 'CONTAINED' } });
    closeCase.next(states.outcome('Contained', 'CONTAINED')).next(states.done);
    const notify = states.step('Notify', playbookPath('notification'), { parameters: { state: wholeState, kind: 'contained' } });
    notify.next(closeCase);
    const contain = states.step('ContainDatabase', playbookPath('databaseContainment'));
    contain.next(states.step('VerifyDatabaseContainment', playbookPath('verify'), { retries: [NOT_YET_CONSISTENT_RETRY] })).next(notify);

    const preserve = states.step('PreserveDatabase', playbookPath('databasePreservation'));
    const wait = new sfn.Wait(this, 'WaitForDatabaseSnapshots', { time: sfn.WaitTime.duration(DB_EVIDENCE_POLL_INTERVAL) });
    wait.next(preserve);
    preserve.next(
      new sfn.Choice(this, 'DatabasePreserved')
        .when(sfn.Condition.stringEquals(playbookPath('databasePreservation', 'status'), 'completed'), contain)
        .otherwise(wait),
    );

    const normalize = states.triage(
      {
        input: wholeState,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        playbook: 'rds-compromise',
      },
      preserve,
    );

    this.buildStateMachine(states, normalize, props, {
      playbook: 'rds-compromise',
      stateMachineName: RDS_COMPROMISE_STATE_MACHINE_NAME,
      timeout: Duration.hours(6),
    });
  }
}
