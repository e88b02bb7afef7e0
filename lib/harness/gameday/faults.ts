import { createHash } from 'node:crypto';
import * as z from 'zod';
import {
  isInvocationCrashed,
  markInvocationCrashed,
  registerSdkInterceptor,
  InterceptedCall,
  SdkInterceptor,
} from '../../runtime/sdk-hooks';
import { currentCallContext } from '../../runtime/telemetry';
import type { ExecuteOptions, LocalExecutionResult } from '../local/runner';

/**
 * Faults a game-day drill injects for the unexpected (issue 5): throttling and 5xx errors on named
 * operations at a given rate, an IAM denial on a call, a resource deleted half way.
 *
 * Where they are injected: at the SDK boundary, through {@link registerSdkInterceptor}. The client
 * factory (lib/runtime/clients.ts) runs the interceptors in its `initialize` middleware, which wraps
 * the SDK's own retry middleware: an injected throttle is NOT retried by the SDK, it reaches the
 * step at once, as a throttle does once the SDK's attempts (5, adaptive) are spent. The step's
 * error mapping turns it into `Throttled` / `TransientAwsError` / `AccessDenied`, and what
 * happens next is the state machine's: `Retry` (LAMBDA_TASK_RETRY: Throttled and TransientAwsError,
 * 4 retries) or `Catch` → RecordFailure. So a drill that says "recovers" exercises the playbook's own
 * retry, not the SDK's. Only the Lambdas' clients are instrumented: the harness that builds the twin
 * world and reads the emulator back is never faulted.
 *
 * The exception is `transient` ("every operation at rate r"): it is injected BENEATH the SDK's retry
 * middleware, per HTTP attempt (the interceptors' `attempt` hook, run by the client factory's
 * `deserialize`-step middleware), the way AWS's own transient failures arrive: each attempt of each call
 * fails with probability `rate`, unsent, with an error AWS answers (throttling, 5xx, RequestTimeout), and
 * the SDK's retry strategy (adaptive, 5 attempts, its own classifiers, retry quota and rate limiter)
 * retries it; only a call whose every attempt failed reaches the step, mapped as any SDK error. STS
 * AssumeRole (the credential provider's own client) is not instrumented, so never faulted.
 */

/** The services of the client factory, as they prefix an operation (`EC2.CopySnapshot`). */
export const FAULT_SERVICES = [
  'EC2',
  'AutoScaling',
  'ElasticLoadBalancingV2',
  'IAM',
  'CloudTrail',
  'S3',
  'Lambda',
  'RDS',
  'ECS',
  'DynamoDB',
  'SNS',
  'SFN',
] as const;

const OperationSchema = z
  .string()
  .regex(
    new RegExp(`^(${FAULT_SERVICES.join('|')})\\.[A-Z][A-Za-z0-9]+$`),
    `must be Service.Operation as the report counts it, e.g. EC2.ModifyNetworkInterfaceAttribute (services: ${FAULT_SERVICES.join(', ')})`,
  );
const RateSchema = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const TimesSchema = z.number().int('must be a whole number').positive('must be at least 1');
/** How many matching calls go through untouched before the fault starts (e.g. 1: the first move of an ENI succeeds, the second fails). */
const SkipSchema = z.number().int('must be a whole number').min(0, 'must be at least 0').optional();

/**
 * The resources a `delete-resource` fault can delete: the twin instance (`instance`), the finding's
 * access key of the twin IAM user (`access-key`: an attacker who made another key and deleted the
 * leaked one), the twin IAM user itself (`iam-user`), or the twin of an RDS finding's DB instance (`db-instance`).
 */
export const DELETABLE_RESOURCES = ['instance', 'access-key', 'iam-user', 'db-instance'] as const;

/**
 * The operations a `not-found` fault can fail, with the error code AWS answers for a resource it does not
 * know ("Error codes for the Amazon EC2 API", Amazon EC2 API Reference; IAM's `NoSuchEntity`).
 */
