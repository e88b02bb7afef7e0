import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import { ApiCallRecord, countByOperation, subscribeApiCalls, withCallContext } from '../../runtime/telemetry';
import { subscribeMetrics } from '../../runtime/metrics';
import { isInvocationCrashed } from '../../runtime/sdk-hooks';
import type { LocalEnvironment } from './seed';
import { TaskTokens } from './task-tokens';
import {
  CfnTemplate,
  LocalPlaybook,
  LocalRule,
  RefResolver,
  synthesizeSecurityTemplate,
  templateFunctions,
  templatePlaybooks,
  templateRules,
} from './template';
import { ExecutionStatusChangeEvent, executionStatusChangeEvent } from './status-events';
import { PROJECT_ROOT } from '../../core/project-root';
import { ConfigError, InvalidInput } from '../../core/errors';
import { encodeEnvironment, LAMBDA_ENV } from '../../core/contracts/environment';

/** The local statuses of an execution that ended without an outcome (the report shows them as FAILED). */
export const ENDED_FAILED: ReadonlySet<string> = new Set(['FAILED', 'CRASHED', 'TIMED_OUT', 'ABORTED']);

/** One state of a local execution, aggregated over its invocations (retries, Wait-loop polls). */
export interface LocalStepRecord {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** Summed over invocations, in milliseconds. */
  readonly durationMs: number;
  readonly invocations: number;
  /** Epoch milliseconds of the first start and the last end. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly apiCalls: Record<string, number>;
  readonly error?: string;
}

/** The end of one local execution. */
export interface LocalExecutionResult {
  readonly playbook: string;
  readonly executionName: string;
  /**
   * As in the JSON report, plus `CRASHED` for a simulated crash, `TIMED_OUT` for an execution that hit its
   * TimeoutSeconds ({@link ExecuteOptions.timeoutSeconds}) and `ABORTED` for one stopped
   * ({@link ExecuteOptions.abortSignal}).
   */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ALREADY_HANDLED' | 'DRY_RUN' | 'CRASHED' | 'TIMED_OUT' | 'ABORTED';
  /** The playbook's own outcome (`$.outcome`): CONTAINED, NOTIFIED, RESOURCE_GONE, ... */
  readonly outcome?: string;
  readonly caseId?: string;
  readonly output?: Record<string, unknown>;
  readonly error?: { name: string; message: string };
  readonly durationMs: number;
  /** Epoch milliseconds when the execution started. */
  readonly startedAt: number;
  readonly steps: LocalStepRecord[];
  /** Every AWS call the playbook's handlers made, in completion order. */
  readonly calls: ApiCallRecord[];
  /**
   * The EMF lines (CloudWatch embedded metric format, lib/runtime/metrics.ts) the execution's handlers emitted, in order:
   * what a Lambda prints on stdout, taken here instead of printed.
   */
  readonly metrics: readonly string[];
  /**
   * For an execution that ended FAILED, TIMED_OUT or ABORTED: what became of the "Step Functions Execution
   * Status Change" event the runner sent (see {@link LocalRunner.deliverStatusChanges}).
   */
  readonly statusChange?: StatusChangeDelivery;
  /**
   * The largest state input or output, or task input or result, the execution had, as the runner measured it
   * while enforcing {@link STATE_PAYLOAD_LIMIT_BYTES}.
   */
  readonly largestPayload?: LargestPayload;
  /**
   * States the execution entered (Task, Choice, Wait, Pass, Parallel, Succeed, Fail; each retry and each pass of a
   * Wait-state poll loop again): the state transitions AWS Step Functions Standard counts and bills
   * ("AWS Step Functions Pricing": "a state transition each time a step of your workflow is executed").
   */
  readonly stateTransitions: number;
  /** Per state: the largest of its input, output, task input and task result, in bytes. */
  readonly payloadBytesByState?: Readonly<Record<string, number>>;
}

/** What became of an execution status change event: the rules it matched and the functions they invoked. */
export interface StatusChangeDelivery {
  readonly event: ExecutionStatusChangeEvent;
  readonly matched: readonly string[];
  /** Logical IDs of the functions invoked, with what each returned. */
  readonly invoked: readonly { readonly logicalId: string; readonly result?: unknown; readonly error?: string }[];
  /** Routing itself failed. */
  readonly error?: string;
}

/** Options of {@link LocalRunner.execute}. */
export interface ExecuteOptions {
  /** @default a new UUID */
  readonly executionName?: string;
  /** Simulates a crash: the execution is aborted right after this state's handler returns. */
  readonly crashAfter?: string;
  /**
   * The execution's TimeoutSeconds, instead of the state machine's (whole seconds, at least 1): when it
   * passes, the execution ends `TIMED_OUT` as in AWS (aws-local-stepfunctions' own execution timeout; the
   * Lambda then running is not stopped, as in AWS).
   */
  readonly timeoutSeconds?: number;
  /**
   * Simulates a step outliving its Lambda timeout: for each state named, that many of its invocations run
   * the handler to its end (its calls happen, as a Lambda's do until it is stopped), then fail with the
   * error type `Sandbox.Timedout` and Lambda's message ("Task timed out after N.00 seconds"), its result
   * lost. E.g. `{ Contain: 1 }`: the first Contain times out, the retry runs normally.
   */
  readonly lambdaTimeouts?: Readonly<Record<string, number>>;
  /** Told of each invocation {@link ExecuteOptions.lambdaTimeouts} failed (a drill counts its faults with it). */
  readonly onLambdaTimeout?: (timeout: { readonly state: string; readonly executionId: string; readonly invocationId: string }) => void;
  /** Aborts the execution (StopExecution): it ends `ABORTED`. */
  readonly abortSignal?: AbortSignal;
  /** Milliseconds each Wait state waits locally. @default 50 */
  readonly waitMs?: number;
  /**
   * Receives the execution's events as they happen (state entered/exited/failed/retried/caught,
   * execution started/succeeded/failed), e.g. to serve `GetExecutionHistory` (lib/harness/local/sfn-service.ts).
   */
  readonly onEvent?: (event: ExecutionEvent) => void;
}

/** One event of a local execution, as aws-local-stepfunctions logs it. */
export type ExecutionEvent = {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly input?: unknown;
  readonly output?: unknown;
};

/** Options of {@link LocalRunner.create}. */
export interface LocalRunnerOptions {
  /** A template to use instead of synthesizing one. */
  readonly template?: CfnTemplate;
  /** Overrides of the Lambdas' environment (after template resolution), e.g. a short claim lease. */
  readonly environment?: Record<string, string>;
  /** Project root (where `lambdas/` is). @default the repository root */
  readonly projectRoot?: string;
  /**
   * How long a `.waitForTaskToken` task (an approval) waits locally before `States.Timeout`, in
   * milliseconds. @default the state's `TimeoutSeconds`
   */
  readonly taskTokenTimeoutMs?: number;
}

/**
 * Step Functions' payload quota: "Maximum input or output size for a task, state, or execution: 262,144
 * bytes of data as a UTF-8 encoded string. This quota affects tasks (activity, Lambda function, or
 * integrated service), state or execution output, and input data when scheduling a task, entering a state,
 * or starting an execution" ("Step Functions service quotas", Step Functions Developer Guide,
 * https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html).
 */
export const STATE_PAYLOAD_LIMIT_BYTES = 262_144;

/** Bytes of a payload as Step Functions counts them: its JSON text, UTF-8 encoded. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/**
 * `States.DataLimitExceeded`, as Step Functions reports a payload over {@link STATE_PAYLOAD_LIMIT_BYTES}: "a
 * terminal error that can't be caught by the States.ALL error type" ("Error handling in Step Functions", Step
 * Functions Developer Guide, https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html),
 * so neither a Retry nor a Catch of the playbook sees it (aws-local-stepfunctions honours `isRetryable` and
 * `isCatchable` on a thrown error) and the execution fails.
 */
class DataLimitExceeded extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(what: string, bytes: number) {
    super(`${what} is ${bytes} bytes, over the ${STATE_PAYLOAD_LIMIT_BYTES}-byte quota of a Step Functions payload`);
    this.name = 'States.DataLimitExceeded';
  }
}

