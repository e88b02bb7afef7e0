import { Aws, Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type * as z from 'zod';
import type { ApprovalSchema, Outcome } from '../core/contracts/step-results';
import { playbookPath, type StatePath } from '../core/contracts/state-paths';
import { ConfigError } from '../core/errors';
import { policiesOf } from './dependencies';
import { JustifiedPolicy } from './nag';
import type { ResponderFunction } from './responder-function';
import type { StepName } from './steps';

/**
 * The building blocks every Firebreak playbook shares: Lambda Tasks with the common Retry and Catch,
 * the terminal states (Done, the outcome Pass states, RecordResourceGone, RecordFailure), the triage
 * front (Normalize → Claim → Decide and the dry-run and notify-only paths), and the state machine with
 * its role and log group. The playbook constructs pass themselves as the scope, so construct paths
 * (and logical IDs) are the playbook's own.
 */

/** The Task states that record a failure; they retry ({@link RECORD_FAILURE_RETRY}) but catch nothing: when they fail, the execution fails. */
export const FAILURE_RECORDING_TASKS: readonly string[] = ['RecordResourceGone', 'RecordFailure'];

/**
 * The error names under which a Lambda Task reports that its function ran out of time, all retried
 * (every step is idempotent: DESIGN.md §4, and the crash-recovery tests):
 * - `Sandbox.Timedout`: the error type a function reports when it outlives its Lambda timeout
 *   (`{"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: … Error: Task timed out after N.00
 *   seconds"}`, as AWS's Lambda runtime interface emulator, aws/aws-lambda-runtime-interface-emulator,
 *   writes it; no AWS guide page names it), which a Task that invokes the function by ARN reports as its error;
 * - `Lambda.Unknown`: how Step Functions reports an unhandled Lambda error, "out-of-memory errors and function
 *   timeouts" included ("Handle Lambda service exceptions", Step Functions Developer Guide,
 *   https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html);
 * - `States.Timeout`: the Task's own TimeoutSeconds passed ("Error names", Step Functions Developer
 *   Guide, https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html); every
 *   Lambda Task has one, a little longer than its function's timeout ({@link TASK_TIMEOUT_MARGIN}).
 */
export const LAMBDA_TIMEOUT_ERRORS: readonly string[] = ['Sandbox.Timedout', 'Lambda.Unknown', 'States.Timeout'];

/**
 * The Retry of every Lambda Task: the errors Firebreak's handlers raise for throttling and transient
 * AWS failures (the SDK's `TimeoutError` among them, mapped to `TransientAwsError` by
 * lib/runtime/aws-errors.ts), the Lambda service errors that AWS recommends retrying ("Handle
 * transient Lambda service exceptions", Step Functions Developer Guide), and a step that outlived its
 * timeout ({@link LAMBDA_TIMEOUT_ERRORS}).
 */
export const LAMBDA_TASK_RETRY: sfn.RetryProps = {
  errors: [
    'Throttled',
    'TransientAwsError',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    ...LAMBDA_TIMEOUT_ERRORS,
  ],
  interval: Duration.seconds(2),
  maxAttempts: 4,
  backoffRate: 2,
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * The Retry of the failure recorders (RecordFailure, RecordResourceGone): the errors of
 * {@link LAMBDA_TASK_RETRY}, with more attempts and a longer reach, because nothing runs after them that
 * could tell a person instead (issue 11: under 20 % transient faults, a RecordFailure whose publish failed
 * left no case and no notification). 10 retries (`MaxAttempts`) from 2 s, ×2, each wait capped at 60 s (`MaxDelaySeconds`),
 * full jitter: up to about 6 min in all ("Handling errors in Step Functions workflows", Retry fields
 * `MaxAttempts`, `BackoffRate`, `MaxDelaySeconds`, `JitterStrategy`, Step Functions Developer Guide,
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). When they are spent the
 * execution ends FAILED, which the playbook's Failed alarm (metric `ExecutionsFailed`) tells the topic.
 */
export const RECORD_FAILURE_RETRY: sfn.RetryProps = {
  errors: LAMBDA_TASK_RETRY.errors,
  interval: Duration.seconds(2),
  maxAttempts: 10,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * The Retry of the approval task (RequestApproval, `.waitForTaskToken`): that of every Lambda Task but
 * `States.Timeout`, which there means the approval timeout passed and is caught into ApprovalTimedOut.
 */
export const APPROVAL_TASK_RETRY: sfn.RetryProps = {
  ...LAMBDA_TASK_RETRY,
  errors: LAMBDA_TASK_RETRY.errors!.filter((e) => e !== 'States.Timeout'),
};

/**
 * How much longer than its function's Lambda timeout a Lambda Task waits (its TimeoutSeconds) before
 * `States.Timeout`: the function has ended by then (Lambda stops it at its timeout), so this only
 * bounds an invocation whose answer never arrives. (A Task without TimeoutSeconds waits 99999999 s in
 * AWS; aws-local-stepfunctions, the local runner, defaults to 60 s, shorter than some steps' timeout.)
 */
export const TASK_TIMEOUT_MARGIN = Duration.seconds(30);

/**
 * The error a verify step raises while the service it checks has not yet caught up with the change
 * (IAM is eventually consistent: "Changes that I make are not always immediately visible", IAM User
 * Guide; CloudTrail's trail status may lag a StartLogging call too).
 */
export const NOT_YET_CONSISTENT_ERROR = 'NotYetConsistent';

/**
 * The bounded wait for a verify step's service to become consistent, evaluated before the standard
 * retrier: 2 s, 3 s, 4.5 s, 6.75 s, 10.1 s (about 26 s in all), then the error is caught as a failure.
 */
export const NOT_YET_CONSISTENT_RETRY: sfn.RetryProps = {
  errors: [NOT_YET_CONSISTENT_ERROR],
  interval: Duration.seconds(2),
  maxAttempts: 5,
  backoffRate: 1.5,
};

/** Options of one Lambda Task. */
export interface StepOptions {
  /** The Task's Parameters; omitted means the whole state is the input. */
  readonly parameters?: Record<string, unknown>;
  /**
   * Retriers evaluated before {@link LAMBDA_TASK_RETRY} (e.g. a step-specific consistency wait).
   * @default - none
   */
  readonly retries?: readonly sfn.RetryProps[];
  /**
   * The standard retrier, replaced (the failure recorders' {@link RECORD_FAILURE_RETRY}).
   * @default LAMBDA_TASK_RETRY
   */
  readonly retry?: sfn.RetryProps;
}

/** Properties of {@link PlaybookStates}. */
export interface PlaybookStatesProps {
  /** The playbook's name, e.g. `ec2-compromise` (error messages). */
  readonly playbook: string;
  /** The playbook's Task states and the step each one invokes. */
  readonly tasks: Readonly<Record<string, StepName>>;
  /** The step functions, by step. Every step the playbook invokes must be present. */
  readonly functions: Readonly<Partial<Record<StepName, ResponderFunction>>>;
  /**
   * Parameters added to those of RecordFailure and RecordResourceGone (`state.$`, `outcome`), e.g. the
   * execution's name for a playbook whose state may not hold it yet when its first step fails (release).
   * @default - none
   */
  readonly failureParameters?: Readonly<Record<string, unknown>>;
  /**
   * How long RequestApproval waits for `firebreak approve` / `deny` (the task's TimeoutSeconds), when
   * the playbook has the approval tasks (RequestApproval, RecordApproval).
   * @default DEFAULT_APPROVAL_TIMEOUT
   */
  readonly approvalTimeout?: Duration;
}

/** How long an approval waits when the deployment does not say: 1 h (the config's `approvalTimeoutSeconds` default). */
export const DEFAULT_APPROVAL_TIMEOUT = Duration.hours(1);

/** What ApprovalTimedOut puts at `$.approval` when nobody answered in time. */
const APPROVAL_TIMED_OUT: z.input<typeof ApprovalSchema> = { decision: 'timeout' };

/** The Task states of the approval path, and their steps: add them to a playbook's tasks to give it one. */
export const APPROVAL_TASKS: Readonly<Record<string, StepName>> = {
  RequestApproval: 'request-approval',
  RecordApproval: 'record-approval',
};

/**
 * The Task states of shadow mode (catalog mode `shadow`, issue 14): add them to the tasks of a playbook that can contain
 * to give its DecideOutcome a `shadow` choice: PlanShadow (the plan, read calls only) → CloseShadow (the case closed
 * `SHADOW`, the plan on its timeline) → Shadow → Done.
 */
export const SHADOW_TASKS: Readonly<Record<string, StepName>> = {
  PlanShadow: 'plan-containment',
  CloseShadow: 'close-case',
};

/**
 * The Task state of suppression (issue 14): add it to a playbook's tasks to give its ClaimOutcome (and Contain's
 * outcome, {@link PlaybookStates.suppressed}) a suppressed choice: CloseSuppressed (the case closed `SUPPRESSED`) →
 * Suppressed → Done, nothing changed and nobody notified.
 */
export const SUPPRESSION_TASKS: Readonly<Record<string, StepName>> = { CloseSuppressed: 'close-case' };

/**
 * The shared states of one playbook, created in the playbook construct's scope. Creating it creates
 * `Done`, `RecordResourceGone` → `ResourceGoneDone` → `Done` and `RecordFailure` → `PlaybookFailed`.
 * Its JSONPaths come from `playbookPath` (lib/core/contracts/state-paths.ts); those the release playbook shares
 * (`$.error`, `$.failure`, `$.outcome`) are fields of `ReleaseStateSchema` too (test/infra/state-contract.test.ts).
 */
export class PlaybookStates {
  /** The entire state (`$`), for Parameters. */
  public static readonly WHOLE_STATE = sfn.JsonPath.entirePayload;

  /** The functions the playbook invokes, one per distinct step. */
  public readonly invoked: readonly ResponderFunction[];
  /** The Succeed state every successful path ends in. */
  public readonly done: sfn.Succeed;
  /** Records a `ResourceGone` error; the case ends RESOURCE_GONE. */
  public readonly recordResourceGone: sfn.TaskStateBase;
  /** Records any other error; the execution fails. */
  public readonly recordFailure: sfn.TaskStateBase;
  private notifyOnlyState?: sfn.TaskStateBase;
  private approvalState?: sfn.TaskStateBase;
  private alreadyHandledState?: sfn.Pass;
  private suppressedState?: sfn.TaskStateBase;

  /**
   * @param scope - the playbook construct.
   * @param props - see {@link PlaybookStatesProps}.
   * @throws {ConfigError} when a step function the playbook needs is missing.
   */
  constructor(
    private readonly scope: Construct,
    private readonly props: PlaybookStatesProps,
  ) {
    this.invoked = [...new Set(Object.values(props.tasks))].map((s) => this.fn(s));

    this.done = new sfn.Succeed(scope, 'Done');
    const wholeState = PlaybookStates.WHOLE_STATE;
    const extra = props.failureParameters ?? {};
    this.recordResourceGone = this.lambdaTask('RecordResourceGone', playbookPath('failure'), {
      parameters: { state: wholeState, outcome: 'RESOURCE_GONE', ...extra },
      retry: RECORD_FAILURE_RETRY,
    });
    this.recordResourceGone.next(this.outcome('ResourceGoneDone', 'RESOURCE_GONE')).next(this.done);
    this.recordFailure = this.lambdaTask('RecordFailure', playbookPath('failure'), {
      parameters: { state: wholeState, outcome: 'FAILED', ...extra },
      retry: RECORD_FAILURE_RETRY,
    });
    this.recordFailure.next(
      new sfn.Fail(scope, 'PlaybookFailed', { error: 'PlaybookFailed', cause: 'A playbook step failed; see the case timeline' }),
    );
  }

  /**
   * A Lambda Task (`payloadResponseOnly`) with the playbook's Retry and no Catch, and a TimeoutSeconds of
   * its function's timeout plus {@link TASK_TIMEOUT_MARGIN}.
   * @param stateName - a Task state of the playbook.
   * @param resultPath - where the result goes (`playbookPath(field)` / `releasePath(field)`, lib/core/contracts/state-paths.ts); `$` replaces the state.
   * @param options - Parameters and extra retriers.
   * @returns the Task.
   * @throws {ConfigError} when `stateName` is not a Task state of the playbook.
   */
  public lambdaTask(stateName: string, resultPath: StatePath | '$', options: StepOptions = {}): sfn.TaskStateBase {
    const step = this.props.tasks[stateName];
    if (!step) throw new ConfigError(`${this.scope.node.path}: ${stateName} is not a Task state of ${this.props.playbook}`);
    const task = new tasks.LambdaInvoke(this.scope, stateName, {
      lambdaFunction: this.fn(step).function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: options.parameters ? sfn.TaskInput.fromObject(options.parameters) : undefined,
      // An omitted ResultPath means "$" in ASL. aws-local-stepfunctions (the local runner) takes an
      // explicit "$" as a key named "$", so the replace-the-state case is left implicit.
      resultPath: resultPath === '$' ? undefined : resultPath,
      taskTimeout: sfn.Timeout.duration(
        Duration.seconds((this.fn(step).function.timeout ?? Duration.seconds(3)).toSeconds() + TASK_TIMEOUT_MARGIN.toSeconds()),
      ),
    });
    for (const retry of options.retries ?? []) task.addRetry(retry);
    return task.addRetry(options.retry ?? LAMBDA_TASK_RETRY);
  }

  /**
   * A Lambda Task with the playbook's Retry and Catch: `ResourceGone` → RecordResourceGone, any other
   * error → RecordFailure, the error at `$.error`.
   * @param stateName - a Task state of the playbook.
   * @param resultPath - where the result goes (`playbookPath(field)` / `releasePath(field)`); `$` replaces the state.
   * @param options - Parameters and extra retriers.
   * @returns the Task.
   */
  public step(stateName: string, resultPath: StatePath | '$', options: StepOptions = {}): sfn.TaskStateBase {
    return this.lambdaTask(stateName, resultPath, options)
      .addCatch(this.recordResourceGone, { errors: ['ResourceGone'], resultPath: playbookPath('error') })
      .addCatch(this.recordFailure, { errors: ['States.ALL'], resultPath: playbookPath('error') });
  }

  /**
   * A Pass state that sets `$.outcome`.
   * @param stateName - the state's name.
   * @param value - the outcome.
   * @returns the Pass state.
   */
  public outcome(stateName: string, value: Outcome): sfn.Pass {
    return new sfn.Pass(this.scope, stateName, { result: sfn.Result.fromString(value), resultPath: playbookPath('outcome') });
  }

  /**
   * The triage front every playbook starts with, given the playbook's containment path:
   * Normalize → [the game-day guard, for a playbook whose tasks name `GameDayGuard`] → Claim → ClaimOutcome (ALREADY_HANDLED → AlreadyHandled) → Decide → DecideOutcome:
   * `dryRun` → PlanDryRun → DryRunDone; `notify` → NotifyOnly → CloseNotified → Notified; `contain` →
   * the containment path; `approval` (playbooks with the {@link APPROVAL_TASKS}) → the approval path;
   * anything else → UnknownDecision → RecordFailure.
   * @param normalizeParameters - the Parameters of Normalize (its result replaces the state).
   * @param contain - the first state of the containment path; omitted for a playbook that never
   *   contains automatically (root-activity): DecideOutcome then has no `contain` choice, and a
   *   `contain` decision goes to UnknownDecision like any other action the playbook does not handle.
   * @returns Normalize, the start state.
   */
  public triage(normalizeParameters: Record<string, unknown>, contain?: sfn.IChainable): sfn.IChainable {
    const decide = this.step('Decide', playbookPath('decision'));
    decide.next(this.decideOutcome(contain));
    const normalize = this.step('Normalize', '$', { parameters: normalizeParameters });
    const claim = this.claimStep(decide);
    normalize.next(this.props.tasks.GameDayGuard ? this.gameDayGuard(claim) : claim);
    return normalize;
  }

  /**
   * The contain-first front (ec2-compromise, issue 13): Triage (Normalize and Decide in one Lambda, no AWS call on the
   * way to containment) → [the game-day guard, for a playbook whose tasks name `GameDayGuard`] → TriageOutcome
   * (Choice): `$.decision.action == contain` with the event left to Contain (`$.event` null) → `contain`, which claims
   * the case in its own write; anything else (and an event Triage stored because it is too large to travel beside the
   * state) → Claim → ClaimOutcome (ALREADY_HANDLED → AlreadyHandled) → DecideOutcome on Triage's decision, as
   * {@link triage}'s, its `contain` and approval paths leading to `containClaimed`.
   * @param triageParameters - the Parameters of Triage (its result replaces the state).
   * @param contain - the containment path that claims (gets the execution's input).
   * @param containClaimed - the containment path after Claim.
   * @returns Triage, the start state.
   */
  public containFirstTriage(
    triageParameters: Record<string, unknown>,
    contain: sfn.IChainable,
    containClaimed: sfn.IChainable,
  ): sfn.IChainable {
    const claim = this.claimStep(this.decideOutcome(containClaimed));
    const triageOutcome = new sfn.Choice(this.scope, 'TriageOutcome')
      .when(
        sfn.Condition.and(
          sfn.Condition.stringEquals(playbookPath('decision', 'action'), 'contain'),
          sfn.Condition.isNull(playbookPath('event')),
        ),
        contain,
      )
      .otherwise(claim);
    const triage = this.step('Triage', '$', { parameters: triageParameters });
    triage.next(this.props.tasks.GameDayGuard ? this.gameDayGuard(triageOutcome) : triageOutcome);
    return triage;
  }

  /**
   * NotifyOnly (→ CloseNotified → Notified), for a playbook's own path that ends notify-only (cloudtrail-tamper's
   * JudgementOutcome, issue 14).
   * @throws {ConfigError} before the triage front is built ({@link triage}).
   */
  public get notifyOnly(): sfn.TaskStateBase {
    if (!this.notifyOnlyState) throw new ConfigError(`${this.scope.node.path}: NotifyOnly is built with the triage front`);
    return this.notifyOnlyState;
  }

  /**
   * RequestApproval, the start of the approval path, for a playbook's own path that asks a person (cloudtrail-tamper's
   * JudgementOutcome, issue 14; ec2-compromise's ContainOutcome, for a case a brake held).
   * @throws {ConfigError} before the triage front is built with a containment path and the {@link APPROVAL_TASKS}.
   */
  public get approval(): sfn.TaskStateBase {
    if (!this.approvalState) throw new ConfigError(`${this.scope.node.path}: the approval path is built with the triage front`);
    return this.approvalState;
  }

  /** The Pass state of an execution that found the case handled by another (`$.outcome = ALREADY_HANDLED`) → Done. */
  public get alreadyHandled(): sfn.Pass {
    if (!this.alreadyHandledState) {
      this.alreadyHandledState = this.outcome('AlreadyHandled', 'ALREADY_HANDLED');
      this.alreadyHandledState.next(this.done);
    }
    return this.alreadyHandledState;
  }

  /**
   * The suppressed path (a playbook with the {@link SUPPRESSION_TASKS}): CloseSuppressed (`close-case`, outcome
   * `SUPPRESSED`: the claim, the case and the entry in one write) → Suppressed (`$.outcome = SUPPRESSED`) → Done.
   * Reached when Claim or Contain put a suppression rule's match at `$.case.suppression`.
   */
  public get suppressed(): sfn.TaskStateBase {
    if (!this.suppressedState) {
      this.suppressedState = this.step('CloseSuppressed', playbookPath('closed'), {
        parameters: { state: PlaybookStates.WHOLE_STATE, outcome: 'SUPPRESSED' },
      });
      this.suppressedState.next(this.outcome('Suppressed', 'SUPPRESSED')).next(this.done);
    }
    return this.suppressedState;
  }

  /** The condition of a suppressed case: a suppression rule's match at `$.case.suppression`. */
  public static get isSuppressed(): sfn.Condition {
    return sfn.Condition.isPresent(playbookPath('case', 'suppression'));
  }

  /**
   * Claim → ClaimOutcome (Choice: ALREADY_HANDLED → AlreadyHandled; a suppression rule's match → {@link suppressed}, for a
   * playbook with the {@link SUPPRESSION_TASKS}; otherwise `next`).
   */
  private claimStep(next: sfn.IChainable): sfn.TaskStateBase {
    const claim = this.step('Claim', playbookPath('case'));
    const outcome = new sfn.Choice(this.scope, 'ClaimOutcome').when(
      sfn.Condition.stringEquals(playbookPath('case', 'status'), 'ALREADY_HANDLED'),
      this.alreadyHandled,
    );
    if (this.props.tasks.CloseSuppressed) outcome.when(PlaybookStates.isSuppressed, this.suppressed);
    claim.next(outcome.otherwise(next));
    return claim;
  }

  /**
   * DecideOutcome (Choice on `$.decision.action`): `dryRun` → PlanDryRun → DryRunDone; `notify` → NotifyOnly →
   * CloseNotified → Notified; `contain` → the containment path; `approval` (playbooks with the {@link APPROVAL_TASKS})
   * → the approval path; `shadow` (playbooks with the {@link SHADOW_TASKS}) → the shadow path; anything else →
   * UnknownDecision → RecordFailure.
   */
  private decideOutcome(contain?: sfn.IChainable): sfn.Choice {
    const wholeState = PlaybookStates.WHOLE_STATE;
    const dryRun = this.step('PlanDryRun', playbookPath('plan'));
    dryRun.next(this.outcome('DryRunDone', 'DRY_RUN')).next(this.done);
    const notifyOnly = this.step('NotifyOnly', playbookPath('notification'), { parameters: { state: wholeState, kind: 'notify-only' } });
    this.notifyOnlyState = notifyOnly;
    const approval = contain && this.props.tasks.RequestApproval ? this.approvalPath(contain) : undefined;
    notifyOnly
      .next(this.step('CloseNotified', playbookPath('closed'), { parameters: { state: wholeState, outcome: 'NOTIFIED' } }))
      .next(this.outcome('Notified', 'NOTIFIED'))
      .next(this.done);
    const unknownDecision = new sfn.Pass(this.scope, 'UnknownDecision', {
      result: sfn.Result.fromObject({ Error: 'UnknownDecision', Cause: 'Decide returned an action this playbook does not handle' }),
      resultPath: playbookPath('error'),
    });
    unknownDecision.next(this.recordFailure);
    const decideOutcome = new sfn.Choice(this.scope, 'DecideOutcome')
      .when(sfn.Condition.stringEquals(playbookPath('decision', 'action'), 'dryRun'), dryRun)
      .when(sfn.Condition.stringEquals(playbookPath('decision', 'action'), 'notify'), notifyOnly);
    if (contain) decideOutcome.when(sfn.Condition.stringEquals(playbookPath('decision', 'action'), 'contain'), contain);
    if (approval) decideOutcome.when(sfn.Condition.stringEquals(playbookPath('decision', 'action'), 'approval'), approval);
    if (this.props.tasks.PlanShadow)
      decideOutcome.when(sfn.Condition.stringEquals(playbookPath('decision', 'action'), 'shadow'), this.shadowPath());
    return decideOutcome.otherwise(unknownDecision);
  }

  /**
   * The shadow path (catalog mode `shadow`, issue 14): PlanShadow (`plan-containment`: the plan from read calls in the
   * member account, as PlanDryRun's, on a claimed case) → CloseShadow (`close-case`, outcome `SHADOW`: the plan and the
   * decision on the case's timeline, the claim and the case closed in one write) → Shadow → Done. Nothing is notified.
   */
  private shadowPath(): sfn.IChainable {
    const wholeState = PlaybookStates.WHOLE_STATE;
    const plan = this.step('PlanShadow', playbookPath('plan'));
    plan
      .next(this.step('CloseShadow', playbookPath('closed'), { parameters: { state: wholeState, outcome: 'SHADOW' } }))
      .next(this.outcome('Shadow', 'SHADOW'))
      .next(this.done);
    return plan;
  }

  /**
   * The game-day guard, between Normalize and Claim of a playbook with game-day rules (its tasks name
   * `GameDayGuard`): GameDayCheck (Choice: `$.incident.trigger == gameday` → GameDayGuard, otherwise
   * Claim) → GameDayGuard (`guard-gameday`, result `$.gameDay`) → GameDayOutcome (Choice:
   * `$.gameDay.refused == true` → GameDayRefused, `$.outcome = GAMEDAY_REFUSED` → Done; otherwise
   * Claim). A refused game-day event claims nothing (lib/runtime/playbook/shared/guard-gameday.ts `guardGameDay`).
   */
  private gameDayGuard(next: sfn.IChainable): sfn.IChainable {
    const refused = this.outcome('GameDayRefused', 'GAMEDAY_REFUSED');
    refused.next(this.done);
    const guard = this.step('GameDayGuard', playbookPath('gameDay'));
    guard.next(
      new sfn.Choice(this.scope, 'GameDayOutcome')
        .when(sfn.Condition.booleanEquals(playbookPath('gameDay', 'refused'), true), refused)
        .otherwise(next),
    );
    return new sfn.Choice(this.scope, 'GameDayCheck')
      .when(sfn.Condition.stringEquals(playbookPath('incident', 'trigger'), 'gameday'), guard)
      .otherwise(next);
  }

  /**
   * The approval path (catalog `approval` mode): RequestApproval, a Lambda task with the
   * `.waitForTaskToken` integration ("Wait for a Callback with Task Token", Step Functions Developer
   * Guide) whose result (`$.approval`) is what `firebreak approve` / `deny` send with SendTaskSuccess;
   * its TimeoutSeconds is the deployment's approval timeout, and `States.Timeout` is never retried
   * ({@link APPROVAL_TASK_RETRY}) but caught into ApprovalTimedOut (`$.approval = { decision: timeout }`). RecordApproval records who decided and
   * chooses: ApprovalOutcome → the containment path, or NotifyOnly.
   */
  private approvalPath(contain: sfn.IChainable): sfn.IChainable {
    const timeout = this.props.approvalTimeout ?? DEFAULT_APPROVAL_TIMEOUT;
    const request = new tasks.LambdaInvoke(this.scope, 'RequestApproval', {
      lambdaFunction: this.fn(this.props.tasks.RequestApproval).function,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ state: PlaybookStates.WHOLE_STATE, taskToken: sfn.JsonPath.taskToken }),
      taskTimeout: sfn.Timeout.duration(timeout),
      retryOnServiceExceptions: false,
      resultPath: playbookPath('approval'),
    }).addRetry(APPROVAL_TASK_RETRY);
    this.approvalState = request;
    const timedOut = new sfn.Pass(this.scope, 'ApprovalTimedOut', {
      result: sfn.Result.fromObject(APPROVAL_TIMED_OUT),
      resultPath: playbookPath('approval'),
    });
    const record = this.step('RecordApproval', playbookPath('approvalOutcome'));
    request.addCatch(timedOut, { errors: ['States.Timeout'], resultPath: playbookPath('approvalError') });
    request.addCatch(this.recordFailure, { errors: ['States.ALL'], resultPath: playbookPath('error') });
    timedOut.next(record);
    request.next(record);
    record.next(
      new sfn.Choice(this.scope, 'ApprovalOutcome')
        .when(sfn.Condition.stringEquals(playbookPath('approvalOutcome', 'action'), 'contain'), contain)
        .otherwise(this.notifyOnlyState!),
    );
    return request;
  }

  private fn(step: StepName): ResponderFunction {
    const f = this.props.functions[step];
    if (!f) throw new ConfigError(`${this.scope.node.path}: no function for step ${step}`);
    return f;
  }
}

/** Properties every playbook construct takes. */
export interface PlaybookProps {
  /** The step functions, by step. Every step the playbook invokes must be present. */
  readonly functions: Readonly<Partial<Record<StepName, ResponderFunction>>>;
  /**
   * Name of the state machine.
   * @default `firebreak-<playbook>` (each playbook's `*_STATE_MACHINE_NAME`)
   */
  readonly stateMachineName?: string;
  /**
   * The overall execution timeout.
   * @default the playbook's own (given with its props type)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Properties of a playbook that can contain, and so can wait for an approval. */
export interface ContainmentPlaybookProps extends PlaybookProps {
  /**
   * How long an approval-mode finding waits for `firebreak approve` / `deny`.
   * @default DEFAULT_APPROVAL_TIMEOUT
   */
  readonly approvalTimeout?: Duration;
}

/**
 * The base of the playbook constructs: each builds its states in its own constructor, then calls
 * {@link PlaybookConstruct.buildStateMachine} once, which creates the state machine, its role and its
 * log group (see {@link buildPlaybookStateMachine}).
 */
export abstract class PlaybookConstruct extends Construct {
  private built?: PlaybookStateMachine;

  /** The state machine. */
  public get stateMachine(): sfn.StateMachine {
    return this.result().stateMachine;
  }

  /** The state machine's execution role. */
  public get role(): iam.Role {
    return this.result().role;
  }

  /** The execution log group. */
  public get logGroup(): logs.LogGroup {
    return this.result().logGroup;
  }

  /** The overall execution timeout (the props' or the playbook's default). */
  public get timeout(): Duration {
    return this.result().timeout;
  }

  /**
   * Creates the state machine from the playbook's start state, with the props' overrides of the
   * playbook's defaults.
   * @param defaults - the playbook's name, default state machine name and default timeout.
   */
  protected buildStateMachine(
    states: PlaybookStates,
    definition: sfn.IChainable,
    props: PlaybookProps,
    defaults: { readonly playbook: string; readonly stateMachineName: string; readonly timeout: Duration },
  ): void {
    this.built = buildPlaybookStateMachine(this, {
      playbook: defaults.playbook,
      stateMachineName: props.stateMachineName ?? defaults.stateMachineName,
      definition,
      invoked: states.invoked,
      timeout: props.timeout ?? defaults.timeout,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
  }

  private result(): PlaybookStateMachine {
    if (!this.built) throw new ConfigError(`${this.node.path}: the playbook built no state machine`);
    return this.built;
  }
}

/** Properties of {@link buildPlaybookStateMachine}. */
export interface PlaybookStateMachineProps {
  /** The playbook's name, e.g. `ec2-compromise` (the `firebreak:playbook` tag). */
  readonly playbook: string;
  /** Name of the state machine. */
  readonly stateMachineName: string;
  /** The start state. */
  readonly definition: sfn.IChainable;
  /** The functions the state machine invokes; its role may invoke exactly these. */
  readonly invoked: readonly ResponderFunction[];
  /** The overall execution timeout. */
  readonly timeout: Duration;
  /** Retention of the execution log group. */
  readonly logRetention: logs.RetentionDays;
}

/** What {@link buildPlaybookStateMachine} creates. */
export interface PlaybookStateMachine {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The overall execution timeout. */
  readonly timeout: Duration;
}

/**
 * Creates, in the playbook construct's scope, a Standard, JSONPath state machine with logging at
 * level ALL (to `/aws/vendedlogs/states/<name>`), X-Ray tracing and the given timeout; and its
 * execution role, which may invoke exactly the given functions (by unqualified ARN), deliver logs and
 * write traces. Tags the scope `firebreak:component=playbook`, `firebreak:playbook=<playbook>`.
 * @param scope - the playbook construct.
 * @param props - see {@link PlaybookStateMachineProps}.
 * @returns the state machine, its role and its log group.
 */
export function buildPlaybookStateMachine(scope: Construct, props: PlaybookStateMachineProps): PlaybookStateMachine {
  const { stateMachineName } = props;
  // Execution role: exact function ARNs only (LambdaInvoke's own grant would add `<arn>:*`), and
  // the log delivery and X-Ray actions, which support no resource-level permissions.
  const role = new iam.Role(scope, 'Role', {
    description: `Firebreak playbook ${stateMachineName}`,
    assumedBy: new iam.ServicePrincipal('states.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    }),
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: props.invoked.map((f) => f.functionArn) }),
  );
  new JustifiedPolicy(role, 'Delivery', {
    roles: [role],
    statements: [
      {
        statement: new iam.PolicyStatement({
          actions: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          resources: ['*'],
        }),
        reason:
          'Step Functions execution logging to CloudWatch Logs uses the log delivery actions, which support no resource-level permissions ("Using CloudWatch Logs to log execution history", Step Functions Developer Guide).',
      },
      {
        statement: new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
          resources: ['*'],
        }),
        reason: 'Step Functions X-Ray tracing: these X-Ray actions support no resource-level permissions.',
      },
    ],
  });

  const logGroup = new logs.LogGroup(scope, 'Logs', {
    // The /aws/vendedlogs/ prefix keeps CloudWatch Logs resource policies small.
    logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });

  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineName,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    role: role.withoutPolicyUpdates(),
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    tracingEnabled: true,
    timeout: props.timeout,
  });
  stateMachine.node.addDependency(policiesOf(role));
  // StateMachine adds a DependsOn on the role, which its `RoleArn: GetAtt` already implies (cfn-lint W3005).
  stateMachine.node.defaultChild!.node.removeDependency(stateMachine.role);
  Tags.of(scope).add('firebreak:component', 'playbook');
  Tags.of(scope).add('firebreak:playbook', props.playbook);
  return { stateMachine, role, logGroup, timeout: props.timeout };
}
