import { isClockSkewError, isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';
import { AccessDenied, FirebreakError, QuotaExceeded, Throttled, TransientAwsError } from '../core/errors';

/**
 * Node's errno codes of a failed connection. The SDK's classifier (`isTransientError`) reads them from an
 * error's `code`; this list is only for the case it cannot see: across realms (a test VM) the SDK wraps
 * such an error and only its message keeps the code.
 */
const NETWORK_CODES = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH'];
/**
 * Denials and bad credentials: Firebreak's own table, checked before the SDK's classifiers (whose clock-skew
 * list also holds `AccessDeniedException` and `AuthFailure`, which the SDK retries only after it corrected
 * its clock; once its attempts are spent they are denials).
 */
const DENIED_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
]);

/**
 * IAM's quota error: `LimitExceeded` on the wire, HTTP 409 ("Error codes", IAM API Reference, e.g.
 * AttachUserPolicy, PutRolePolicy), which the SDK raises as `LimitExceededException`. The SDK's throttling list
 * holds that name (it is Kinesis' throttling error), so without this the state machine would retry a quota that
 * no retry can lift (10 managed policies per user, 10,240 bytes of inline policy per role) for minutes and report
 * it as throttling.
 */
function isIamQuotaError(code: string | undefined, status: number | undefined, operation: string | undefined): boolean {
  return (code === 'LimitExceeded' || code === 'LimitExceededException') && (status === 409 || !!operation?.startsWith('IAM.'));
}

/**
 * Errors AWS documents as "wait and try again" that the SDK's classifiers do not list, for the calls Firebreak
 * makes: EC2's per-volume snapshot rate and concurrent-snapshot limits and its in-progress-copies limit ("Error
 * codes for the Amazon EC2 API", EC2 API Reference: `SnapshotCreationPerVolumeRateExceeded`, "wait at least 15
 * seconds between concurrent volume snapshots"; `ConcurrentSnapshotLimitExceeded`, wait until the pending
 * snapshots complete; `ResourceLimitExceeded`, e.g. too many snapshot copies in progress), and IAM's
 * `ConcurrentModification` ("Error codes", IAM API Reference: "wait a few minutes and submit your request
 * again"). A member principal can provoke the EC2 ones (CreateSnapshot on the instance's volume in a loop):
 * retried, not failed at once.
 */
const THROTTLING_CODES = new Set([
  'SnapshotCreationPerVolumeRateExceeded',
  'ConcurrentSnapshotLimitExceeded',
  'ResourceLimitExceeded',
  'ConcurrentModification',
  'ConcurrentModificationException',
]);
/** DynamoDB's transaction conflict ("TransactWriteItems", DynamoDB API Reference: the transaction may be retried). */
const TRANSIENT_CODES = new Set(['TransactionConflictException']);

/** The error code of an SDK v3 exception (`name`, or `Code` for some query protocols). */
export function awsErrorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    if (typeof e.Code === 'string') return e.Code;
    if (typeof e.name === 'string') return e.name;
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

/** The error as the SDK's classifiers read it: `name` is the error code, the rest as it came. */
function asSdkError(err: unknown, code: string | undefined): SdkError {
  const e = (err && typeof err === 'object' ? err : {}) as SdkError;
  if (code === undefined || e.name === code) return e;
  // A query-protocol error whose `Code` differs from its `name`: the classifiers match on `name`.
  return Object.assign(Object.create(Object.getPrototypeOf(e) as object) as SdkError, e, { name: code, message: e.message });
}

/**
 * Maps an SDK exception onto Firebreak's named errors, which the state machine's Retry and Catch
 * match on. Firebreak errors pass through unchanged. What is throttling and what is transient is the
 * SDK's own decision, the classifiers its retry strategies use (`@smithy/core/retry`, formerly
 * `@smithy/service-error-classification`; "Retry behavior", AWS SDKs and Tools Reference Guide), so an
 * error the SDK would have retried is retried by the state machine too once the SDK's attempts are spent:
 *
 * - denials and bad credentials (Firebreak's table, first) → {@link AccessDenied}
 * - IAM's quota error (`LimitExceeded`, HTTP 409 or an `IAM.` operation) → {@link QuotaExceeded}, never retried
 * - Firebreak's short table of documented wait-and-retry codes the SDK does not list ({@link THROTTLING_CODES}), or
 *   `isThrottlingError` of the error as coded or as the SDK named it (HTTP 429, `Throttling`, `RequestLimitExceeded`, `SlowDown`, `EC2ThrottledException`,
 *   `PriorRequestNotComplete`, `TransactionInProgressException`, …, or the `throttling` retry trait) → {@link Throttled}
 * - `isTransientError` (`TimeoutError`, `RequestTimeout`, HTTP 500/502/503/504, Node's connection errnos, the
 *   retryable trait, …), `isServerError` (any other 5xx) and `isClockSkewError` (`RequestTimeTooSkewed`,
 *   `RequestExpired`, …) → {@link TransientAwsError}; and a network errno only the message names (another realm)
 * - anything else is returned as it is (a programming error or an unexpected AWS answer).
 * @param err - the caught error.
 * @param operation - `Service.Operation`, for the message.
 * @returns the error to throw.
 */
export function mapAwsError(err: unknown, operation?: string): unknown {
  if (err instanceof FirebreakError) return err;
  const code = awsErrorCode(err);
  const where = operation ? `${operation}: ` : '';
  const message = err instanceof Error ? err.message : String(err);
  if (code && DENIED_CODES.has(code)) return new AccessDenied(`${where}${code}: ${message}`, { cause: err });
  if (!err || typeof err !== 'object') return err;
  const sdkError = asSdkError(err, code);
  const status = sdkError.$metadata?.httpStatusCode;
  if (isIamQuotaError(code, status, operation)) return new QuotaExceeded(`${where}${code}: ${message}`, { cause: err });
  // The classifiers read `name`: for a query-protocol error the wire code (SNS `Throttled`) and the SDK's exception
  // name (`ThrottledException`, in the SDK's throttling list) can differ, so both are asked.
  const original = err as SdkError;
  if (THROTTLING_CODES.has(code ?? '') || isThrottlingError(sdkError) || (original !== sdkError && isThrottlingError(original)))
    return new Throttled(`${where}${code ?? status}: ${message}`, { cause: err });
  const network = code === 'Error' && NETWORK_CODES.some((c) => message.includes(c));
  if (TRANSIENT_CODES.has(code ?? '') || isTransientError(sdkError) || isServerError(sdkError) || isClockSkewError(sdkError) || network) {
    return new TransientAwsError(`${where}${code ?? status}: ${message}`, { cause: err });
  }
  return err;
}

/** True when `err` is an AWS error with one of the given codes. */
export function hasAwsCode(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}
