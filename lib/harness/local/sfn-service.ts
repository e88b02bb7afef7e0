import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { harnessClients } from './harness-clients';
import type { RouteOptions } from './router';
import { STATE_PAYLOAD_LIMIT_BYTES } from './runner';
import type { ExecutionEvent, LocalExecutionResult, LocalRunner } from './runner';
import { TaskTokenError } from './task-tokens';
import { LOCAL_STACK_PATH, LocalStackDescriptor } from '../../operator/local-stack';

/**
 * A local stand-in for the Step Functions API, so that everything that would talk to Step Functions
 * in AWS (the CLI's `run`/`status`, a playbook chaining into another) does so locally through the
 * real `@aws-sdk/client-sfn`, with only an endpoint override.
 *
 * It speaks the service's JSON protocol (`awsJson1_0`, `X-Amz-Target: AWSStepFunctions.<Operation>`)
 * for the operations Firebreak uses, and runs each execution with the {@link LocalRunner} (the
 * synthesized state machine, the real handlers, against the emulator). moto's own Step Functions
 * cannot run Lambda tasks without Docker, which this machine lacks.
 *
 * Semantics follow the Step Functions API Reference:
 * - `StartExecution` is idempotent for a running execution of the same name and input, and throws
 *   `ExecutionAlreadyExists` for a name in use with another input or by an ended execution;
 * - `DescribeExecution` / `GetExecutionHistory` / `ListExecutions` / `StopExecution` (which stops the
 *   runner's execution: it ends ABORTED); an execution that hits its TimeoutSeconds ends TIMED_OUT;
 * - `SendTaskSuccess` / `SendTaskFailure` / `SendTaskHeartbeat` for tasks that wait for a token
 *   (approvals), with `TaskDoesNotExist` / `TaskTimedOut` for unknown or ended tokens;
 * - errors are `{ "__type": "<ErrorName>", "message": ... }` with HTTP 400.
 *
 * Executions live as long as the service's process.
 */
export class LocalStepFunctions {
  private readonly executions = new Map<string, LocalExecution>();

  private constructor(
    private readonly runner: LocalRunner,
    private readonly server: http.Server,
    /** The service's URL, e.g. `http://127.0.0.1:54321`. */
    readonly endpoint: string,
    private readonly options: { -readonly [K in keyof LocalStepFunctionsOptions]: LocalStepFunctionsOptions[K] },
  ) {}

