import { randomUUID } from 'node:crypto';

/** Why a task token cannot take a result (the errors Step Functions' SendTask* calls throw). */
export class TaskTokenError extends Error {
  constructor(
    /** `TaskDoesNotExist` (unknown token) or `TaskTimedOut` (the task ended: timed out or answered). */
    readonly type: 'TaskDoesNotExist' | 'TaskTimedOut',
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** The failure a `SendTaskFailure` reports to the waiting task (its Catch matches on `name`). */
export class TaskFailure extends Error {
  constructor(
    name: string,
    readonly causeText?: string,
  ) {
    super(causeText ?? name);
    this.name = name;
  }
}

/** The timeout of a task that waits for a token (`States.Timeout`, what a Catch on it matches). */
export class StatesTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'States.Timeout';
  }
}

interface Pending {
  readonly resolve: (output: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The local side of the `.waitForTaskToken` service integration: a task registers its token and
 * waits; `SendTaskSuccess` / `SendTaskFailure` (lib/harness/local/sfn-service.ts) settle it; a timeout fails
 * it with `States.Timeout`. One registry per local runner.
 */
export class TaskTokens {
  private readonly pending = new Map<string, Pending>();
  private readonly ended = new Set<string>();
  /** The answer each token was given, for a retry of an attempt that failed after it was answered ({@link wait}). */
  private readonly answers = new Map<string, { output?: unknown; failure?: TaskFailure }>();

  /** A new token, as Step Functions would put in `$$.Task.Token`. */
  static newToken(): string {
    return `local-${randomUUID()}`;
  }

  /**
   * Waits for the token's result.
   * @param timeoutMs - fail with `States.Timeout` after this long.
   * @returns the output given to SendTaskSuccess (parsed JSON).
   * @throws {TaskFailure} named as SendTaskFailure's `error`.
   * @throws {StatesTimeout} when nobody answers in time.
   */
  wait(token: string, timeoutMs: number): Promise<unknown> {
    // A retry after an attempt that was answered and then failed (its handler threw after the request was recorded,
    // e.g. a throttled page): the answer was given, to this execution's one token, so the retry takes it. Without
    // this the answer was lost with the failed attempt and the retry waited for the timeout.
    const carried = this.answers.get(token);
    if (carried && this.ended.has(token)) {
      this.answers.delete(token);
      this.ended.delete(token);
      return carried.failure ? Promise.reject(carried.failure) : Promise.resolve(carried.output);
    }
    return new Promise((resolve, reject) => {
      // A retry of the task waits again on the execution's token (locally one per execution): the earlier wait is
      // superseded (its attempt failed; its timer must not end this one), and the token may be answered again.
      const prior = this.pending.get(token);
      if (prior) {
        clearTimeout(prior.timer);
        prior.reject(new TaskFailure('States.TaskFailed', 'superseded by a retry of the task'));
      }
      this.ended.delete(token);
      const entry: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => {
          if (this.pending.get(token) !== entry) return;
          this.settle(token);
          reject(new StatesTimeout(`no answer to task token ${token} within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs),
      };
      entry.timer.unref();
      this.pending.set(token, entry);
    });
  }

  /** Whether a task is waiting on the token. */
  isWaiting(token: string): boolean {
    return this.pending.has(token);
  }

  /** SendTaskSuccess. @throws {TaskTokenError} for an unknown or ended token. */
  succeed(token: string, output: unknown): void {
    this.take(token).resolve(output);
    this.answers.set(token, { output });
  }

  /** SendTaskFailure. @throws {TaskTokenError} for an unknown or ended token. */
  fail(token: string, error: string, cause?: string): void {
    const failure = new TaskFailure(error || 'States.TaskFailed', cause);
    this.take(token).reject(failure);
    this.answers.set(token, { failure });
  }

  private take(token: string): Pending {
    const p = this.pending.get(token);
    if (!p) {
      if (this.ended.has(token)) throw new TaskTokenError('TaskTimedOut', `Task Timed Out: '${token}'`);
      throw new TaskTokenError('TaskDoesNotExist', `Task Does Not Exist: '${token}'`);
    }
    this.settle(token);
    return p;
  }

  private settle(token: string): void {
    const p = this.pending.get(token);
    if (p) clearTimeout(p.timer);
    this.pending.delete(token);
    this.ended.add(token);
  }
}