/** The largest payload of an execution, and where. */
export interface LargestPayload {
  readonly bytes: number;
  /** e.g. `output of state Normalize`, `input of task Claim (after Parameters)`. */
  readonly where: string;
}

/** The Lambda service integration that waits for a task token (`arn:aws:states:::lambda:invoke.waitForTaskToken`). */
const WAIT_FOR_TASK_TOKEN = /^arn:[\w-]+:states:::lambda:invoke\.waitForTaskToken$/;

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Runs Firebreak's playbooks locally, faithfully to the deployed shape (DESIGN.md §5):
 * - the state machine definitions come from the synthesized CDK template, intrinsics resolved to
 *   emulator ARNs, executed with aws-local-stepfunctions;
 * - each Lambda task runs the real handler module (`lambdas/<step>/index.ts`, found through the
 *   function's `FIREBREAK_STEP` variable) in process, with the function's environment from the
 *   template, pointed at the emulator;
 * - rules are the template's rules (see {@link EmulatorRouter}).
 */
export class LocalRunner {
  /** Tasks waiting for a token (approvals); `SendTaskSuccess` / `SendTaskFailure` settle them. */
  readonly taskTokens = new TaskTokens();

  private statusChangeSink?: (event: ExecutionStatusChangeEvent) => Promise<Omit<StatusChangeDelivery, 'event'>>;
  /**
   * Every execution that has ended, by execution ARN, as DescribeExecution reports one (input as JSON text, dates
   * in epoch milliseconds): the local Step Functions service answers DescribeExecution from it for an execution
   * it did not start itself (a replay runs the runner directly).
   */
  readonly ended = new Map<string, EndedExecution>();
  /** The definitions validated already (playbook logical ID and TimeoutSeconds override): each is validated once. */
  private readonly validated = new Set<string>();

  private constructor(
    readonly env: LocalEnvironment,
    readonly playbooks: LocalPlaybook[],
    readonly rules: LocalRule[],
    private readonly handlersByArn: Map<string, { step: string; handler: Handler }>,
    private readonly functionArn: (logicalId: string) => string,
    private readonly taskTokenTimeoutMs?: number,
  ) {}

  /**
   * Sends every execution that ends FAILED, TIMED_OUT or ABORTED on as Step Functions does, a "Step Functions
   * Execution Status Change" event on the default bus ({@link executionStatusChangeEvent}); `execute`
   * awaits the delivery before it returns, and puts what became of it on its result. A simulated crash
   * (`crashAfter`) sends nothing: it stands for a re-run, not for an execution's end.
   * @param sink - routes the event (lib/harness/local/session.ts: the template's rules, then the functions they target).
   */
  deliverStatusChanges(sink: (event: ExecutionStatusChangeEvent) => Promise<Omit<StatusChangeDelivery, 'event'>>): void {
    this.statusChangeSink = sink;
  }

  /**
   * Invokes a function of the template by logical ID with an event, as a rule's Lambda target would
   * (outside any execution).
   * @returns what the handler returned.
   * @throws whatever the handler throws; {@link Error} when the template has no such function.
   */
  async invokeFunction(logicalId: string, event: unknown): Promise<unknown> {
    const target = this.handlersByArn.get(this.functionArn(logicalId));
    if (!target) throw new ConfigError(`No function ${logicalId} in the template`);
    return withCallContext({ executionId: `event-${randomUUID()}`, invocationId: randomUUID() }, () =>
      target.handler(event, lambdaContext(target.step, 'event')),
    );
  }

  /**
   * Prepares a runner: synthesizes (or takes) the template, resolves it against the seeded
   * environment, loads the handlers and sets the process environment the handlers read.
   * @throws {Error} when the template references something the local environment lacks, or two
   *   functions disagree on an environment variable.
   */
  static create(env: LocalEnvironment, options: LocalRunnerOptions = {}): LocalRunner {
    const template = options.template ?? synthesizeSecurityTemplate();
    const region = env.region;
    const pseudo = {
      'AWS::AccountId': env.securityAccount,
      'AWS::Region': region,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'FirebreakSecurity',
      'AWS::StackId': `arn:aws:cloudformation:${region}:${env.securityAccount}:stack/FirebreakSecurity/local`,
    };
    const stateMachineNames = new Map(
      Object.entries(template.Resources ?? {})
        .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && typeof r.Properties?.StateMachineName === 'string')
        .map(([id, r]) => [id, r.Properties!.StateMachineName as string]),
    );
    const ref: RefResolver = (id, type, attr) => {
      switch (type) {
        case 'AWS::Lambda::Function':
          return `arn:aws:lambda:${region}:${env.securityAccount}:function:${id}`;
        case 'AWS::DynamoDB::Table':
          return attr ? `arn:aws:dynamodb:${region}:${env.securityAccount}:table/${env.ledgerTable}` : env.ledgerTable;
        case 'AWS::S3::Bucket':
          return attr ? `arn:aws:s3:::${env.evidenceBucket}` : env.evidenceBucket;
        case 'AWS::KMS::Key':
          return env.evidenceKeyArn;
        case 'AWS::SNS::Topic':
          return env.topicArn;
        case 'AWS::Events::EventBus': {
          // Ref is the bus's name, GetAtt Arn its ARN (AWS::Events::EventBus, CloudFormation return values).
          const name = String(template.Resources?.[id]?.Properties?.Name ?? id);
          return attr ? `arn:aws:events:${region}:${env.securityAccount}:event-bus/${name}` : name;
        }
        case 'AWS::StepFunctions::StateMachine':
          return `arn:aws:states:${region}:${env.securityAccount}:stateMachine:${stateMachineNames.get(id) ?? id}`;
        default:
          return `arn:aws:local:${region}:${env.securityAccount}:${type}/${id}`;
      }
    };
    const functions = templateFunctions(template, ref, pseudo);
    const root = options.projectRoot ?? PROJECT_ROOT;
    const environment: Record<string, string> = {};
    for (const fn of functions.values()) {
      for (const [k, v] of Object.entries(fn.environment)) {
        if (k === LAMBDA_ENV.FIREBREAK_STEP) continue;
        if (environment[k] !== undefined && environment[k] !== v)
          throw new ConfigError(`Functions disagree on ${k}: ${environment[k]} vs ${v}`);
        environment[k] = v;
      }
    }
    // The handlers read their environment when they load (logger level, region) and when they run.
    // What the Lambda runtime and the local run add (the schema's names), then the SDK's and Powertools' own variables.
    Object.assign(
      process.env,
      environment,
      loadTimeEnvironment(region),
      // The local world's member account is where its twins live (the template is single-account): the trail baselines read it.
      encodeEnvironment({ FIREBREAK_AWS_ENDPOINT: env.endpoint, FIREBREAK_MEMBER_ACCOUNT_IDS: [env.memberAccount] }),
      {
        AWS_ACCESS_KEY_ID: env.responderCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: env.responderCredentials.secretAccessKey,
      },
      options.environment ?? {},
    );
    const handlersByArn = new Map<string, { step: string; handler: Handler }>();
    for (const [logicalId, fn] of functions)
      handlersByArn.set(ref(logicalId, 'AWS::Lambda::Function'), { step: fn.step, handler: loadHandler(root, fn.step) });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const functionArn = (logicalId: string) => ref(logicalId, 'AWS::Lambda::Function');
    return new LocalRunner(
      env,
      templatePlaybooks(template, ref, pseudo),
      templateRules(template, ref, pseudo),
      handlersByArn,
      functionArn,
      options.taskTokenTimeoutMs,
    );
  }

  /** Finds a playbook by logical ID or by its `ec2-compromise`-style name. */
  playbook(idOrName: string): LocalPlaybook {
    const p = this.playbooks.find((x) => x.logicalId === idOrName || x.name === idOrName || playbookName(x) === idOrName);
    if (!p) throw new InvalidInput(`No playbook ${idOrName} in the template (have: ${this.playbooks.map((x) => x.name).join(', ')})`);
    return p;
  }

  /**
   * Executes a playbook locally to its end.
   * @param playbookId - logical ID or name.
   * @param input - the state machine input (an EventBridge event, or a start envelope).
   * @returns status, outcome, per-step records and every AWS call made. Never throws for a failed
   *   execution: the failure is in the result.
   * @throws {InvalidInput} when no playbook has that ID or name; {ConfigError} when a Task state targets no
   *   Lambda function of the template.
   */
  async execute(playbookId: string, input: unknown, options: ExecuteOptions = {}): Promise<LocalExecutionResult> {
    const playbook = this.playbook(playbookId);
    if (options.crashAfter !== undefined && !stateNamesOf(playbook.definition).has(options.crashAfter))
      throw new Error(`crashAfter names no state of ${playbookName(playbook)}: ${options.crashAfter}`);
    const trace = new ExecutionTrace(options.executionName ?? randomUUID(), options);
    const calls: ApiCallRecord[] = [];
    const unsubscribe = subscribeApiCalls((r) => {
      if (r.context.executionId === trace.executionId) calls.push(r);
    });
    const metrics: string[] = [];
    const unsubscribeMetrics = subscribeMetrics((m) => {
      if (m.context.executionId === trace.executionId) metrics.push(m.line);
    });
    const run = await this.runMachine(playbook, input, trace, unsubscribe).finally(unsubscribeMetrics);
    const { status, error, output } = settleExecution(run, trace);
    const outcome = output?.outcome as string | undefined;
    // The case: the state's (Claim's, or Contain's when it claimed), else the one a claim or the failure recorder opened.
    const caseRef = (output?.case ?? undefined) as { caseId?: string } | undefined;
    const failureCase = (output?.failure as { caseId?: string } | undefined)?.caseId;
    const statusChange = await this.recordEnd(playbook, trace.executionName, input, status, run.started, run.durationMs);
    return {
      playbook: playbookName(playbook),
      executionName: trace.executionName,
      status,
      outcome,
      caseId: caseRef?.caseId ?? trace.claimedCaseId ?? failureCase ?? orphanedCaseOf(statusChange),
      output,
      error,
      durationMs: run.durationMs,
      startedAt: run.started,
      steps: aggregateSteps(trace.invocations, calls),
      calls,
      metrics,
      statusChange,
      largestPayload: trace.largestPayload,
      stateTransitions: trace.stateTransitions,
      payloadBytesByState: trace.payloadBytesByState,
    };
  }

  /**
   * Runs the playbook's state machine (aws-local-stepfunctions) with the runner's task handlers, to its end or abort.
   * @param ended - called as soon as the execution ends, before the event log drains.
   */
  private async runMachine(playbook: LocalPlaybook, input: unknown, trace: ExecutionTrace, ended: () => void): Promise<MachineRun> {
    const { options } = trace;
    const { localHandlers, waits, retries } = this.taskHandlers(playbook, trace);
    const definition =
      options.timeoutSeconds === undefined ? playbook.definition : { ...playbook.definition, TimeoutSeconds: options.timeoutSeconds };
    const machine = this.stateMachine(playbook, definition, options.timeoutSeconds);
    enforcePayloadQuota(machine, trace);
    const started = Date.now();
    const arn = (kind: string, name: string) => `arn:aws:states:${this.env.region}:${this.env.securityAccount}:${kind}:${name}`;
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: localHandlers as never, waitTimeOverrides: waits, retryIntervalOverrides: retries },
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: arn('execution', `${playbook.name}:${trace.executionName}`),
          Name: trace.executionName,
          StartTime: new Date(started).toISOString(),
          Input: input,
        },
        StateMachine: { Id: arn('stateMachine', playbook.name), Name: playbook.name },
        // One token per execution: each playbook has at most one task that waits for a token.
        Task: { Token: trace.taskToken },
      } as never,
    });
    trace.abort = execution.abort;
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      execution.abort();
    };
    if (options.abortSignal?.aborted) onAbort();
    options.abortSignal?.addEventListener('abort', onAbort, { once: true });
    const onEvent = options.onEvent;
    const drained = onEvent
      ? (async () => {
          for await (const e of execution.eventLogs) onEvent(e as ExecutionEvent);
        })()
      : Promise.resolve();
    let output: Record<string, unknown> | undefined;
    let error: { name: string; message: string } | undefined;
    let timedOut = false;
    try {
      output = (await execution.result) as Record<string, unknown> | undefined;
    } catch (err) {
      const e = err as Error & { cause?: { name?: string; message?: string } };
      timedOut = e.name === 'ExecutionTimeoutError';
      error = timedOut
        ? { name: 'States.Timeout', message: `Execution timed out after ${definition.TimeoutSeconds} s` }
        : { name: e.cause?.name ?? e.name, message: e.cause?.message ?? e.message };
    }
    options.abortSignal?.removeEventListener('abort', onAbort);
    const durationMs = Date.now() - started;
    ended();
    // The logger closes on success, failure or abort; never wait long for it.
    await Promise.race([drained, new Promise((r) => setTimeout(r, 1000).unref())]);
    return { output, error, timedOut, aborted, started, durationMs };
  }

  /**
   * A state machine of the definition, validated (aws-local-stepfunctions' asl-validator, ARNs unchecked: the
   * emulator's ARNs are not AWS's) the first time this runner runs that playbook with that timeout, and built
   * without validation afterwards: validating takes 0.1–0.4 s of CPU each time, and the definition of a playbook
   * does not change during a runner's life. Each execution still gets its own StateMachine, since
   * {@link enforcePayloadQuota} hooks one execution's trace into it.
   * @throws {Error} the library's, when the definition is invalid (every time, until it validates).
   */
  private stateMachine(playbook: LocalPlaybook, definition: Record<string, unknown>, timeoutSeconds: number | undefined): StateMachine {
    const key = `${playbook.logicalId}:${timeoutSeconds ?? ''}`;
    if (this.validated.has(key)) return new StateMachine(definition as never, { validationOptions: { noValidate: true } });
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    this.validated.add(key);
    return machine;
  }

  /** The local handler of every Task state (the template's functions, by ARN), each Wait's wait, each Retry's interval. */
  private taskHandlers(playbook: LocalPlaybook, trace: ExecutionTrace) {
    const states = (playbook.definition.States ?? {}) as Record<string, TaskState>;
    const localHandlers: Record<string, (i: unknown) => Promise<never>> = {};
    const waits: Record<string, number> = {};
    const retries: Record<string, number[]> = {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Wait') waits[name] = trace.options.waitMs ?? 50;
      if (state.Type !== 'Task') continue;
      // 10 ms instead of each retrier's interval, but for a wait on another execution's create call, which must last
      // as declared (a negative override keeps the retrier's own interval, backoff and cap).
      retries[name] = (state.Retry ?? []).map((r) => (r.ErrorEquals.some((e) => HONOURED_RETRY_ERRORS.includes(e)) ? -1 : 10));
      const waitsForToken = WAIT_FOR_TASK_TOKEN.test(state.Resource ?? '');
      const target = this.handlersByArn.get(waitsForToken ? (state.Parameters?.FunctionName ?? '') : (state.Resource ?? ''));
      if (!target)
        throw new ConfigError(
          `State ${name} targets ${state.Resource}${waitsForToken ? ` (${state.Parameters?.FunctionName})` : ''}, which is not a Lambda function of the template`,
        );
      localHandlers[name] = (event: unknown) => this.invokeTask(name, state, target, waitsForToken, event, trace);
    }
    return { localHandlers, waits, retries };
  }

  /**
   * One invocation of a Task state's function, as Lambda and the Step Functions integration would run it: the
   * payload quota on its input and result, a `.waitForTaskToken` task waiting for its token, a crashed or
   * timed-out function failing with Lambda's `Sandbox.Timedout`, and the runner's crash-after-state option.
   */
  private async invokeTask(
    name: string,
    state: TaskState,
    target: { step: string; handler: Handler },
    waitsForToken: boolean,
    event: unknown,
    trace: ExecutionTrace,
  ): Promise<never> {
    const { options, executionId, executionName } = trace;
    const invocationId = randomUUID();
    const startedAt = Date.now();
    // "After Parameters processing, input of a state larger than payload size quota" (the Lambda's payload).
    trace.measure(waitsForToken ? (event as { Payload?: unknown }).Payload : event, `input of task ${name} (after Parameters)`, name);
    try {
      const timeoutMs = this.taskTokenTimeoutMs ?? (state.TimeoutSeconds ?? 99_999_999) * 1000;
      const result = waitsForToken
        ? // The integration invokes the function with `Payload` (asynchronously in AWS), then waits
          // for SendTaskSuccess / SendTaskFailure on the token, or TimeoutSeconds.
          await withCallContext({ executionId, invocationId }, async () => {
            const waiting = this.taskTokens.wait(trace.taskToken, timeoutMs);
            waiting.catch(() => undefined);
            await target.handler((event as { Payload?: unknown }).Payload, lambdaContext(target.step, executionName));
            return waiting;
          })
        : await withCallContext({ executionId, invocationId }, () => target.handler(event, lambdaContext(target.step, executionName)));
      // A function that crashed part-way (a game-day `crash` fault) fails as Lambda reports a function it
      // stopped, whatever it returned.
      if (isInvocationCrashed(invocationId)) throw lambdaTimedOut(invocationId, state.TimeoutSeconds);
      if ((trace.timeoutsLeft[name] ?? 0) > 0) {
        trace.timeoutsLeft[name] -= 1;
        options.onLambdaTimeout?.({ state: name, executionId, invocationId });
        throw lambdaTimedOut(invocationId, state.TimeoutSeconds);
      }
      trace.measure(result, `result of task ${name}`, name);
      trace.invocations.push({ name, status: 'SUCCEEDED', startedAt, endedAt: Date.now(), invocationId });
      if (target.step === 'claim-case') trace.claimedCaseId = (result as { caseId?: string }).caseId;
      // Contain claims the case itself when it follows Triage (issue 13): its result is the state, with the case.
      if (target.step === 'contain-instance') trace.claimedCaseId ??= (result as { case?: { caseId?: string } }).case?.caseId;
      // Or the failure recorder found (or opened) it, when Contain failed before returning it.
      if (target.step === 'record-failure') trace.claimedCaseId ??= (result as { caseId?: string }).caseId;
      if (options.crashAfter === name && !trace.crashed) {
        trace.crashed = true;
        trace.abort();
      }
      return result as never;
    } catch (caught) {
      const err = isInvocationCrashed(invocationId) ? lambdaTimedOut(invocationId, state.TimeoutSeconds) : caught;
      const e = err as Error;
      trace.invocations.push({ name, status: 'FAILED', startedAt, endedAt: Date.now(), invocationId, error: `${e.name}: ${e.message}` });
      throw err;
    }
  }

  /**
   * Records an execution's end for DescribeExecution ({@link LocalRunner.ended}) and, for one that ended FAILED,
   * TIMED_OUT or ABORTED, sends the "Step Functions Execution Status Change" event to the sink, as AWS does.
   * @returns what became of that event, when one was sent.
   */
  private async recordEnd(
    playbook: LocalPlaybook,
    executionName: string,
    input: unknown,
    status: LocalExecutionResult['status'],
    started: number,
    durationMs: number,
  ): Promise<StatusChangeDelivery | undefined> {
    const stateMachineArn = `arn:aws:states:${this.env.region}:${this.env.securityAccount}:stateMachine:${playbook.name}`;
    this.ended.set(`${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`, {
      stateMachineArn,
      name: executionName,
      input: JSON.stringify(input ?? {}),
      startDate: started,
      stopDate: started + durationMs,
      status:
        status === 'CRASHED' ? 'FAILED' : status === 'TIMED_OUT' || status === 'ABORTED' || status === 'FAILED' ? status : 'SUCCEEDED',
    });
    if ((status !== 'FAILED' && status !== 'TIMED_OUT' && status !== 'ABORTED') || !this.statusChangeSink) return undefined;
    const event = executionStatusChangeEvent({
      region: this.env.region,
      account: this.env.securityAccount,
      stateMachineName: playbook.name,
      executionName,
      status,
      startDate: started,
      stopDate: started + durationMs,
      input,
    });
    try {
      return { event, ...(await this.statusChangeSink(event)) };
    } catch (err) {
      return { event, matched: [], invoked: [], error: (err as Error).message };
    }
  }
}

