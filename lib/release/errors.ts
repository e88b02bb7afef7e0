import { FirebreakError } from '../errors';

/**
 * Release cannot proceed safely: the recorded prior state cannot be put back as it was (a recorded
 * security group was deleted since containment, or an ENI sits on a Firebreak group with no recorded
 * groups to return to). Raised after reading and before any mutating call, so nothing was changed.
 * Not retried: a person must decide what the ENI's groups should be (the runbook's manual release,
 * `runbooks/ec2-compromise/runbook.md` §5).
 *
 * `code` and `name` are `ReleaseBlocked` (Step Functions Catch matches on the name).
 */
export class ReleaseBlocked extends FirebreakError {
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