export const NOT_FOUND_CODES = {
  'EC2.DescribeInstances': 'InvalidInstanceID.NotFound',
  'EC2.DescribeNetworkInterfaces': 'InvalidNetworkInterfaceID.NotFound',
  'EC2.DescribeVolumes': 'InvalidVolume.NotFound',
  'EC2.DescribeSnapshots': 'InvalidSnapshot.NotFound',
  'IAM.GetUser': 'NoSuchEntity',
  'IAM.ListAccessKeys': 'NoSuchEntity',
} as const;
/** An operation a `not-found` fault can fail. */
export type NotFoundOperation = keyof typeof NOT_FOUND_CODES;
const NOT_FOUND_OPERATIONS = Object.keys(NOT_FOUND_CODES) as [NotFoundOperation, ...NotFoundOperation[]];

/** The operation whose answer an `omit-network-interfaces` fault rewrites. */
const DESCRIBE_INSTANCES = 'EC2.DescribeInstances';
/** The operation whose answer a `snapshots-pending` fault rewrites (calls that name snapshot IDs: the evidence polls). */
const DESCRIBE_SNAPSHOTS = 'EC2.DescribeSnapshots';

/** Every fault kind a drill can declare. */
export const FAULT_KINDS = [
  'throttle',
  'server-error',
  'deny',
  'not-found',
  'crash',
  'omit-network-interfaces',
  'snapshots-pending',
  'lambda-timeout',
  'execution-timeout',
  'delete-resource',
  'transient',
] as const;

/** `operations: '*'`: every operation of every Lambda client. */
export const EVERY_OPERATION = '*';

/**
 * One fault. `rate` is the probability that a matching call fails (seeded, so a drill is repeatable);
 * `times` caps how many calls fail in all (absent: no cap).
 */
