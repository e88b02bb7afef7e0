import { FirebreakError, InvalidInput } from '../../core/errors';

/**
 * Release cannot proceed safely: the recorded prior state cannot be put back as it was (a recorded
 * security group was deleted since containment, or an ENI sits on a Firebreak group with no recorded
 * groups to return to). Raised after reading and before any mutating call, so nothing was changed.
 * Not retried: a person must decide what the ENI's groups should be (the runbook's manual release,
 * `runbooks/ec2-compromise/runbook.md` §5).
 *
 * `name` is `ReleaseBlocked` (Step Functions Catch matches on it); `code` is `RELEASE_BLOCKED`.
 */
export class ReleaseBlocked extends FirebreakError {
  static override readonly code: string = 'RELEASE_BLOCKED';
  /** One line per blocker, e.g. `eni-0abc: recorded security group sg-0123 no longer exists`. */
  public readonly blockers: readonly string[];

  /**
   * @param message - one line for a human.
   * @param blockers - every reason found (all are listed, not only the first).
   * @param options - `cause`, when there is an underlying error.
   */
  constructor(message: string, blockers: readonly string[], options?: { cause?: unknown }) {
    super(message, options);
    this.blockers = blockers;
  }
}

/**
 * The case cannot be released: there is no such case, or its status says containment changed nothing
 * that release could undo (`NOTIFIED`, `RESOURCE_GONE`, a `FAILED` case with no recorded prior state),
 * or that containment is still running (`IN_PROGRESS`). Raised by the release playbook's LoadCase
 * before any AWS call in the member account, so nothing was changed. Not retried.
 *
 * An {@link InvalidInput}: the request names a case that release does not apply to. `name` is
 * `NotReleasable` (Step Functions Catch matches on it); `code` is `NOT_RELEASABLE`.
 */
export class NotReleasable extends InvalidInput {
  static override readonly code: string = 'NOT_RELEASABLE';
  /** The case's status when it exists. */
  public readonly caseStatus?: string;

  /**
   * @param message - one line for a human, naming the case and why.
   * @param caseStatus - the case's status, when the case exists.
   */
  constructor(message: string, caseStatus?: string) {
    super(message);
    this.caseStatus = caseStatus;
  }
}
