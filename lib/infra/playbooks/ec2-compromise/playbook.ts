import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { playbookPath, type StatePath } from '../../../core/contracts/state-paths';
import {
  APPROVAL_TASKS,
  SHADOW_TASKS,
  SUPPRESSION_TASKS,
  FAILURE_RECORDING_TASKS,
  LAMBDA_TASK_RETRY,
  NOT_YET_CONSISTENT_RETRY,
  PlaybookStates,
  ContainmentPlaybookProps,
  PlaybookConstruct,
} from '../../playbook-states';
import type { StepName } from '../../steps';

/** The name of the `ec2-compromise` state machine. */
export const EC2_COMPROMISE_STATE_MACHINE_NAME = 'firebreak-ec2-compromise';

/**
 * The Lambda Task states of `ec2-compromise` and the step each one invokes. State names are a contract:
 * the local runner and the tests use them.
 */
export const EC2_COMPROMISE_TASKS: Readonly<Record<string, StepName>> = {
  Triage: 'normalize-finding',
  GameDayGuard: 'guard-gameday',
  ...APPROVAL_TASKS,
  ...SHADOW_TASKS,
  ...SUPPRESSION_TASKS,
  Claim: 'claim-case',
  PlanDryRun: 'plan-containment',
  NotifyOnly: 'notify',
  CloseNotified: 'close-case',
  Contain: 'contain-instance',
  ContainClaimed: 'contain-instance',
  DenyInstanceCredentials: 'deny-instance-credentials',
  ResealIsolation: 'reseal-isolation',
  SnapshotVolumes: 'snapshot-volumes',
  CheckSnapshots: 'check-snapshots',
  CopySnapshots: 'copy-snapshots',
  CheckMemberCopies: 'check-snapshots',
  ShareAndCopySnapshots: 'share-snapshots',
  CheckSecurityCopies: 'check-snapshots',
  CollectArtifacts: 'collect-artifacts',
  WriteManifest: 'write-manifest',
  Notify: 'notify',
  RecordResourceGone: 'record-failure',
  RecordFailure: 'record-failure',
};

// Shared by every playbook (playbook-states.ts); re-exported for the callers that import them from here.
export { FAILURE_RECORDING_TASKS, LAMBDA_TASK_RETRY };

/** The state fields that hold a snapshot batch, and those where each batch's poll puts its result. */
type BatchField = 'snapshots' | 'memberCopies' | 'securityCopies';
type CheckField = `${BatchField}Check`;

/** How often the evidence poll loops re-check snapshot and copy progress. */
export const EVIDENCE_POLL_INTERVAL = Duration.seconds(15);

/**
 * The Retry of ResealIsolation (the same errors as {@link LAMBDA_TASK_RETRY}, which it replaces: the first
 * retrier that matches is the one used): an ENI may be on the allow-all untrack group while it fails, so it
 * tries longer than any other step: 2 s, 4 s, 8 s, 16 s, 32 s, 64 s (about two minutes, with full jitter),
 * then the failure is recorded with the ENIs still open named.
 */
