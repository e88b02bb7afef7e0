import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { playbookPath } from '../../../core/contracts/state-paths';
import {
  APPROVAL_TASKS,
  SHADOW_TASKS,
  SUPPRESSION_TASKS,
  PlaybookStates,
  ContainmentPlaybookProps,
  PlaybookConstruct,
} from '../../playbook-states';
import type { StepName } from '../../steps';

/** The name of the `attack-sequence` state machine. */
export const ATTACK_SEQUENCE_STATE_MACHINE_NAME = 'firebreak-attack-sequence';

/**
 * The Lambda Task states of `attack-sequence` and the step each one invokes. State names are a contract: the local
 * runner and the tests use them.
 */
export const ATTACK_SEQUENCE_TASKS: Readonly<Record<string, StepName>> = {
  Normalize: 'normalize-finding',
  ...APPROVAL_TASKS,
  ...SHADOW_TASKS,
  ...SUPPRESSION_TASKS,
  Claim: 'claim-case',
  Decide: 'decide-response',
  PlanDryRun: 'plan-containment',
  NotifyOnly: 'notify',
  CloseNotified: 'close-case',
  ChainSequenceContainment: 'chain-sequence-containment',
  Notify: 'notify',
  CloseCase: 'close-case',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

/** Properties of {@link AttackSequencePlaybook}; its `timeout` defaults to `Duration.hours(1)`. */
export type AttackSequencePlaybookProps = ContainmentPlaybookProps;

/**
 * The `attack-sequence` playbook (issue 15): a GuardDuty attack sequence finding (`resource.resourceType`
 * `AttackSequence`) opens one case that records the sequence (its uid, signals and resources), and starts one chained
 * containment per access key (credential-compromise) and instance (ec2-compromise) it names, each of which records
 * this case as `chainedFrom`. A Standard, JSONPath state machine of Lambda Tasks, logging ALL, X-Ray, 1 h timeout.
 *
 * Normalize (naming the playbook: the sequence is parsed and each resource routed) → Claim (one case per finding) →
 * Decide, then dry run (sample findings: PlanDryRun lists the chained starts, no call), notify-only (a sequence naming
 * nothing containable: NotifyOnly names its resources), approval or shadow as the catalog says, or contain:
 * ChainSequenceContainment → Notify → CloseCase. Retry and Catch as in the other playbooks. GuardDuty's update of the
 * finding (same ID) that names resources the case has not handled takes the finished case over at Claim (`update`) and
 * runs the same path for exactly those (docs/ARCHITECTURE.md, "An update of the sequence").
 */
export class AttackSequencePlaybook extends PlaybookConstruct {
  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link AttackSequencePlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: AttackSequencePlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, {
      playbook: 'attack-sequence',
      tasks: ATTACK_SEQUENCE_TASKS,
      functions: props.functions,
      approvalTimeout: props.approvalTimeout,
    });
    const wholeState = PlaybookStates.WHOLE_STATE;
    const closeCase = states.step('CloseCase', playbookPath('closed'), { parameters: { state: wholeState, outcome: 'CONTAINED' } });
    closeCase.next(states.outcome('Contained', 'CONTAINED')).next(states.done);
    const notify = states.step('Notify', playbookPath('notification'), { parameters: { state: wholeState, kind: 'contained' } });
    notify.next(closeCase);
    const contain = states.step('ChainSequenceContainment', playbookPath('sequenceChains'));
    contain.next(notify);
    const normalize = states.triage(
      {
        input: wholeState,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        playbook: 'attack-sequence',
      },
      contain,
    );
    this.buildStateMachine(states, normalize, props, {
      playbook: 'attack-sequence',
      stateMachineName: ATTACK_SEQUENCE_STATE_MACHINE_NAME,
      timeout: Duration.hours(1),
    });
  }
}