/**
 * What the handler modules read when they load (Powertools' logger: its level and the region), as the Lambda runtime
 * and the local run set them: the region, Powertools' level (`FIREBREAK_LOG_LEVEL`, silent by default), and the SDK's
 * maintenance message off.
 */
function loadTimeEnvironment(region: string): Record<string, string> {
  return {
    ...encodeEnvironment({ AWS_REGION: region }),
    POWERTOOLS_LOG_LEVEL: process.env.FIREBREAK_LOG_LEVEL ?? 'SILENT',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  };
}

/**
 * The tree this module runs from: the repository's sources (tsx, jest), or the CLI's compiled copy of them
 * (bin/firebreak.js builds it under `.firebreak/build/`), where the handlers are compiled too.
 */
const RUNNING_TREE = path.resolve(__dirname, '..', '..', '..');

/**
 * The handler of `lambdas/<step>/index` (Node's module cache: loaded once per process): of the tree this module runs
 * from when `root` is the repository (`.ts` through tsx or jest, `.js` in the compiled CLI), of `root` otherwise.
 */
function loadHandler(root: string, step: string): Handler {
  const tree = path.resolve(root) === PROJECT_ROOT ? RUNNING_TREE : root;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(tree, 'lambdas', step, 'index')) as { handler: Handler }).handler;
}

