/**
 * Firebreak's public error types.
 *
 * Two identifiers, both public API:
 * - `name` (the class name) is what Step Functions Retry and Catch match on (the Lambda `errorType`), so renaming
 *   a class is a breaking change for the state machines (DESIGN.md §4 and §7, "Errors are public API");
 * - `code` (e.g. `INVALID_INPUT`) is what scripts and people match on: declared once per class, listed in
 *   {@link ERROR_CODES}, and kept when a class is renamed or moved.
 * {@link isFirebreakError} recognises one across module copies (jest's registries, a second bundle), where
 * `instanceof` does not.
 */

/** Base class of every error Firebreak raises on purpose. */
export class FirebreakError extends Error {
  /** The stable code of errors of this class; a subclass declares its own (inherited when it does not). */
  static readonly code: string = 'FIREBREAK_ERROR';
  /** Stable, machine-readable code of this error (its class's {@link FirebreakError.code}), e.g. `INVALID_INPUT`. */
  public readonly code: string;

  /**
   * @param message - one line for a human.
   * @param options - `cause` is the underlying error (an SDK exception, a zod error, ...).
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const code = (new.target as typeof FirebreakError).code;
    // The name from the code's entry, not from the class: minified bundles rename classes (STEP_BUNDLING has no
    // `keepNames`), and the name is the Lambda errorType a Retry or Catch matches. A subclass without a code of its own
    // (tests only) keeps its class name.
    this.name = Object.hasOwn(new.target, 'code') && Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code] : new.target.name;
    this.code = code;
  }
}

/** The input (event, drill, option, config) is malformed. Nothing was touched. */
export class InvalidInput extends FirebreakError {
  static override readonly code: string = 'INVALID_INPUT';
}

/** The resource the playbook acts on no longer exists (e.g. a terminated instance). Not retried. */
export class ResourceGone extends FirebreakError {
  static override readonly code: string = 'RESOURCE_GONE';
}

/** AWS throttled the call after the SDK's own retries. The state machine retries with backoff. */
export class Throttled extends FirebreakError {
  static override readonly code: string = 'THROTTLED';
}

/** A transient AWS failure (5xx, timeout, eventual consistency). The state machine retries it. */
export class TransientAwsError extends FirebreakError {
  static override readonly code: string = 'TRANSIENT_AWS_ERROR';
}

/** The responder is not allowed to make a call, or cannot assume the role in the member account. */
export class AccessDenied extends FirebreakError {
  static override readonly code: string = 'ACCESS_DENIED';
}

/** Reading back after a containment step showed the intended state does not hold. Never retried. */
export class VerificationFailed extends FirebreakError {
  static override readonly code: string = 'VERIFICATION_FAILED';
}

/** Evidence (snapshot, copy) did not complete before its deadline, or ended in the `error` state. */
export class EvidenceIncomplete extends FirebreakError {
  static override readonly code: string = 'EVIDENCE_INCOMPLETE';
}

/**
 * A snapshot offered as evidence is not one the case recorded, or does not match its record (owner, source
 * volume, key, start time, size): evidence must be Firebreak's own (issue 11). Never retried.
 */
export class EvidenceProvenance extends FirebreakError {
  static override readonly code: string = 'EVIDENCE_PROVENANCE';
}

/**
 * Another execution holds the lease on an evidence stage's create call for a volume (its recent intent, within the
 * snapshot steps' Lambda timeout: its create call may be under way and not yet recorded), so this run makes none: EC2's
 * CreateSnapshots and CopySnapshot take no ClientToken, and two live runs creating would leave a duplicate. The state
 * machine retries it (ec2-compromise's evidence states) until the record appears or the lease expires.
 */
export class EvidenceCreateInProgress extends FirebreakError {
  static override readonly code: string = 'EVIDENCE_CREATE_IN_PROGRESS';
}

/** A change made moments ago does not read back yet (IAM is eventually consistent). The state machine retries it. */
export class NotYetConsistent extends FirebreakError {
  static override readonly code: string = 'NOT_YET_CONSISTENT';
}

/** The case's claim was taken over by another execution (its lease expired); this one must stop. */
export class ClaimLost extends FirebreakError {
  static override readonly code: string = 'CLAIM_LOST';
}

/** The configuration (cdk.json context, config file, runtime environment) is invalid. */
export class ConfigError extends FirebreakError {
  static override readonly code: string = 'CONFIG_ERROR';
}

/** The local emulator could not be installed or started. */
export class EmulatorUnavailable extends FirebreakError {
  static override readonly code: string = 'EMULATOR_UNAVAILABLE';
}

/**
 * An AWS quota stops a containment step: e.g. an IAM user already has the most managed policies IAM
 * allows ("IAM and AWS STS quotas", IAM User Guide), so AWSDenyAll cannot be attached. Not retried:
 * the case fails loudly and a person acts (the runbook says how).
 */
export class QuotaExceeded extends FirebreakError {
  static override readonly code: string = 'QUOTA_EXCEEDED';
}

/** The operator stopped a long run (Ctrl-C, SIGTERM): what it started is cleaned up before the process exits. */
export class Interrupted extends FirebreakError {
  static override readonly code: string = 'INTERRUPTED';
}

/**
 * Every stable code and the class that raises it, including the release playbook's (lib/runtime/release/errors.ts
 * declares `RELEASE_BLOCKED` and `NOT_RELEASABLE` on its classes). A test keeps this table, the classes and their
 * codes in step, and every code unique.
 */
export const ERROR_CODES: Readonly<Record<string, string>> = {
  FIREBREAK_ERROR: 'FirebreakError',
  INVALID_INPUT: 'InvalidInput',
  RESOURCE_GONE: 'ResourceGone',
  THROTTLED: 'Throttled',
  TRANSIENT_AWS_ERROR: 'TransientAwsError',
  ACCESS_DENIED: 'AccessDenied',
  VERIFICATION_FAILED: 'VerificationFailed',
  EVIDENCE_INCOMPLETE: 'EvidenceIncomplete',
  EVIDENCE_PROVENANCE: 'EvidenceProvenance',
  EVIDENCE_CREATE_IN_PROGRESS: 'EvidenceCreateInProgress',
  NOT_YET_CONSISTENT: 'NotYetConsistent',
  CLAIM_LOST: 'ClaimLost',
  CONFIG_ERROR: 'ConfigError',
  EMULATOR_UNAVAILABLE: 'EmulatorUnavailable',
  QUOTA_EXCEEDED: 'QuotaExceeded',
  INTERRUPTED: 'Interrupted',
  RELEASE_BLOCKED: 'ReleaseBlocked',
  NOT_RELEASABLE: 'NotReleasable',
};

/**
 * Whether a value is an error Firebreak raised on purpose: an instance of {@link FirebreakError}, or an `Error`
 * from another copy of this module (or realm) whose `code` is one of {@link ERROR_CODES} and whose `name` is that code's
 * class (a subclass may keep its parent's code under its own name only through `instanceof`).
 * @param err - anything caught.
 * @returns `true` for a Firebreak error; `false` for everything else (SDK errors, `TypeError`s, non-errors).
 */
export function isFirebreakError(err: unknown): err is FirebreakError {
  if (err instanceof FirebreakError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const { code, name } = err as { code?: unknown; name?: unknown };
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) && ERROR_CODES[code] === name;
}
