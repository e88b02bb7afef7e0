/**
 * Names the stacks (lib/infra) and the runtime (lib/runtime) must agree on, in one place both import: neither
 * layer imports the other.
 */

/**
 * The ledger table's name. Fixed, like the state machines' names, so that the CLI finds a deployment's
 * ledger from the account and region alone (`firebreak cases`, `status`, `run`).
 */
export const LEDGER_TABLE_NAME = 'firebreak-ledger';

/** Key prefix of the received events in the evidence bucket; Normalize may write under it and nowhere else. */
export const RECEIVED_EVENTS_PREFIX = 'received-events/';

/**
 * AWS's managed deny-all policy, which Firebreak attaches to contain an IAM user: one statement,
 * `Deny *` on `*` ("AWSDenyAll", AWS Managed Policy Reference). An explicit deny wins over every
 * allow, so it blocks the API and the console for every key and session of the user ("Policy
 * evaluation logic", IAM User Guide). A managed policy, not an inline one, because attaching it can
 * be allowed for this one ARN only (`iam:PolicyARN`, "IAM: Limits managed policies that can be
 * applied to an IAM user, group, or role", IAM User Guide), whereas IAM has no condition key for an
 * inline policy's name or document: the responder cannot write any other policy on a user.
 */
export const AWS_DENY_ALL_POLICY_NAME = 'AWSDenyAll';

/** How long a NotFound answer is retried before the instance is taken to be gone, by default: 30 s. */
export const DEFAULT_NOT_FOUND_GRACE_SECONDS = 30;