/**
 * Loads the handler module of every Lambda function of a template ahead of {@link LocalRunner.create}, which then finds
 * them in Node's module cache: a session loads them while its emulator boots. Sets first the variables the modules
 * read when they load ({@link loadTimeEnvironment}), as `create` does, so they load as they would there.
 * @param region - the region the runner will be created for (the local environment's).
 */
export function preloadHandlers(template: CfnTemplate, region: string, projectRoot: string = PROJECT_ROOT): void {
  Object.assign(process.env, loadTimeEnvironment(region));
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const step = (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[LAMBDA_ENV.FIREBREAK_STEP];
    if (typeof step === 'string') loadHandler(projectRoot, step);
  }
}

/** A Task (or other) state of a definition, as the runner reads it. */
type TaskState = {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  TimeoutSeconds?: number;
  Retry?: { ErrorEquals: string[] }[];
};

/**
 * The errors whose retrier the local runner honours as declared (every other Retry waits 10 ms locally): waiting out
 * another execution's lease on an evidence create call (`EvidenceCreateInProgress`, ec2-compromise's
 * EVIDENCE_CREATE_RETRY) must last as long as in AWS, or a concurrent run would spend its attempts before the lease
 * holder records.
 */
const HONOURED_RETRY_ERRORS: readonly string[] = ['EvidenceCreateInProgress'];