export const FaultSchema = z.discriminatedUnion(
  'kind',
  [
    z
      .object({
        kind: z.literal('throttle'),
        operation: OperationSchema,
        rate: RateSchema.default(1),
        times: TimesSchema.optional(),
        skip: SkipSchema,
      })
      .strict(),
    z
      .object({
        kind: z.literal('server-error'),
        operation: OperationSchema,
        rate: RateSchema.default(1),
        times: TimesSchema.optional(),
        skip: SkipSchema,
      })
      .strict(),
    z.object({ kind: z.literal('deny'), operation: OperationSchema, times: TimesSchema.optional(), skip: SkipSchema }).strict(),
    z
      .object({
        kind: z.literal('crash'),
        operation: OperationSchema,
        /** The Lambda invocation that makes the `after`-th matching call (counted over the injection) crashes right after that call took effect. */
        after: z.number().int('must be a whole number').positive('must be at least 1').default(1),
      })
      .strict(),
    z
      .object({
        kind: z.literal('not-found'),
        operation: z.enum(NOT_FOUND_OPERATIONS, { error: `must be one of: ${NOT_FOUND_OPERATIONS.join(', ')}` }),
        times: TimesSchema.optional(),
        skip: SkipSchema,
      })
      .strict(),
    /** DescribeInstances answers the instance without its ENIs (`NetworkInterfaces: []`) while they are attached. */
    z.object({ kind: z.literal('omit-network-interfaces'), times: TimesSchema.optional() }).strict(),
    /** DescribeSnapshots by ID answers every snapshot `pending` (42%): the first `times` polls, or every poll. */
    z.object({ kind: z.literal('snapshots-pending'), times: TimesSchema.optional() }).strict(),
    z
      .object({
        kind: z.literal('lambda-timeout'),
        /** A Task state of the runbook's state machine, e.g. Contain (checked before the first injection). */
        state: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must be a state name, e.g. Contain'),
        /** The first `times` invocations of the state, in each execution, outlive their Lambda timeout. */
        times: TimesSchema.default(1),
      })
      .strict(),
    z
      .object({
        kind: z.literal('execution-timeout'),
        /** The executions' TimeoutSeconds, instead of the state machine's. */
        seconds: z.number().int('must be a whole number').min(1, 'must be at least 1').max(300, 'must be at most 300 (a drill is local)'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('transient'),
        /** `'*'` (every operation of every Lambda client), or a list of `Service.Operation`. */
        operations: z.union([z.literal(EVERY_OPERATION), z.array(OperationSchema).min(1)], {
          error: `must be '${EVERY_OPERATION}' or a list of Service.Operation`,
        }),
        /** The probability that one HTTP attempt fails (each attempt drawn on its own; the SDK retries). */
        rate: RateSchema,
        times: TimesSchema.optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('delete-resource'),
        resource: z.enum(DELETABLE_RESOURCES, { error: `must be one of: ${DELETABLE_RESOURCES.join(', ')}` }),
        /** A state whose handler records its calls (Contain, SnapshotVolumes, ...): the resource is deleted once it has run, before the next step's first call. Absent: before the event is injected. */
        after: z.string().min(1).optional(),
      })
      .strict(),
  ],
  { error: `kind must be one of: ${FAULT_KINDS.join(', ')}` },
);
/** A validated fault. */
export type Fault = z.infer<typeof FaultSchema>;

/** What a drill's scorecard says of one declared fault. */
export interface FaultReport {
  readonly kind: Fault['kind'];
  /** `throttle EC2.CopySnapshot (rate 0.5, at most 3)`, `delete-resource instance after Contain`. */
  readonly declared: string;
  readonly operation?: string;
  readonly resource?: string;
  /** The state a `lambda-timeout` fault times out. */
  readonly state?: string;
  /** How many times it was injected (calls failed or rewritten, invocations timed out, executions timed out, resources deleted). */
  readonly injected: number;
  /** How many matching calls it saw (injected or let through). */
  readonly matchingCalls: number;
  /** Injections by the playbook step that made the call (`-` outside any step). */
  readonly bySteps: Record<string, number>;
  /** What was deleted (delete-resource). */
  readonly deleted?: string;
}

/** Describes a fault in one line. */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'throttle':
    case 'server-error':
      return `${f.kind} ${f.operation} (rate ${f.rate}${f.times !== undefined ? `, at most ${f.times}` : ''}${f.skip ? `, after ${f.skip} call(s) let through` : ''})`;
    case 'deny':
      return `deny ${f.operation}${f.times !== undefined ? ` (at most ${f.times})` : ''}${f.skip ? ` after ${f.skip} call(s) let through` : ''}`;
    case 'not-found':
      return `not-found ${f.operation} (${NOT_FOUND_CODES[f.operation]}${f.times !== undefined ? `, at most ${f.times}` : ''}${f.skip ? `, after ${f.skip} call(s) let through` : ''})`;
    case 'crash':
      return `crash the function right after call ${f.after} of ${f.operation}`;
    case 'omit-network-interfaces':
      return `omit-network-interfaces: ${DESCRIBE_INSTANCES} lists no ENI${f.times !== undefined ? ` (at most ${f.times} answers)` : ''}`;
    case 'snapshots-pending':
      return `snapshots-pending: ${DESCRIBE_SNAPSHOTS} answers pending${f.times !== undefined ? ` (at most ${f.times} polls)` : ' (every poll)'}`;
    case 'lambda-timeout':
      return `lambda-timeout ${f.state} (its first ${f.times} invocation(s) of each execution)`;
    case 'execution-timeout':
      return `execution-timeout after ${f.seconds} s`;
    case 'delete-resource':
      return `delete-resource ${f.resource} ${f.after ? `after ${f.after}` : 'before the event is injected'}`;
    case 'transient':
      return `transient ${f.operations === EVERY_OPERATION ? 'every operation' : f.operations.join(', ')} (each HTTP attempt at rate ${f.rate}, beneath the SDK's retry${f.times !== undefined ? `, at most ${f.times}` : ''})`;
  }
}

/**
 * A seeded pseudo-random generator (mulberry32 over the SHA-256 of the seed): the same seed gives
 * the same sequence, so a drill's `rate` faults fail the same calls on every run.
 * @returns a function giving numbers in [0, 1).
 */
