import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * API-call telemetry: every SDK client built by the client factory reports each logical call
 * (once per command, not per HTTP retry) here. The step runner counts calls per step for the case
 * timeline, and the local runner and game days read them for the report.
 */

/** One completed (or failed) AWS API call. Times are epoch milliseconds. */
export interface ApiCallRecord {
  /** `Service.Operation`, e.g. `EC2.ModifyNetworkInterfaceAttribute`. */
  readonly operation: string;
  /** Whether the operation changes state (anything but Describe/Get/List/Head/... and STS AssumeRole). */
  readonly mutating: boolean;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Error name when the call failed. */
  readonly error?: string;
  /** The account the call acted in. */
  readonly account?: string;
  /**
   * The role the client acts through in that account (`FirebreakResponder`, `FirebreakReleaser`);
   * absent for the security account's own clients and when no role is assumed.
   */
  readonly role?: string;
  /**
   * The one network interface the call acts on, when its input names one (`NetworkInterfaceId`, as in
   * ModifyNetworkInterfaceAttribute): lets a report tell the calls of one ENI's swap from another's.
   */
  readonly networkInterfaceId?: string;
  /**
   * The region the call was signed for (its SigV4 credential scope, read from the request as sent): where AWS acted.
   * Absent when no signed request went out (an interceptor failed the call before it was sent).
   */
  readonly region?: string;
  /** Attribution from the enclosing {@link withCallContext} scopes. */
  readonly context: Readonly<CallContext>;
}

/** Attribution carried through async calls. */
export interface CallContext {
  /** Playbook step (state name). */
  step?: string;
  /** Local execution ID (local runner only). */
  executionId?: string;
  /** One invocation of one state (local runner only). */
  invocationId?: string;
  /** One run of one step (set by the step runner). */
  stepRunId?: string;
}

const storage = new AsyncLocalStorage<CallContext>();
const listeners = new Set<(record: ApiCallRecord) => void>();

const READ_ONLY_PREFIXES = ['Describe', 'Get', 'List', 'Head', 'Query', 'Scan', 'BatchGet', 'Lookup', 'Search', 'Select'];
const READ_ONLY_OPERATIONS = new Set(['STS.AssumeRole', 'STS.GetCallerIdentity', 'SQS.ReceiveMessage']);

/**
 * Classifies an operation as mutating or read-only by its AWS operation name.
 * @param operation - `Service.Operation`.
 * @returns true unless the operation only reads.
 */
export function isMutatingOperation(operation: string): boolean {
  if (READ_ONLY_OPERATIONS.has(operation)) return false;
  const op = operation.split('.').pop() ?? operation;
  return !READ_ONLY_PREFIXES.some((p) => op.startsWith(p));
}

/**
 * Runs `fn` with extra attribution merged into the current call context.
 * @returns whatever `fn` returns.
 */
export function withCallContext<T>(context: CallContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

/** The current call context (empty outside any scope). */
export function currentCallContext(): Readonly<CallContext> {
  return storage.getStore() ?? {};
}

/**
 * Subscribes to every API call made through the client factory in this process.
 * @returns a function that unsubscribes.
 */
export function subscribeApiCalls(listener: (record: ApiCallRecord) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Reports one call to the subscribers. Called by the client factory's middleware. */
export function emitApiCall(record: ApiCallRecord): void {
  for (const l of listeners) l(record);
}

/** Counts calls by operation. */
export function countByOperation(records: readonly ApiCallRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.operation] = (out[r.operation] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