/** One invocation of a task's function. */
interface InvocationRecord {
  name: string;
  status: 'SUCCEEDED' | 'FAILED';
  startedAt: number;
  endedAt: number;
  invocationId: string;
  error?: string;
}

/** How the state machine's run ended, before the runner judges the execution's status. */
interface MachineRun {
  readonly output?: Record<string, unknown>;
  readonly error?: { name: string; message: string };
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** Epoch milliseconds. */
  readonly started: number;
  readonly durationMs: number;
}

/** What {@link LocalRunner.execute} tracks while one execution runs: its invocations, payload sizes, crash and claim. */
class ExecutionTrace {
  readonly executionId = randomUUID();
  readonly taskToken = TaskTokens.newToken();
  readonly invocations: InvocationRecord[] = [];
  readonly payloadBytesByState: Record<string, number> = {};
  /** Lambda timeouts still to simulate, per state ({@link ExecuteOptions.lambdaTimeouts}). */
  readonly timeoutsLeft: Record<string, number>;
  largestPayload?: LargestPayload;
  /** States entered so far ({@link LocalExecutionResult.stateTransitions}). */
  stateTransitions = 0;
  crashed = false;
  claimedCaseId?: string;
  /** Aborts the running execution (set once it starts). */
  abort: () => void = () => undefined;