export function seededRandom(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The error code AWS answers a throttled call with, by service. */
const THROTTLE_CODE: Record<string, string> = {
  EC2: 'RequestLimitExceeded',
  IAM: 'Throttling',
  AutoScaling: 'Throttling',
  ElasticLoadBalancingV2: 'Throttling',
  SNS: 'Throttling',
  S3: 'SlowDown',
  DynamoDB: 'ThrottlingException',
};
/** The error code of a 5xx answer, by service. */
const SERVER_ERROR_CODE: Record<string, string> = {
  EC2: 'InternalError',
  S3: 'InternalError',
  IAM: 'ServiceFailure',
  DynamoDB: 'InternalServerError',
  SNS: 'InternalError',
};
/** The error code of a denied call, by service. */
const DENIED_CODE: Record<string, string> = {
  EC2: 'UnauthorizedOperation',
  DynamoDB: 'AccessDeniedException',
  SFN: 'AccessDeniedException',
  ECS: 'AccessDeniedException',
  CloudTrail: 'AccessDeniedException',
  SNS: 'AccessDenied',
};

/**
 * The exception an SDK v3 client throws for the fault, shaped like the real one (`name` is the
 * error code, `$metadata.httpStatusCode`, `$fault`), so the project's own mapping
 * (lib/runtime/aws-errors.ts) decides what it becomes: throttling codes → `Throttled`, 5xx →
 * `TransientAwsError`, denials → `AccessDenied`.
 */
export function faultError(kind: 'throttle' | 'server-error' | 'deny' | 'not-found', operation: string): Error {
  const [service, op] = operation.split('.');
  const action = `${service.toLowerCase()}:${op}`;
  const [name, status, message] =
    kind === 'throttle'
      ? [THROTTLE_CODE[service] ?? 'ThrottlingException', service === 'S3' ? 503 : 400, 'Rate exceeded']
      : kind === 'server-error'
        ? [SERVER_ERROR_CODE[service] ?? 'InternalFailure', 500, 'We encountered an internal error. Please try again.']
        : kind === 'not-found'
          ? [
              NOT_FOUND_CODES[operation as NotFoundOperation] ?? 'NotFound',
              service === 'IAM' ? 404 : 400,
              `The resource named in ${operation} does not exist (game-day fault)`,
            ]
          : [
              DENIED_CODE[service] ?? 'AccessDenied',
              403,
              `User: arn:aws:sts::000000000000:assumed-role/FirebreakResponder/firebreak-responder is not authorized to perform: ${action} (game-day fault)`,
            ];
  return Object.assign(new Error(message), {
    name,
    Code: name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts: 1 },
    firebreakGameDayFault: true,
  });
}

/**
 * What AWS answers, per service, when a request fails for a transient reason, as `[code, HTTP status]`:
 * the service's throttling code, its 5xx codes, and RequestTimeout where the service has one. From:
 * "Error codes for the Amazon EC2 API" (RequestLimitExceeded, InternalError 500, Unavailable 503,
 * ServiceUnavailable 503); the Common Errors of the query and JSON APIs (ThrottlingException / Throttling
 * 400, InternalFailure 500, ServiceUnavailable 503: IAM, Auto Scaling, ELBv2, CloudTrail, Step Functions);
 * IAM's ServiceFailure 500; "Error handling with DynamoDB" (ThrottlingException, ProvisionedThroughputExceededException,
 * RequestLimitExceeded 400, InternalServerError 500, ServiceUnavailable 503); Amazon SNS's Publish errors
 * (ThrottledException 400, InternalError 500); "Error responses", Amazon S3 API Reference (SlowDown 503,
 * InternalError 500, ServiceUnavailable 503, RequestTimeout 400); the Lambda API Reference's errors of the operations
 * lambda-compromise calls (TooManyRequestsException 429, ServiceException 500); "Request throttling for the Amazon RDS
 * API" (ThrottlingException, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html) and the RDS
 * API Reference's Common Errors (InternalFailure 500, ServiceUnavailable 503); "Request throttling for the Amazon ECS API"
 * (ThrottlingException 400, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/request-throttling.html) and the
 * ECS API Reference's ServerException (500, "usually caused by a server issue") and Common Errors (ServiceUnavailable
 * 503). Codes of calls Firebreak does not make
 * (Lambda's EC2ThrottledException of Invoke, Route 53's PriorRequestNotComplete) are not drawn; the SDK classifies those
 * too (lib/runtime/aws-errors.ts, and its tests).
 */
