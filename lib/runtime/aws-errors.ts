import { AccessDenied, FirebreakError, Throttled, TransientAwsError } from '../errors';

const THROTTLE_CODES = new Set([
  'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException',
  'ProvisionedThroughputExceededException', 'RequestThrottled', 'SlowDown', 'RequestThrottledException',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
const DENIED_CODES = new Set([
  'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthFailure',
  'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException',
]);

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

/**
 * Maps an SDK exception onto Firebreak's named errors, which the state machine's Retry and Catch
 * match on. Firebreak errors pass through unchanged.
 *
 * - throttling codes ("Error retries and exponential backoff in AWS", AWS SDKs and Tools Reference) → {@link Throttled}
 * - 5xx responses, timeouts and network errors → {@link TransientAwsError}
 * - denials and bad credentials → {@link AccessDenied}
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
  if (code && THROTTLE_CODES.has(code)) return new Throttled(`${where}${code}: ${message}`, { cause: err });
  if (code && DENIED_CODES.has(code)) return new AccessDenied(`${where}${code}: ${message}`, { cause: err });
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  // Network errors from Node carry the errno in `code` and a generic `name` ('Error').
  const errno = (err as { code?: unknown } | undefined)?.code;
  // Across realms (e.g. a test VM) the SDK wraps such an error and only its message keeps the code.
  const network = (typeof errno === 'string' && NETWORK_CODES.has(errno)) ||
    (code === 'Error' && [...NETWORK_CODES].some((c) => message.includes(c)));
  const transient =
    network || (status !== undefined && status >= 500) ||
    code === 'TimeoutError' || code === 'ECONNRESET' || code === 'ECONNREFUSED' ||
    code === 'InternalError' || code === 'InternalFailure' || code === 'ServiceUnavailable';
  if (transient) return new TransientAwsError(`${where}${code ?? status}: ${message}`, { cause: err });
  return err;
}

/** True when `err` is an AWS error with one of the given codes. */
export function hasAwsCode(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}