  constructor(
    readonly executionName: string,
    readonly options: ExecuteOptions,
  ) {
    this.timeoutsLeft = { ...(options.lambdaTimeouts ?? {}) };
  }

  /** Enforces Step Functions' payload quota on a state's or task's input or output. @throws {DataLimitExceeded} */
  readonly measure = (value: unknown, where: string, stateName: string): void => {
    const bytes = payloadBytes(value);
    if (!this.largestPayload || bytes > this.largestPayload.bytes) this.largestPayload = { bytes, where };
    this.payloadBytesByState[stateName] = Math.max(this.payloadBytesByState[stateName] ?? 0, bytes);
    if (bytes > STATE_PAYLOAD_LIMIT_BYTES) throw new DataLimitExceeded(`The ${where}`, bytes);
  };
}

/**
 * The execution's status and error from how its run ended: CRASHED (the crash-after-state option), TIMED_OUT,
 * ABORTED, FAILED, or the playbook's own ALREADY_HANDLED / DRY_RUN / SUCCEEDED; a failure caught inside the
 * machine (or a RESOURCE_GONE end) names the task that failed.
 */
function settleExecution(
  run: MachineRun,
  trace: ExecutionTrace,
): { status: LocalExecutionResult['status']; error?: { name: string; message: string }; output?: Record<string, unknown> } {
  const { timedOut, aborted, output } = run;
  let error = aborted && !trace.crashed ? { name: 'ExecutionAborted', message: 'Execution stopped (StopExecution)' } : run.error;
  const finalOutput = aborted && !trace.crashed ? undefined : output;
  const executionFailed = error !== undefined;
  const caught = [...trace.invocations].reverse().find((i) => i.status === 'FAILED');
  if (
    caught &&
    !timedOut &&
    !aborted &&
    error?.name !== 'States.DataLimitExceeded' &&
    (error || finalOutput?.outcome === 'RESOURCE_GONE')
  ) {
    error = { name: error?.name ?? 'ResourceGone', message: `${caught.name} failed: ${caught.error}` };
  }
  const outcome = finalOutput?.outcome as string | undefined;
  const status: LocalExecutionResult['status'] = trace.crashed
    ? 'CRASHED'
    : timedOut
      ? 'TIMED_OUT'
      : aborted
        ? 'ABORTED'
        : executionFailed
          ? 'FAILED'
          : outcome === 'ALREADY_HANDLED'
            ? 'ALREADY_HANDLED'
            : outcome === 'DRY_RUN'
              ? 'DRY_RUN'
              : 'SUCCEEDED';
  return { status, error, output: finalOutput };
}

