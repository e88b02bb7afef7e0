/**
 * Names the stacks (lib/infra) and the runtime (lib/runtime) must agree on, in one place both import: neither
 * layer imports the other.
 */

/**
 * The default name prefix of a deployment: every physical name Firebreak gives (table, state machines, roles,
 * rules, bus, topic, key alias, log groups, queues) starts with it (`firebreak-ledger`, `firebreak-<playbook>`).
 */
export const DEFAULT_NAME_PREFIX = 'firebreak';

/**
 * What a name prefix may be: 1 to 20 characters, lowercase letters, digits and hyphens, starting with a letter
 * and not ending with a hyphen. That fits every name it feeds: IAM role and Lambda function names
 * (`[\w+=,.@-]`, 64), EventBridge rule names (`[.\-_A-Za-z0-9]`, 64), event bus names, SNS topic and SQS queue
 * names (`[A-Za-z0-9_-]`, 256 and 80), DynamoDB table names (`[a-zA-Z0-9_.-]`), Step Functions state machine
 * names (80), KMS alias names (`alias/[a-zA-Z0-9/_-]`) and log group names; 20 characters leave room for the
 * longest suffix (`-gameday-credential-compromise-medium` on a rule, `-dlq` on its queue).
 */
export const NAME_PREFIX_PATTERN = /^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$/;

/**
 * The ledger table's name for a prefix. Derived from the prefix alone, like the state machines' names, so that
 * the CLI finds a deployment's ledger from the account, the region and the prefix (`firebreak cases`, `status`,
 * `run`).
 * @param prefix - the deployment's name prefix. @default DEFAULT_NAME_PREFIX
 * @returns `<prefix>-ledger`.
 */
export function ledgerTableName(prefix: string = DEFAULT_NAME_PREFIX): string {
  return `${prefix}-ledger`;
}

/** The ledger table's name with the default prefix: `firebreak-ledger`. */
export const LEDGER_TABLE_NAME = ledgerTableName();

/**
 * A playbook's state machine name for a prefix.
 * @param playbook - the playbook (`ec2-compromise`, `release`, ...).
 * @param prefix - the deployment's name prefix. @default DEFAULT_NAME_PREFIX
 * @returns `<prefix>-<playbook>`.
 */
export function stateMachineName(playbook: string, prefix: string = DEFAULT_NAME_PREFIX): string {
  return `${prefix}-${playbook}`;
}

/**
 * The prefix in PascalCase, for the names that have always been PascalCase (`FirebreakResponder`,
 * `FirebreakReleaser`, the stacks `FirebreakSecurity` and `FirebreakMember`).
 * @param prefix - a prefix matching {@link NAME_PREFIX_PATTERN}.
 * @returns `firebreak` → `Firebreak`, `blue-team` → `BlueTeam`.
 */
export function pascalPrefix(prefix: string): string {
  return prefix.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** A case ID as the ledger makes them (`newCaseId`, lib/runtime/ledger/claims.ts): `fb-<yyyymmdd>-<10 hex digits>` (UTC date). */
export const CASE_ID_PATTERN = /^fb-\d{8}-[0-9a-f]{10}$/;

/** Key prefix of the received events in the evidence bucket; Normalize may write under it and nowhere else. */
export const RECEIVED_EVENTS_PREFIX = 'received-events/';

/**
 * Key prefix of a case's evidence objects in the evidence bucket (`cases/<account>/<caseId>/`: artifacts, manifests);
 * CollectArtifacts and WriteManifest may write and read under it and nowhere else.
 */
export const CASE_EVIDENCE_PREFIX = 'cases/';

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
