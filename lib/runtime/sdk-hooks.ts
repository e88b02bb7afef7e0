/**
 * Interceptors at the SDK boundary, used to inject faults (throttling, 5xx, denials, a snapshot
 * that stays `pending`) into otherwise real calls to the emulator. Production code never registers
 * one; tests and game-day drills do. DESIGN.md §5, TOOLCHAIN.md ("inject the pending state at the
 * SDK boundary").
 */

/** The call an interceptor sees. */
export interface InterceptedCall {
  /** `Service.Operation`, e.g. `EC2.DescribeSnapshots`. */
  readonly operation: string;
  /** The command input (read-only by convention). */
  readonly input: Record<string, unknown>;
  /** The account the client acts in. */
  readonly accountId: string;
}

/** A fault or rewrite applied around real SDK calls. */
export interface SdkInterceptor {
  /**
   * Runs before the call, ABOVE the SDK's retry middleware (once per logical call); throwing here fails
   * the call without sending it, and the SDK does not retry it.
   */
  before?(call: InterceptedCall): void | Promise<void>;
  /**
   * Runs before each HTTP attempt of the call, BENEATH the SDK's retry middleware (the client factory's
   * `deserialize`-step middleware, lib/runtime/clients.ts); throwing here fails that attempt without
   * sending it, and the SDK's retry strategy (its classifiers, backoff, retry quota, adaptive rate
   * limiter) decides whether to try again, as for an error AWS answered.
   * @param attempt - 1 for the first attempt of the call, 2 for the SDK's first retry, ...
   */
  attempt?(call: InterceptedCall, attempt: number): void | Promise<void>;
  /** Runs after a successful call; a returned object replaces the output. */
  after?(call: InterceptedCall, output: Record<string, unknown>): Record<string, unknown> | void | Promise<Record<string, unknown> | void>;
}

const interceptors = new Set<SdkInterceptor>();

/**
 * Registers an interceptor for every client built by the client factory in this process.
 * @returns a function that removes it.
 */
export function registerSdkInterceptor(interceptor: SdkInterceptor): () => void {
  interceptors.add(interceptor);
  return () => interceptors.delete(interceptor);
}

/** The registered interceptors, in registration order. */
export function activeInterceptors(): readonly SdkInterceptor[] {
  return [...interceptors];
}

const crashed = new Set<string>();

/**
 * Marks a Lambda invocation (the `invocationId` of its call context) as crashed: a fault said the
 * function stopped right after a call took effect. The local runner fails the invocation the way
 * Lambda reports a function killed part-way (`Sandbox.Timedout`), whatever the handler did after.
 */
export function markInvocationCrashed(invocationId: string): void {
  crashed.add(invocationId);
}

/** Whether {@link markInvocationCrashed} was called for the invocation. */
export function isInvocationCrashed(invocationId: string | undefined): boolean {
  return invocationId !== undefined && crashed.has(invocationId);
}
