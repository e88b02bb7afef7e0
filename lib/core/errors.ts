/**
 * Firebreak's public error types.
 *
 * Step Functions Retry and Catch match on an error's `name` (the Lambda `errorType`), so every
 * class name here is part of the public API: renaming one is a breaking change.
 * See DESIGN.md §4 and §7 ("Errors are public API").
 */

/** Base class of every error Firebreak raises on purpose. `code` is stable and machine-readable. */
export class FirebreakError extends Error {
  /** Stable identifier, equal to the class name, that scripts and state machines match on. */
  public readonly code: string;

  /**
   * @param message - one line for a human.
   * @param options - `cause` is the underlying error (an SDK exception, a zod error, ...).
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = new.target.name;
  }
}

/** The input (event, drill, option, config) is malformed. Nothing was touched. */
export class InvalidInput extends FirebreakError {}

/** The resource the playbook acts on no longer exists (e.g. a terminated instance). Not retried. */
export class ResourceGone extends FirebreakError {}

/** AWS throttled the call after the SDK's own retries. The state machine retries with backoff. */
export class Throttled extends FirebreakError {}

/** A transient AWS failure (5xx, timeout, eventual consistency). The state machine retries it. */
export class TransientAwsError extends FirebreakError {}

/** The responder is not allowed to make a call, or cannot assume the role in the member account. */
export class AccessDenied extends FirebreakError {}

/** Reading back after a containment step showed the intended state does not hold. Never retried. */
export class VerificationFailed extends FirebreakError {}

/** Evidence (snapshot, copy) did not complete before its deadline, or ended in the `error` state. */
export class EvidenceIncomplete extends FirebreakError {}

/**
 * A snapshot offered as evidence is not one the case recorded, or does not match its record (owner, source
 * volume, key, start time, size): evidence must be Firebreak's own (issue 11). Never retried.
 */
export class EvidenceProvenance extends FirebreakError {}

/** A change made moments ago does not read back yet (IAM is eventually consistent). The state machine retries it. */
export class NotYetConsistent extends FirebreakError {}

/** The case's claim was taken over by another execution (its lease expired); this one must stop. */
export class ClaimLost extends FirebreakError {}

/** The configuration (cdk.json context, config file, runtime environment) is invalid. */
export class ConfigError extends FirebreakError {}

/** The local emulator could not be installed or started. */
export class EmulatorUnavailable extends FirebreakError {}

/**
 * An AWS quota stops a containment step: e.g. an IAM user already has the most managed policies IAM
 * allows ("IAM and AWS STS quotas", IAM User Guide), so AWSDenyAll cannot be attached. Not retried:
 * the case fails loudly and a person acts (the runbook says how).
 */
export class QuotaExceeded extends FirebreakError {}

/** The operator stopped a long run (Ctrl-C, SIGTERM): what it started is cleaned up before the process exits. */
export class Interrupted extends FirebreakError {}
