import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isInvocationCrashed, markInvocationCrashed, registerSdkInterceptor, InterceptedCall } from '../runtime/sdk-hooks';
import { currentCallContext } from '../runtime/telemetry';

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
 */

/** The services of the client factory, as they prefix an operation (`EC2.CopySnapshot`). */
export const FAULT_SERVICES = ['EC2', 'AutoScaling', 'ElasticLoadBalancingV2', 'IAM', 'CloudTrail', 'S3', 'DynamoDB', 'SNS', 'SFN'] as const;

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
 * leaked one), or the twin IAM user itself (`iam-user`).
 */
export const DELETABLE_RESOURCES = ['instance', 'access-key', 'iam-user'] as const;

/**
 * One fault. `rate` is the probability that a matching call fails (seeded, so a drill is repeatable);
 * `times` caps how many calls fail in all (absent: no cap).
 */
export const FaultSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('throttle'), operation: OperationSchema, rate: RateSchema.default(1), times: TimesSchema.optional(), skip: SkipSchema }).strict(),
    z.object({ kind: z.literal('server-error'), operation: OperationSchema, rate: RateSchema.default(1), times: TimesSchema.optional(), skip: SkipSchema }).strict(),
    z.object({ kind: z.literal('deny'), operation: OperationSchema, times: TimesSchema.optional(), skip: SkipSchema }).strict(),
    z.object({
      kind: z.literal('crash'), operation: OperationSchema,
      /** The Lambda invocation that makes the `after`-th matching call (counted over the injection) crashes right after that call took effect. */
      after: z.number().int('must be a whole number').positive('must be at least 1').default(1),
    }).strict(),
    z.object({
      kind: z.literal('delete-resource'),
      resource: z.enum(DELETABLE_RESOURCES, { error: `must be one of: ${DELETABLE_RESOURCES.join(', ')}` }),
      /** A state whose handler records its calls (Preserve, Isolate, ...): the resource is deleted once it has run, before the next step's first call. Absent: before the event is injected. */
      after: z.string().min(1).optional(),
    }).strict(),
  ],
  { error: 'kind must be one of: throttle, server-error, deny, crash, delete-resource' },
);
/** A validated fault. */
export type Fault = z.infer<typeof FaultSchema>;

/** What a drill's scorecard says of one declared fault. */
export interface FaultReport {
  readonly kind: Fault['kind'];
  /** `throttle EC2.CopySnapshot (rate 0.5, at most 3)`, `delete-resource instance after Preserve`. */
  readonly declared: string;
  readonly operation?: string;
  readonly resource?: string;
  /** How many times it was injected (calls failed, or resources deleted). */
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
    case 'crash':
      return `crash the function right after call ${f.after} of ${f.operation}`;
    case 'delete-resource':
      return `delete-resource ${f.resource} ${f.after ? `after ${f.after}` : 'before the event is injected'}`;
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
const THROTTLE_CODE: Record<string, string> = { EC2: 'RequestLimitExceeded', IAM: 'Throttling', AutoScaling: 'Throttling', ElasticLoadBalancingV2: 'Throttling', SNS: 'Throttling', S3: 'SlowDown', DynamoDB: 'ThrottlingException' };
/** The error code of a 5xx answer, by service. */
const SERVER_ERROR_CODE: Record<string, string> = { EC2: 'InternalError', S3: 'InternalError', IAM: 'ServiceFailure', DynamoDB: 'InternalServerError', SNS: 'InternalError' };
/** The error code of a denied call, by service. */
const DENIED_CODE: Record<string, string> = { EC2: 'UnauthorizedOperation', DynamoDB: 'AccessDeniedException', SFN: 'AccessDeniedException', CloudTrail: 'AccessDeniedException', SNS: 'AccessDenied' };

/**
 * The exception an SDK v3 client throws for the fault, shaped like the real one (`name` is the
 * error code, `$metadata.httpStatusCode`, `$fault`), so the project's own mapping
 * (lib/runtime/aws-errors.ts) decides what it becomes: throttling codes → `Throttled`, 5xx →
 * `TransientAwsError`, denials → `AccessDenied`.
 */
export function faultError(kind: 'throttle' | 'server-error' | 'deny', operation: string): Error {
  const [service, op] = operation.split('.');
  const action = `${service.toLowerCase()}:${op}`;
  const [name, status, message] =
    kind === 'throttle' ? [THROTTLE_CODE[service] ?? 'ThrottlingException', service === 'S3' ? 503 : 400, 'Rate exceeded']
      : kind === 'server-error' ? [SERVER_ERROR_CODE[service] ?? 'InternalFailure', 500, 'We encountered an internal error. Please try again.']
        : [DENIED_CODE[service] ?? 'AccessDenied', 403, `User: arn:aws:sts::000000000000:assumed-role/FirebreakResponder/firebreak-responder is not authorized to perform: ${action} (game-day fault)`];
  return Object.assign(new Error(message), {
    name, Code: name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, attempts: 1 }, firebreakGameDayFault: true,
  });
}