export const RESEAL_RETRY: sfn.RetryProps = {
  errors: LAMBDA_TASK_RETRY.errors,
  interval: Duration.seconds(2),
  maxAttempts: 6,
  backoffRate: 2,
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * The Retry of the evidence stages that create (SnapshotVolumes, CopySnapshots, ShareAndCopySnapshots), evaluated
 * before {@link LAMBDA_TASK_RETRY}: `EvidenceCreateInProgress` means another execution holds the lease on a create
 * call of the stage (its intent, for the snapshot steps' Lambda timeout: `CREATE_WINDOW_MS`, 120 s), so the step made
 * none and is tried again until the record appears or the lease expires. 2 s, 4 s, 8 s, 16 s, then 30 s
 * (`MaxDelaySeconds`) six times: 210 s in all, more than the lease and the holder's own run; no jitter, so that reach
 * is certain ("Handling errors in Step Functions workflows", Retry fields, Step Functions Developer Guide,
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). Spent, the error is caught as any
 * other (RecordFailure); past the evidence deadline the step fails `EvidenceIncomplete` instead.
 */
export const EVIDENCE_CREATE_RETRY: sfn.RetryProps = {
  errors: ['EvidenceCreateInProgress'],
  interval: Duration.seconds(2),
  maxAttempts: 10,
  backoffRate: 2,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.NONE,
};

/** The evidence stages that create snapshots, which first wait out another execution's create call. */
export const EVIDENCE_CREATE_STATES: readonly string[] = ['SnapshotVolumes', 'CopySnapshots', 'ShareAndCopySnapshots'];

/** The retriers a Task state has before the common one: {@link EVIDENCE_CREATE_RETRY} for {@link EVIDENCE_CREATE_STATES}. */
const retriesOf = (stateName: string): sfn.RetryProps[] => (EVIDENCE_CREATE_STATES.includes(stateName) ? [EVIDENCE_CREATE_RETRY] : []);

/** Properties of {@link Ec2CompromisePlaybook}; its `timeout` defaults to `Duration.hours(6)`. */
export type Ec2CompromisePlaybookProps = ContainmentPlaybookProps;

/**
 * The `ec2-compromise` playbook (DESIGN.md §3): a Standard, JSONPath state machine of Lambda Tasks
 * (`payloadResponseOnly`, so each Task's `Resource` is the function ARN), logging at level ALL,
 * X-Ray tracing, and a 6 h overall timeout.
 *
 * Triage (normalize and decide, no AWS call) → contain: Contain (claim, preservation and isolation in one step; issue 13)
 * → ContainOutcome (ALREADY_HANDLED → AlreadyHandled; a suppression rule matched → CloseSuppressed → Suppressed, nothing
 * changed; `decision.action == approval`, a brake held it → the approval path, RequestApproval; ContainClaimedOutcome
 * likewise for ContainClaimed not after an approval: issue 14); any other decision → Claim → dry run, notify-only, approval
 * (→ ContainClaimed, the same step after Claim); then (Contain reads its isolation back itself, issue 13) →
 * DenyInstanceCredentials (the instance role's deny scoped to the instance, read back; issue 15) → snapshots
 * (poll loop) → member copies (poll loop) → security account copies (poll loop) → CollectArtifacts → WriteManifest →
 * Notify, which closes the case in the write that marks the notification (issue 13: no CloseCase state). Every Task
 * retries transient errors;
 * `ResourceGone` goes to RecordResourceGone (the case ends RESOURCE_GONE) and any other error to
 * RecordFailure (the execution fails). An error of Contain (its read-back's `VerificationFailed` among them) goes
 * through ResealIsolation first, which moves any ENI left on the allow-all untrack group onto the isolation group.
 */
export class Ec2CompromisePlaybook extends PlaybookConstruct {
  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link Ec2CompromisePlaybookProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(scope: Construct, id: string, props: Ec2CompromisePlaybookProps) {
    super(scope, id);
    const states = new PlaybookStates(this, {
      playbook: 'ec2-compromise',
      tasks: EC2_COMPROMISE_TASKS,
      functions: props.functions,
      approvalTimeout: props.approvalTimeout,
    });
    const wholeState = PlaybookStates.WHOLE_STATE;
    const step = (stateName: string, resultPath: StatePath, parameters?: Record<string, unknown>) =>
      states.step(stateName, resultPath, { parameters, retries: retriesOf(stateName) });
    const snapshots = this.evidencePath(states);
    // The failure path of the steps that move ENIs: ResealIsolation moves any ENI left on the allow-all
    // untrack group onto the isolation group, then the failure is recorded (ResourceGone or any other).
    const afterReseal = new sfn.Choice(this, 'ResealOutcome')
      .when(sfn.Condition.stringEquals(playbookPath('error', 'Error'), 'ResourceGone'), states.recordResourceGone)
      .otherwise(states.recordFailure);
    const reseal = states.lambdaTask('ResealIsolation', playbookPath('reseal'), { retries: [RESEAL_RETRY] });
    reseal.addCatch(afterReseal, { errors: ['States.ALL'], resultPath: playbookPath('resealError') });
    reseal.next(afterReseal);
    const networkStep = (stateName: string, resultPath: StatePath | '$', parameters?: Record<string, unknown>) =>
      states
        .lambdaTask(stateName, resultPath, { parameters })
        .addCatch(reseal, { errors: ['States.ALL'], resultPath: playbookPath('error') });

    const snapshotVolumes = step('SnapshotVolumes', playbookPath('snapshots'));
    snapshotVolumes.next(snapshots);
    // After the isolation, never inside it (issue 13's chain stays 6 / 4 calls): the instance role's deny scoped to the
    // instance, read back (NotYetConsistent waits for IAM), then the evidence.
    const denyCredentials = states.step('DenyInstanceCredentials', playbookPath('instanceCredentials'), {
      retries: [NOT_YET_CONSISTENT_RETRY],
    });
    denyCredentials.next(snapshotVolumes);
    // Contain's result replaces the state: the state it got, with `case` and `contain` (never the execution's input,
    // which it gets to store the event: lib/core/contracts/state.ts ContainInputSchema).
    const contain = networkStep('Contain', '$', { state: wholeState, input: sfn.JsonPath.objectAt('$$.Execution.Input') });
    const containOutcome = new sfn.Choice(this, 'ContainOutcome')
      .when(sfn.Condition.stringEquals(playbookPath('case', 'status'), 'ALREADY_HANDLED'), states.alreadyHandled)
      .when(PlaybookStates.isSuppressed, states.suppressed);
    contain.next(containOutcome);
    const containClaimed = networkStep('ContainClaimed', '$', { state: wholeState });

    // Triage → Contain; any other decision → Claim → the dry-run, notify-only and approval paths. The normalizer
    // defaults the playbook to ec2-compromise, so Triage names none.
    const triage = states.containFirstTriage(
      {
        input: wholeState,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionStartTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        triage: true,
      },
      contain,
      containClaimed,
    );
    // A brake held the containment (issue 14: Contain claimed the case and changed nothing): the approval path.
    containOutcome
      .when(sfn.Condition.stringEquals(playbookPath('decision', 'action'), 'approval'), states.approval!)
      .otherwise(denyCredentials);
    // ContainClaimed not after an approval (an event Triage stored: too large for Contain's input) is braked as Contain is.
    containClaimed.next(
      new sfn.Choice(this, 'ContainClaimedOutcome')
        .when(
          sfn.Condition.and(
            // Not(IsPresent: true), not IsPresent: false: aws-local-stepfunctions (the local runner) evaluates `IsPresent: false`
            // as never true (`IsPresent && value !== undefined`); both mean the same on AWS.
            sfn.Condition.not(sfn.Condition.isPresent(playbookPath('approvalOutcome'))),
            sfn.Condition.stringEquals(playbookPath('decision', 'action'), 'approval'),
          ),
          states.approval!,
        )
        .otherwise(denyCredentials),
    );

    this.buildStateMachine(states, triage, props, {
      playbook: 'ec2-compromise',
      stateMachineName: EC2_COMPROMISE_STATE_MACHINE_NAME,
      timeout: Duration.hours(6),
    });
  }

  /**
   * The evidence path, built from its end: CheckSnapshots (polled) → CopySnapshots → CheckMemberCopies (polled) →
   * ShareAndCopySnapshots → CheckSecurityCopies (polled) → CollectArtifacts → WriteManifest → Notify (and close:
   * `close: CONTAINED`, one TransactWriteItems of the marks, the claim, the case and the timeline entry) → Contained.
   * @param states - the playbook's states.
   * @returns the first state, CheckSnapshots.
   */
  private evidencePath(states: PlaybookStates): sfn.TaskStateBase {
    const wholeState = PlaybookStates.WHOLE_STATE;
    const step = (stateName: string, resultPath: StatePath, parameters?: Record<string, unknown>) =>
      states.step(stateName, resultPath, { parameters, retries: retriesOf(stateName) });
    const checkBatch = (stateName: string, batch: BatchField, owner: 'member' | 'security', check: CheckField) =>
      step(stateName, playbookPath(check), {
        incident: sfn.JsonPath.objectAt(playbookPath('incident')),
        case: sfn.JsonPath.objectAt(playbookPath('case')),
        batch: sfn.JsonPath.objectAt(playbookPath(batch)),
        owner,
      });

    const collect = step('CollectArtifacts', playbookPath('artifacts'));
    collect
      .next(step('WriteManifest', playbookPath('manifest')))
      .next(step('Notify', playbookPath('notification'), { state: wholeState, kind: 'contained', close: 'CONTAINED' }))
      .next(states.outcome('Contained', 'CONTAINED'))
      .next(states.done);

    const securityCopies = this.pollUntilCompleted(
      checkBatch('CheckSecurityCopies', 'securityCopies', 'security', 'securityCopiesCheck'),
      'securityCopiesCheck',
      'SecurityCopiesDone',
      'WaitForSecurityCopies',
      collect,
    );
    const share = step('ShareAndCopySnapshots', playbookPath('securityCopies'));
    share.next(securityCopies);

    const memberCopies = this.pollUntilCompleted(
      checkBatch('CheckMemberCopies', 'memberCopies', 'member', 'memberCopiesCheck'),
      'memberCopiesCheck',
      'MemberCopiesDone',
      'WaitForMemberCopies',
      share,
    );
    const copy = step('CopySnapshots', playbookPath('memberCopies'));
    copy.next(memberCopies);

    return this.pollUntilCompleted(
      checkBatch('CheckSnapshots', 'snapshots', 'member', 'snapshotsCheck'),
      'snapshotsCheck',
      'SnapshotsDone',
      'WaitForSnapshots',
      copy,
    );
  }

  /** A Wait-state poll loop: check → Choice(completed? next : Wait → check). */
  private pollUntilCompleted(
    check: sfn.TaskStateBase,
    checkField: CheckField,
    choiceName: string,
    waitName: string,
    next: sfn.IChainable,
  ): sfn.TaskStateBase {
    const wait = new sfn.Wait(this, waitName, { time: sfn.WaitTime.duration(EVIDENCE_POLL_INTERVAL) });
    wait.next(check);
    check.next(
      new sfn.Choice(this, choiceName)
        .when(sfn.Condition.stringEquals(playbookPath(checkField, 'status'), 'completed'), next)
        .otherwise(wait),
    );
    return check;
  }
}