/** An execution the runner ran to its end, as DescribeExecution describes it (see {@link LocalRunner.ended}). */
export interface EndedExecution {
  readonly stateMachineArn: string;
  readonly name: string;
  /** The input as JSON text. */
  readonly input: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** Epoch milliseconds. */
  readonly startDate: number;
  /** Epoch milliseconds. */
  readonly stopDate: number;
}

/** The part of aws-local-stepfunctions' event logger the runner hooks (the library's `EventLogger`). */
interface StateEventLogger {
  dispatchStateEnteredEvent(stateName: string, stateType: string, input: unknown): void;
  dispatchStateExitedEvent(stateName: string, stateType: string, input: unknown, output: unknown): void;
}

/**
 * Makes a local state machine count the states it enters (`trace.stateTransitions`) and enforce Step Functions'
 * payload quota on every state's input (on entering it) and output (on leaving it), as AWS does: aws-local-stepfunctions (3.0.0, pinned) enforces none. Its
 * `execute(input, options, cleanup)` reports each transition, synchronously and inside its run loop, to
 * `options.eventLogger`; a check that throws there fails the execution with `States.DataLimitExceeded`
 * before the next state starts. Task inputs after Parameters and task results are checked in the task
 * handlers ({@link LocalRunner.execute}).
 */