export const TRANSIENT_ANSWERS: Readonly<Record<(typeof FAULT_SERVICES)[number], readonly (readonly [string, number])[]>> = {
  EC2: [
    ['RequestLimitExceeded', 503],
    ['InternalError', 500],
    ['Unavailable', 503],
    ['ServiceUnavailable', 503],
  ],
  AutoScaling: [
    ['Throttling', 400],
    ['InternalFailure', 500],
    ['ServiceUnavailable', 503],
  ],
  ElasticLoadBalancingV2: [
    ['Throttling', 400],
    ['InternalFailure', 500],
    ['ServiceUnavailable', 503],
  ],
  IAM: [
    ['Throttling', 400],
    ['ServiceFailure', 500],
    ['ServiceUnavailable', 503],
  ],
  CloudTrail: [
    ['ThrottlingException', 400],
    ['InternalFailure', 500],
    ['ServiceUnavailable', 503],
  ],
  S3: [
    ['SlowDown', 503],
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['RequestTimeout', 400],
  ],
  Lambda: [
    ['TooManyRequestsException', 429],
    ['ServiceException', 500],
  ],
  RDS: [
    ['ThrottlingException', 400],
    ['InternalFailure', 500],
    ['ServiceUnavailable', 503],
  ],
  ECS: [
    ['ThrottlingException', 400],
    ['ServerException', 500],
    ['ServiceUnavailable', 503],
  ],
  DynamoDB: [
    ['ThrottlingException', 400],
    ['ProvisionedThroughputExceededException', 400],
    ['RequestLimitExceeded', 400],
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
  ],
  SNS: [
    ['ThrottledException', 400],
    ['InternalError', 500],
  ],
  SFN: [
    ['ThrottlingException', 400],
    ['InternalFailure', 500],
    ['ServiceUnavailable', 503],
  ],
};

/**
 * The exception the SDK's deserializer builds for a transient answer (`name` the code, `$fault`,
 * `$metadata.httpStatusCode`), so that the SDK's retry strategy classifies it as AWS's own.
 * @param draw - a number in [0, 1) choosing among the service's answers ({@link TRANSIENT_ANSWERS}).
 */
export function transientFaultError(operation: string, draw: number): Error {
  const service = operation.split('.')[0] as keyof typeof TRANSIENT_ANSWERS;
  const answers = TRANSIENT_ANSWERS[service] ?? [['InternalFailure', 500]];
  const [name, status] = answers[Math.min(answers.length - 1, Math.floor(draw * answers.length))];
  return Object.assign(new Error(`${name} (game-day fault: transient, injected beneath the SDK's retry)`), {
    name,
    Code: name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    firebreakGameDayFault: true,
  });
}

/** The error every call of a crashed invocation sees (the runner replaces the invocation's error with `Sandbox.Timedout`). */
function crashError(): Error {
  return Object.assign(new Error('The function crashed (game-day fault): no call after this one is made'), {
    name: 'FirebreakGameDayCrash',
    firebreakGameDayFault: true,
  });
}

/** What the drill runner gives {@link installFaults}. */
export interface FaultContext {
  /** Seed of the rate faults (one generator per fault). */
  readonly seed: string;
  /** Deletes a resource of the injection's world; returns what it deleted. */
  readonly deleteResource: (resource: Fault & { kind: 'delete-resource' }) => Promise<string>;
}