/** The error every call of a crashed invocation sees (the runner replaces the invocation's error with `Sandbox.Timedout`). */
function crashError(): Error {
  return Object.assign(new Error('The function crashed (game-day fault): no call after this one is made'), { name: 'FirebreakGameDayCrash', firebreakGameDayFault: true });
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
  /** The local execution and the state invocation that made the call (lib/local/runner.ts). */
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

/**
 * Registers a drill injection's faults as SDK interceptors.
 * - throttle / server-error / deny: `before` every call of the operation, draw from the fault's
 *   seeded generator; below `rate` (and while fewer than `times` were injected) the call fails with
 *   {@link faultError} without being sent.
 * - delete-resource with `after: <state>`: `before` every call, once a call made inside that state's
 *   step has been seen, the first call of any other step first waits for the resource to be deleted.
 *   (The step context comes from the playbook's step runner, lib/playbook/run-step.ts.)
 * - delete-resource without `after`: done by {@link InstalledFaults.beforeInjection}.
 * @returns the handle; always call `remove()` (in a `finally`).
 */
export function installFaults(faults: readonly Fault[], ctx: FaultContext): InstalledFaults {
  const counters: Counter[] = faults.map(() => ({ injected: 0, matching: 0, bySteps: {} }));
  const removers: (() => void)[] = [];
  const hits: FaultHit[] = [];
  const hit = (c: Counter, fault: number, operation?: string) => {
    const ctx = currentCallContext();
    const step = ctx.step ?? '-';
    c.injected += 1;
    c.bySteps[step] = (c.bySteps[step] ?? 0) + 1;
    hits.push({ fault, operation, executionId: ctx.executionId, invocationId: ctx.invocationId, step: ctx.step, at: Date.now() });
  };
  faults.forEach((fault, index) => {
    const counter = counters[index];
    if (fault.kind === 'delete-resource') {
      if (!fault.after) return;
      const after = fault.after;
      let seen = false;
      let deleting: Promise<void> | undefined;
      removers.push(registerSdkInterceptor({
        before: async () => {
          const step = currentCallContext().step;
          if (!step) return;
          if (step === after) {
            seen = true;
            return;
          }
          if (!seen) return;
          deleting ??= (async () => {
            counter.matching += 1;
            counter.deleted = await ctx.deleteResource(fault);
            hit(counter, index);
          })();
          await deleting;
        },
      }));
      return;
    }
    if (fault.kind === 'crash') {
      // A crash: the call takes effect, then the function is gone. Every later call of that invocation
      // fails, and the local runner fails the invocation as Lambda does (lib/local/runner.ts).
      removers.push(registerSdkInterceptor({
        before: () => {
          if (isInvocationCrashed(currentCallContext().invocationId)) throw crashError();
        },
        after: (call: InterceptedCall) => {
          if (call.operation !== fault.operation) return;
          counter.matching += 1;
          if (counter.matching !== fault.after) return;
          const invocationId = currentCallContext().invocationId;
          if (invocationId) markInvocationCrashed(invocationId);
          hit(counter, index, call.operation);
          throw crashError();
        },
      }));
      return;
    }
    const random = seededRandom(`${ctx.seed}#${index}`);
    const rate = fault.kind === 'deny' ? 1 : fault.rate;
    const skip = fault.skip ?? 0;
    removers.push(registerSdkInterceptor({
      before: (call: InterceptedCall) => {
        if (call.operation !== fault.operation) return;
        counter.matching += 1;
        if (counter.matching <= skip) return;
        // Draw for every matching call after the skipped ones, so the sequence does not depend on `times`.
        const draw = random();
        if (fault.times !== undefined && counter.injected >= fault.times) return;
        if (draw >= rate) return;
        hit(counter, index, call.operation);
        throw faultError(fault.kind, call.operation);
      },
    }));
  });
  let removed = false;
  return {
    async beforeInjection() {
      for (const [index, fault] of faults.entries()) {
        if (fault.kind !== 'delete-resource' || fault.after) continue;
        const counter = counters[index];
        counter.matching += 1;
        counter.deleted = await ctx.deleteResource(fault);
        counter.injected += 1;
        counter.bySteps['(before injection)'] = (counter.bySteps['(before injection)'] ?? 0) + 1;
        hits.push({ fault: index, at: Date.now() });
      }
    },
    hits: () => [...hits],
    reports: () => faults.map((f, i) => ({
      kind: f.kind, declared: describeFault(f),
      operation: 'operation' in f ? f.operation : undefined, resource: 'resource' in f ? f.resource : undefined,
      injected: counters[i].injected, matchingCalls: counters[i].matching, bySteps: { ...counters[i].bySteps }, deleted: counters[i].deleted,
    })),
    remove() {
      if (removed) return;
      removed = true;
      for (const r of removers) r();
    },
  };
}