  /**
   * Starts the service on 127.0.0.1.
   * @param runner - runs the executions.
   * @param options - see {@link LocalStepFunctionsOptions}.
   * @returns the listening service.
   */
  static async start(runner: LocalRunner, options: LocalStepFunctionsOptions = {}): Promise<LocalStepFunctions> {
    const ready: { service?: LocalStepFunctions } = {};
    const server = http.createServer((req, res) => void ready.service!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    ready.service = new LocalStepFunctions(runner, server, `http://127.0.0.1:${port}`, { ...options });
    return ready.service;
  }

  /** Adds the resources of a demo world to the local stack's descriptor. */
  describeWorld(world: Record<string, unknown>): void {
    if (this.options.descriptor) this.options.descriptor = { ...this.options.descriptor, world };
  }

  /** Every execution started so far, oldest first. */
  list(): readonly LocalExecution[] {
    return [...this.executions.values()];
  }

  /** Waits until no execution is running (including executions started while waiting). */
  async settle(): Promise<void> {
    for (;;) {
      const running = this.list().filter((x) => x.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((x) => x.done));
    }
  }

  /** Waits for running executions, then stops listening. */
  async close(): Promise<void> {
    await this.settle();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.url === LOCAL_STACK_PATH && req.method === 'GET') {
      res.writeHead(this.options.descriptor ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.options.descriptor ?? { message: 'no descriptor' }));
      return;
    }
    if (target === 'AWSEvents.PutEvents' && this.options.router) {
      await this.putEvents(req, res, this.options.router);
      return;
    }
    if (!target.startsWith('AWSStepFunctions.') && this.options.proxyTo) {
      this.proxy(req, res, this.options.proxyTo);
      return;
    }
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    };
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const op = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      reply(200, this.operate(op, body));
    } catch (err) {
      const e = err as ServiceError;
      reply(e.status ?? 400, { __type: e.type ?? 'InternalFailure', message: e.message });
    }
  }

  /**
   * EventBridge PutEvents, as the deployed stack would see it: each entry becomes the event EventBridge
   * delivers (id, account — the caller's —, time, region added), sent by the caller's account, is matched against the synthesized rules on the
   * emulator's own matcher (lib/harness/local/router.ts), and every matched playbook is started, as a rule's
   * Step Functions target would.
   */
  private async putEvents(req: http.IncomingMessage, res: http.ServerResponse, router: EventRouter): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    };
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        Entries?: { Source?: string; DetailType?: string; Detail?: string; Resources?: string[]; EventBusName?: string; Time?: number }[];
      };
      // The caller's account, as EventBridge puts it in `account`: the local harness names it with moto's
      // `x-moto-account-id` header; otherwise the caller is the local stack's security account (the operator).
      const named = req.headers['x-moto-account-id'];
      const env = this.runner.env;
      const sender =
        typeof named === 'string' && /^\d{12}$/.test(named) && named !== env.securityAccount
          ? harnessClients(env.endpoint, named)
          : env.security;
      const entries = [];
      for (const e of body.Entries ?? []) {
        const event = {
          version: '0',
          id: randomUUID(),
          'detail-type': e.DetailType ?? '',
          source: e.Source ?? '',
          account: sender.accountId,
          time: new Date(e.Time ? e.Time * 1000 : Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: this.runner.env.region,
          resources: e.Resources ?? [],
          detail: JSON.parse(e.Detail ?? '{}') as unknown,
        };
        const bus = (e.EventBusName ?? 'default').split('/').pop()!;
        const routed = await router.route(event, bus, { sender });
        for (const logicalId of routed.stateMachines) {
          const name = this.runner.playbook(logicalId).name;
          this.startExecution({ stateMachineArn: this.stateMachineArn(name), input: JSON.stringify(event) });
        }
        entries.push({ EventId: event.id });
      }
      reply(200, { FailedEntryCount: 0, Entries: entries });
    } catch (err) {
      reply(400, { __type: 'ValidationException', message: (err as Error).message });
    }
  }

  /** Passes a request that is not for Step Functions to the emulator, unchanged. */
  private proxy(req: http.IncomingMessage, res: http.ServerResponse, to: string): void {
    const upstream = new URL(to);
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`emulator unreachable: ${err.message}`);
    });
    req.pipe(out);
  }

  private operate(op: string, body: Record<string, unknown>): unknown {
    switch (op) {
      case 'StartExecution':
        return this.startExecution(body);
      case 'DescribeExecution':
        return this.describeExecution(body.executionArn);
      case 'GetExecutionHistory':
        return this.history(body);
      case 'ListExecutions':
        return this.listExecutions(body);
      case 'StopExecution':
        return this.stopExecution(body);
      case 'SendTaskSuccess':
        return this.sendTask(body, (t) => {
          let output: unknown;
          try {
            output = JSON.parse(String(body.output ?? ''));
          } catch {
            throw fail('InvalidOutput', 'Invalid Output: not JSON');
          }
          this.runner.taskTokens.succeed(t, output);
        });
      case 'SendTaskFailure':
        return this.sendTask(body, (t) =>
          this.runner.taskTokens.fail(t, String(body.error ?? ''), typeof body.cause === 'string' ? body.cause : undefined),
        );
      case 'SendTaskHeartbeat':
        return this.sendTask(body, (t) => {
          if (!this.runner.taskTokens.isWaiting(t)) throw fail('TaskTimedOut', `Task Timed Out: '${t}'`);
        });
      case 'ListStateMachines':
        return {
          stateMachines: this.runner.playbooks.map((p) => ({
            stateMachineArn: this.stateMachineArn(p.name),
            name: p.name,
            type: 'STANDARD',
            creationDate: 0,
          })),
        };
      default:
        throw fail('UnknownOperationException', `The local Step Functions service does not implement ${op || '(no X-Amz-Target)'}`);
    }
  }

  private sendTask(body: Record<string, unknown>, send: (token: string) => void): unknown {
    const token = typeof body.taskToken === 'string' ? body.taskToken : '';
    if (!token) throw fail('InvalidToken', 'Invalid Token: taskToken is required');
    try {
      send(token);
    } catch (err) {
      if (err instanceof TaskTokenError) throw fail(err.type, err.message);
      throw err;
    }
    return {};
  }

  private stateMachineArn(name: string): string {
    return `arn:aws:states:${this.runner.env.region}:${this.runner.env.securityAccount}:stateMachine:${name}`;
  }

  private startExecution(body: Record<string, unknown>): unknown {
    const stateMachineArn = String(body.stateMachineArn ?? '');
    const machineName = stateMachineArn.split(':stateMachine:')[1];
    const playbook = this.runner.playbooks.find((p) => p.name === machineName);
    if (!playbook) throw fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const name = typeof body.name === 'string' ? body.name : randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw fail('InvalidName', `Invalid Name: '${name}'`);
    const input = typeof body.input === 'string' ? body.input : '{}';
    // StartExecution `input`: "Length constraints apply to the payload size, and are expressed as bytes in UTF-8
    // encoding", at most 262,144 ("StartExecution", Step Functions API Reference); a request over it is refused.
    const inputBytes = Buffer.byteLength(input, 'utf8');
    if (inputBytes > STATE_PAYLOAD_LIMIT_BYTES) {
      throw fail(
        'ValidationException',
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${STATE_PAYLOAD_LIMIT_BYTES} (it is ${inputBytes} bytes)`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw fail('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn: arn, startDate: existing.startDate / 1000 };
      throw fail('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const stop = new AbortController();
    const x: LocalExecution = {
      executionArn: arn,
      stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate: Date.now(),
      history: [],
      done: Promise.resolve(undefined as never),
      stop,
    };
    const push = (type: string, details: Record<string, unknown> = {}, at = Date.now()) => {
      const id = x.history.length + 1;
      x.history.push({ timestamp: at / 1000, type, id, previousEventId: id - 1, ...details });
    };
    push(
      'ExecutionStarted',
      { executionStartedEventDetails: { input, roleArn: `arn:aws:iam::${this.runner.env.securityAccount}:role/local` } },
      x.startDate,
    );
    x.done = this.runner
      .execute(playbook.name, parsed, { executionName: name, onEvent: (e) => recordEvent(push, e), abortSignal: stop.signal })
      .then(
        (result) => endExecution(x, push, result),
        (err: Error) => crashExecution(x, push, err),
      );
    this.executions.set(arn, x);
    return { executionArn: arn, startDate: x.startDate / 1000 };
  }

  /** DescribeExecution: an execution this service started, else one the runner ran directly (a replay). */
  private describeExecution(arn: unknown): unknown {
    const ended = typeof arn === 'string' && !this.executions.has(arn) ? this.runner.ended.get(arn) : undefined;
    if (ended) {
      return {
        executionArn: arn,
        stateMachineArn: ended.stateMachineArn,
        name: ended.name,
        status: ended.status,
        startDate: ended.startDate / 1000,
        stopDate: ended.stopDate / 1000,
        input: ended.input,
      };
    }
    return describe(this.execution(arn));
  }

  private execution(arn: unknown): LocalExecution {
    const x = typeof arn === 'string' ? this.executions.get(arn) : undefined;
    if (!x) throw fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return x;
  }

  private history(body: Record<string, unknown>): unknown {
    const x = this.execution(body.executionArn);
    const events = body.reverseOrder === true ? [...x.history].reverse() : x.history;
    const start = typeof body.nextToken === 'string' ? Number(body.nextToken) : 0;
    const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : 1000;
    const page = events.slice(start, start + max);
    return { events: page, nextToken: start + max < events.length ? String(start + max) : undefined };
  }

  private listExecutions(body: Record<string, unknown>): unknown {
    const filter = typeof body.statusFilter === 'string' ? body.statusFilter : undefined;
    const executions = this.list()
      .filter((x) => (body.stateMachineArn === undefined || x.stateMachineArn === body.stateMachineArn) && (!filter || x.status === filter))
      .reverse()
      .map((x) => ({
        executionArn: x.executionArn,
        stateMachineArn: x.stateMachineArn,
        name: x.name,
        status: x.status,
        startDate: x.startDate / 1000,
        stopDate: x.stopDate === undefined ? undefined : x.stopDate / 1000,
      }));
    return { executions };
  }

  private stopExecution(body: Record<string, unknown>): unknown {
    const x = this.execution(body.executionArn);
    if (x.status === 'RUNNING') {
      x.status = 'ABORTED';
      x.stopDate = Date.now();
      x.history.push({
        timestamp: x.stopDate / 1000,
        type: 'ExecutionAborted',
        id: x.history.length + 1,
        previousEventId: x.history.length,
        executionAbortedEventDetails: { error: body.error, cause: body.cause },
      });
      // The runner stops the execution; its end (ABORTED) goes to the rules like every end.
      x.stop.abort();
    }
    return { stopDate: (x.stopDate ?? Date.now()) / 1000 };
  }
}

/** Options of {@link LocalStepFunctions.start}. */
export interface LocalStepFunctionsOptions {
  /** @default a free port */
  readonly port?: number;
  /**
   * The emulator's URL. Requests that are not for Step Functions are passed to it, so the service is
   * the one endpoint of a local stack (what `--endpoint` names). @default none: only Step Functions
   */
  readonly proxyTo?: string;
  /** Served at {@link LOCAL_STACK_PATH}. */
  readonly descriptor?: LocalStackDescriptor;
  /**
   * Routes `PutEvents` through the synthesized rules and starts the matched playbooks, as EventBridge
   * would in the deployed stack. @default none: PutEvents goes to the emulator only
   */
  readonly router?: EventRouter;
}

/** What routes an event to the playbooks (lib/harness/local/router.ts EmulatorRouter). */
export interface EventRouter {
  route(
    event: { source: string; 'detail-type': string; detail: unknown; resources?: string[]; time?: string },
    busName: string,
    options?: RouteOptions,
  ): Promise<{ stateMachines: string[] }>;
}

/** One execution of the local service. */
export interface LocalExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** The input, as the JSON text it was given. */
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** Epoch milliseconds. */
  readonly startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** Step Functions history events (timestamps in epoch seconds, as the JSON protocol carries them). */
  readonly history: Record<string, unknown>[];
  /** Settles when the execution ends, with the runner's result. */
  done: Promise<LocalExecutionResult>;
  /** Stops the runner's execution (StopExecution). */
  readonly stop: AbortController;
  result?: LocalExecutionResult;
}

interface ServiceError extends Error {
  type?: string;
  status?: number;
}

function fail(type: string, message: string): ServiceError {
  return Object.assign(new Error(message), { type, status: 400 });
}

function describe(x: LocalExecution): unknown {
  return {
    executionArn: x.executionArn,
    stateMachineArn: x.stateMachineArn,
    name: x.name,
    status: x.status,
    startDate: x.startDate / 1000,
    stopDate: x.stopDate === undefined ? undefined : x.stopDate / 1000,
    input: x.input,
    output: x.output,
    error: x.error,
    cause: x.cause,
  };
}

const STATE_TYPES: Record<string, string> = {
  Task: 'Task',
  Choice: 'Choice',
  Pass: 'Pass',
  Wait: 'Wait',
  Succeed: 'Succeed',
  Fail: 'Fail',
  Map: 'Map',
  Parallel: 'Parallel',
};

/** Maps an aws-local-stepfunctions event to the Step Functions history event(s) it stands for. */
function recordEvent(push: (type: string, details?: Record<string, unknown>, at?: number) => void, e: ExecutionEvent): void {
  const kind = e.state ? (STATE_TYPES[e.state.type] ?? e.state.type) : undefined;
  const json = (v: unknown) => (v === undefined ? undefined : JSON.stringify(v));
  switch (e.type) {
    case 'StateEntered':
      push(`${kind}StateEntered`, { stateEnteredEventDetails: { name: e.state!.name, input: json(e.state!.input) } }, e.timestamp);
      break;
    case 'StateExited':
      push(`${kind}StateExited`, { stateExitedEventDetails: { name: e.state!.name, output: json(e.state!.output) } }, e.timestamp);
      break;
    case 'StateFailed':
      // As Lambda reports a function error to Step Functions: `{ errorType, errorMessage }` as the cause.
      // (aws-local-stepfunctions gives the error's own `cause` when it has one: an SDK error behind ours.)
      push(
        kind === 'Task' ? 'TaskFailed' : `${kind}StateFailed`,
        {
          taskFailedEventDetails: {
            resourceType: 'lambda',
            resource: e.state!.name,
            error: e.Error,
            cause: JSON.stringify({
              errorType: e.Error,
              errorMessage:
                typeof e.Cause === 'string' ? e.Cause : ((e.Cause as { message?: string } | undefined)?.message ?? json(e.Cause)),
            }),
          },
        },
        e.timestamp,
      );
      break;
    case 'StateRetried':
    case 'StateCaught':
      // Not Step Functions history types; the failure before them is already recorded.
      break;
    default:
      // Execution-level events are recorded by the service itself, from the runner's result.
      break;
  }
}

type PushEvent = (type: string, details?: Record<string, unknown>, at?: number) => void;

/**
 * Ends a local execution as Step Functions would from the runner's result: TIMED_OUT (`States.Timeout`), FAILED
 * (a FAILED or CRASHED run, with the error's name and message), else SUCCEEDED with the output; an execution
 * StopExecution aborted stays ABORTED. Appends the matching history event.
 */
function endExecution(x: LocalExecution, push: PushEvent, result: LocalExecutionResult): LocalExecutionResult {
  x.result = result;
  if (x.status === 'ABORTED') return result;
  x.stopDate = Date.now();
  if (result.status === 'TIMED_OUT') {
    x.status = 'TIMED_OUT';
    x.error = 'States.Timeout';
    x.cause = result.error?.message;
    push('ExecutionTimedOut', { executionTimedOutEventDetails: { error: x.error, cause: x.cause } });
    return result;
  }
  // The runner puts the caught error on a RESOURCE_GONE result too; that execution succeeded.
  if (result.status === 'FAILED' || result.status === 'CRASHED') {
    x.status = 'FAILED';
    x.error = result.error?.name ?? 'States.TaskFailed';
    x.cause = result.error?.message;
    push('ExecutionFailed', { executionFailedEventDetails: { error: x.error, cause: x.cause } });
  } else {
    x.status = 'SUCCEEDED';
    x.output = JSON.stringify(result.output ?? {});
    push('ExecutionSucceeded', { executionSucceededEventDetails: { output: x.output } });
  }
  return result;
}

/** Ends a local execution FAILED when the runner itself threw (the error's name and message). */
function crashExecution(x: LocalExecution, push: PushEvent, err: Error): never {
  x.status = 'FAILED';
  x.stopDate = Date.now();
  x.error = err.name;
  x.cause = err.message;
  push('ExecutionFailed', { executionFailedEventDetails: { error: x.error, cause: x.cause } });
  return undefined as never;
}