/** One call a fault failed (or the point where a resource was deleted). */
export interface FaultHit {
  /** Index of the fault in the injection's `faults`. */
  readonly fault: number;
  readonly operation?: string;
  /** The local execution and the state invocation that made the call (lib/harness/local/runner.ts). */
  readonly executionId?: string;
  readonly invocationId?: string;
  /** The step runner's step name, when inside one. */
  readonly step?: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** Faults installed for one injection. */
export interface InstalledFaults {
  /** Every hit so far, in order. */
  hits(): FaultHit[];
  /** Runs the faults due before the event is injected (a resource deleted beforehand). */
  beforeInjection(): Promise<void>;
  /**
   * The local runner's options the execution faults need (`lambda-timeout` → `lambdaTimeouts`,
   * `execution-timeout` → `timeoutSeconds`); empty when the injection has none. Give them to every
   * execution of the injection (`replayEvent`'s `execute`).
   */
  readonly execute: ExecuteOptions;
  /** Counts what the execution faults did to the injection's executions (an execution that ended TIMED_OUT). */
  observe(executions: readonly LocalExecutionResult[]): void;
  /** What each declared fault did so far, in declaration order. */
  reports(): FaultReport[];
  /** Removes every interceptor (idempotent). Call it in a `finally`. */
  remove(): void;
}

interface Counter {
  injected: number;
  matching: number;
  bySteps: Record<string, number>;
  deleted?: string;
}

/** What a fault's interceptor is built with: its counter, how to record a hit, and the injection's context. */
interface FaultTools {
  readonly index: number;
  readonly counter: Counter;
  readonly ctx: FaultContext;
  /** Records one injection of the fault (counter, per-step tally, hit list), in the current call's context. */
  hit(operation?: string): void;
}

/** delete-resource with `after`: once that state's step has made a call, the first call of any other step waits for the deletion. */
function deleteAfterInterceptor(fault: Extract<Fault, { kind: 'delete-resource' }>, t: FaultTools): SdkInterceptor | undefined {
  const after = fault.after;
  if (!after) return undefined;
  let seen = false;
  let deleting: Promise<void> | undefined;
  return {
    before: async () => {
      const step = currentCallContext().step;
      if (!step) return;
      if (step === after) {
        seen = true;
        return;
      }
      if (!seen) return;
      deleting ??= (async () => {
        t.counter.matching += 1;
        t.counter.deleted = await t.ctx.deleteResource(fault);
        t.hit();
      })();
      await deleting;
    },
  };
}

/**
 * crash: the call takes effect, then the function is gone. Every later call of that invocation fails, and the
 * local runner fails the invocation as Lambda does (lib/harness/local/runner.ts).
 */
function crashInterceptor(fault: Extract<Fault, { kind: 'crash' }>, t: FaultTools): SdkInterceptor {
  return {
    before: () => {
      if (isInvocationCrashed(currentCallContext().invocationId)) throw crashError();
    },
    after: (call: InterceptedCall) => {
      if (call.operation !== fault.operation) return;
      t.counter.matching += 1;
      if (t.counter.matching !== fault.after) return;
      const invocationId = currentCallContext().invocationId;
      if (invocationId) markInvocationCrashed(invocationId);
      t.hit(call.operation);
      throw crashError();
    },
  };
}

/** omit-network-interfaces / snapshots-pending: the answer rewritten, as EC2's eventually consistent reads can answer. */
function rewriteInterceptor(
  fault: Extract<Fault, { kind: 'omit-network-interfaces' | 'snapshots-pending' }>,
  t: FaultTools,
): SdkInterceptor {
  const operation = fault.kind === 'omit-network-interfaces' ? DESCRIBE_INSTANCES : DESCRIBE_SNAPSHOTS;
  return {
    after: (call: InterceptedCall, output: Record<string, unknown>) => {
      if (call.operation !== operation || (fault.kind === 'snapshots-pending' && !call.input.SnapshotIds)) return;
      t.counter.matching += 1;
      if (fault.times !== undefined && t.counter.injected >= fault.times) return;
      const rewritten = fault.kind === 'omit-network-interfaces' ? withoutNetworkInterfaces(output) : snapshotsPending(output);
      if (!rewritten) return;
      t.hit(call.operation);
      return rewritten;
    },
  };
}

/** transient: each HTTP attempt beneath the SDK's retry, drawn from the fault's seeded generator. */
function transientInterceptor(fault: Extract<Fault, { kind: 'transient' }>, t: FaultTools): SdkInterceptor {
  const random = seededRandom(`${t.ctx.seed}#${t.index}`);
  const operations = fault.operations === EVERY_OPERATION ? undefined : new Set(fault.operations);
  return {
    attempt: (call: InterceptedCall) => {
      if (operations && !operations.has(call.operation)) return;
      t.counter.matching += 1;
      const draw = random();
      const which = random();
      if (fault.times !== undefined && t.counter.injected >= fault.times) return;
      if (draw >= fault.rate) return;
      t.hit(call.operation);
      throw transientFaultError(call.operation, which);
    },
  };
}

/** throttle / server-error / deny / not-found: the call fails unsent, above the SDK's retry, drawn from the seeded generator. */
function callFaultInterceptor(
  fault: Extract<Fault, { kind: 'throttle' | 'server-error' | 'deny' | 'not-found' }>,
  t: FaultTools,
): SdkInterceptor {
  const random = seededRandom(`${t.ctx.seed}#${t.index}`);
  const rate = fault.kind === 'deny' || fault.kind === 'not-found' ? 1 : fault.rate;
  const skip = fault.skip ?? 0;
  return {
    before: (call: InterceptedCall) => {
      if (call.operation !== fault.operation) return;
      t.counter.matching += 1;
      if (t.counter.matching <= skip) return;
      // Draw for every matching call after the skipped ones, so the sequence does not depend on `times`.
      const draw = random();
      if (fault.times !== undefined && t.counter.injected >= fault.times) return;
      if (draw >= rate) return;
      t.hit(call.operation);
      throw faultError(fault.kind, call.operation);
    },
  };
}

/** The SDK interceptor of one fault, or undefined for the faults that are not interceptors (runner options, deletions before the injection). */
function interceptorFor(fault: Fault, t: FaultTools): SdkInterceptor | undefined {
  switch (fault.kind) {
    case 'delete-resource':
      return deleteAfterInterceptor(fault, t);
    case 'crash':
      return crashInterceptor(fault, t);
    case 'omit-network-interfaces':
    case 'snapshots-pending':
      return rewriteInterceptor(fault, t);
    case 'transient':
      return transientInterceptor(fault, t);
    case 'lambda-timeout':
    case 'execution-timeout':
      return undefined;
    default:
      return callFaultInterceptor(fault, t);
  }
}

/** The local runner's options for lambda-timeout and execution-timeout faults, counting each timeout as a hit. */
function runnerOptions(faults: readonly Fault[], counters: Counter[], hits: FaultHit[]): ExecuteOptions {
  const lambdaTimeouts: Record<string, number> = {};
  let timeoutSeconds: number | undefined;
  for (const f of faults) {
    if (f.kind === 'lambda-timeout') lambdaTimeouts[f.state] = (lambdaTimeouts[f.state] ?? 0) + f.times;
    if (f.kind === 'execution-timeout') timeoutSeconds = Math.min(timeoutSeconds ?? f.seconds, f.seconds);
  }
  return {
    ...(Object.keys(lambdaTimeouts).length
      ? {
          lambdaTimeouts,
          onLambdaTimeout: (t: { state: string; executionId: string; invocationId: string }) => {
            // Several faults on one state share its count: the first that still has some takes the hit.
            const index = faults.findIndex((f, i) => f.kind === 'lambda-timeout' && f.state === t.state && counters[i].injected < f.times);
            if (index < 0) return;
            const c = counters[index];
            c.matching += 1;
            c.injected += 1;
            c.bySteps[t.state] = (c.bySteps[t.state] ?? 0) + 1;
            hits.push({ fault: index, executionId: t.executionId, invocationId: t.invocationId, step: t.state, at: Date.now() });
          },
        }
      : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
  };
}

/** What one fault did, for the scorecard. */
function faultReport(f: Fault, c: Counter): FaultReport {
  const operation =
    'operation' in f
      ? f.operation
      : f.kind === 'transient'
        ? f.operations === EVERY_OPERATION
          ? EVERY_OPERATION
          : f.operations.join(',')
        : f.kind === 'omit-network-interfaces'
          ? DESCRIBE_INSTANCES
          : f.kind === 'snapshots-pending'
            ? DESCRIBE_SNAPSHOTS
            : undefined;
  return {
    kind: f.kind,
    declared: describeFault(f),
    operation,
    resource: 'resource' in f ? f.resource : undefined,
    state: 'state' in f ? f.state : undefined,
    injected: c.injected,
    matchingCalls: c.matching,
    bySteps: { ...c.bySteps },
    deleted: c.deleted,
  };
}

/**
 * Registers a drill injection's faults as SDK interceptors.
 * - throttle / server-error / deny: `before` every call of the operation, draw from the fault's
 *   seeded generator; below `rate` (and while fewer than `times` were injected) the call fails with
 *   {@link faultError} without being sent.
 * - delete-resource with `after: <state>`: `before` every call, once a call made inside that state's
 *   step has been seen, the first call of any other step first waits for the resource to be deleted.
 *   (The step context comes from the playbook's step runner, lib/runtime/playbook/run-step.ts.)
 * - delete-resource without `after`: done by {@link InstalledFaults.beforeInjection}.
 * - not-found: as deny, with the operation's NotFound code ({@link NOT_FOUND_CODES}).
 * - omit-network-interfaces / snapshots-pending: `after` the call, its answer is rewritten (no ENI on the
 *   instance; every snapshot `pending`), as EC2's eventually consistent reads can answer.
 * - transient: `attempt` (beneath the SDK's retry) on every HTTP attempt of the operations (or of every
 *   operation), draw; below `rate` the attempt fails unsent with {@link transientFaultError} and the SDK
 *   retries it. `matchingCalls` counts attempts, `injected` the attempts failed.
 * - lambda-timeout / execution-timeout: not interceptors but options of the local runner
 *   ({@link InstalledFaults.execute}), counted from its callback and from the executions' ends.
 * @returns the handle; always call `remove()` (in a `finally`).
 */
export function installFaults(faults: readonly Fault[], ctx: FaultContext): InstalledFaults {
  const counters: Counter[] = faults.map(() => ({ injected: 0, matching: 0, bySteps: {} }));
  const hits: FaultHit[] = [];
  const tools = (index: number): FaultTools => ({
    index,
    counter: counters[index],
    ctx,
    hit(operation?: string) {
      const call = currentCallContext();
      const step = call.step ?? '-';
      counters[index].injected += 1;
      counters[index].bySteps[step] = (counters[index].bySteps[step] ?? 0) + 1;
      hits.push({
        fault: index,
        operation,
        executionId: call.executionId,
        invocationId: call.invocationId,
        step: call.step,
        at: Date.now(),
      });
    },
  });
  const removers = faults.flatMap((fault, index) => {
    const interceptor = interceptorFor(fault, tools(index));
    return interceptor ? [registerSdkInterceptor(interceptor)] : [];
  });
  const count = (index: number, step: string, deleted?: string) => {
    const c = counters[index];
    c.injected += 1;
    c.bySteps[step] = (c.bySteps[step] ?? 0) + 1;
    if (deleted !== undefined) c.deleted = deleted;
  };
  let removed = false;
  return {
    execute: runnerOptions(faults, counters, hits),
    observe(executions) {
      faults.forEach((f, index) => {
        if (f.kind !== 'execution-timeout') return;
        for (const x of executions) {
          counters[index].matching += 1;
          if (x.status !== 'TIMED_OUT') continue;
          count(index, '(execution)');
          hits.push({ fault: index, executionId: x.calls[0]?.context.executionId, at: x.startedAt + x.durationMs });
        }
      });
    },
    async beforeInjection() {
      for (const [index, fault] of faults.entries()) {
        if (fault.kind !== 'delete-resource' || fault.after) continue;
        counters[index].matching += 1;
        count(index, '(before injection)', await ctx.deleteResource(fault));
        hits.push({ fault: index, at: Date.now() });
      }
    },
    hits: () => [...hits],
    reports: () => faults.map((f, i) => faultReport(f, counters[i])),
    remove() {
      if (removed) return;
      removed = true;
      for (const r of removers) r();
    },
  };
}

/** A DescribeInstances answer with every instance's ENI list emptied, or undefined when no instance listed one. */
function withoutNetworkInterfaces(output: Record<string, unknown>): Record<string, unknown> | undefined {
  const o = output as { Reservations?: { Instances?: { NetworkInterfaces?: unknown[] }[] }[] };
  if (!(o.Reservations ?? []).some((r) => (r.Instances ?? []).some((i) => (i.NetworkInterfaces ?? []).length > 0))) return undefined;
  return {
    ...output,
    Reservations: o.Reservations!.map((r) => ({ ...r, Instances: r.Instances?.map((i) => ({ ...i, NetworkInterfaces: [] })) })),
  };
}

/** A DescribeSnapshots answer with every snapshot `pending` at 42%, or undefined when it lists none. */
function snapshotsPending(output: Record<string, unknown>): Record<string, unknown> | undefined {
  const snaps = (output.Snapshots as { State?: string; Progress?: string }[] | undefined) ?? [];
  if (!snaps.length) return undefined;
  return { ...output, Snapshots: snaps.map((s) => ({ ...s, State: 'pending', Progress: '42%' })) };
}