function enforcePayloadQuota(machine: StateMachine, trace: Pick<ExecutionTrace, 'measure' | 'stateTransitions'>): void {
  const measure = trace.measure;
  type Execute = (input: unknown, options: { eventLogger: StateEventLogger }, cleanup: () => void) => Promise<unknown>;
  const target = machine as unknown as { execute: Execute };
  const execute = target.execute.bind(machine);
  target.execute = (input, options, cleanup) => {
    const logger = options.eventLogger;
    const entered = logger.dispatchStateEnteredEvent.bind(logger);
    const exited = logger.dispatchStateExitedEvent.bind(logger);
    logger.dispatchStateEnteredEvent = (stateName, stateType, stateInput) => {
      trace.stateTransitions += 1;
      measure(stateInput, `input of state ${stateName}`, stateName);
      entered(stateName, stateType, stateInput);
    };
    logger.dispatchStateExitedEvent = (stateName, stateType, stateInput, output) => {
      measure(output, `output of state ${stateName}`, stateName);
      exited(stateName, stateType, stateInput, output);
    };
    return execute(input, options, cleanup);
  };
}

/** The playbook's public name (`ec2-compromise`) from its state machine name or logical ID. */
export function playbookName(p: LocalPlaybook): string {
  return p.name.replace(/^firebreak-/, '');
}

/** Each state's invocations (retries, Wait-loop polls) aggregated into one record, with the AWS calls each made. */
function aggregateSteps(invocations: InvocationRecord[], calls: ApiCallRecord[]): LocalStepRecord[] {
  const byName = new Map<string, LocalStepRecord>();
  for (const inv of invocations.sort((a, b) => a.startedAt - b.startedAt)) {
    const mine = calls.filter((c) => c.context.invocationId === inv.invocationId);
    const prev = byName.get(inv.name);
    const apiCalls = countByOperation(mine);
    if (!prev) {
      byName.set(inv.name, {
        name: inv.name,
        status: inv.status,
        durationMs: inv.endedAt - inv.startedAt,
        invocations: 1,
        startedAt: inv.startedAt,
        endedAt: inv.endedAt,
        apiCalls,
        error: inv.error,
      });
    } else {
      const merged: Record<string, number> = { ...prev.apiCalls };
      for (const [k, v] of Object.entries(apiCalls)) merged[k] = (merged[k] ?? 0) + v;
      byName.set(inv.name, {
        name: inv.name,
        status: inv.status,
        durationMs: prev.durationMs + (inv.endedAt - inv.startedAt),
        invocations: prev.invocations + 1,
        startedAt: prev.startedAt,
        endedAt: inv.endedAt,
        apiCalls: merged,
        error: inv.error ?? prev.error,
      });
    }
  }
  return [...byName.values()];
}

/**
 * The error a Lambda Task reports when its function outlived its timeout: error type `Sandbox.Timedout`,
 * Lambda's message (see LAMBDA_TIMEOUT_ERRORS in lib/infra/playbook-states.ts).
 */
function lambdaTimedOut(requestId: string, taskTimeoutSeconds?: number): Error {
  // The Task waits 30 s longer than its function (TASK_TIMEOUT_MARGIN): the function's own timeout.
  const seconds = Math.max(1, (taskTimeoutSeconds ?? 90) - 30);
  const err = new Error(`RequestId: ${requestId} Error: Task timed out after ${seconds.toFixed(2)} seconds`);
  err.name = 'Sandbox.Timedout';
  return err;
}

function lambdaContext(step: string, executionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `firebreak-${step}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:firebreak-${step}`,
    memoryLimitInMB: '256',
    awsRequestId: `${executionName}-${randomUUID()}`,
    logGroupName: `/aws/lambda/firebreak-${step}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The case the status-change step closed (an execution that timed out or was stopped before a step returned its case). */
function orphanedCaseOf(delivery: StatusChangeDelivery | undefined): string | undefined {
  return delivery?.invoked.map((i) => (i.result as { caseId?: string } | undefined)?.caseId).find((id): id is string => !!id);
}

/**
 * Every state name of a definition, nested ones (Parallel branches, Map processors) included: a `crashAfter` that
 * names none would never crash, and a test built on it would pass for the wrong reason.
 */
function stateNamesOf(definition: { States?: Record<string, unknown> }): Set<string> {
  const names = new Set<string>();
  const visit = (states: Record<string, unknown> | undefined) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      names.add(name);
      const s = state as {
        Branches?: { States?: Record<string, unknown> }[];
        Iterator?: { States?: Record<string, unknown> };
        ItemProcessor?: { States?: Record<string, unknown> };
      };
      for (const b of s.Branches ?? []) visit(b.States);
      visit(s.Iterator?.States);
      visit(s.ItemProcessor?.States);
    }
  };
  visit(definition.States);
  return names;
}
