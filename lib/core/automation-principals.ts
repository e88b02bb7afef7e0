import { globRegExp } from './glob';

/**
 * cloudtrail-tamper's known automation principals (deployment config `tamperAutomationPrincipals`, issue 14): the roles
 * whose changes to a trail that reduce logging get restore-and-notify (RestoreLogging, then a notification), never a
 * revocation of their sessions.
 *
 * An entry is a full IAM role ARN: partition, a 12-digit account ID and the role's path and name, where `*` may stand for
 * any run of characters in the path and name only (`arn:aws:iam::111111111111:role/automation/*`). A call matches when
 * the role behind its assumed-role session, CloudTrail's `userIdentity.sessionContext.sessionIssuer.arn` ("CloudTrail
 * userIdentity element", CloudTrail User Guide), is the ARN an entry names. It is never matched on the session name
 * (`userIdentity.arn`'s last part), which whoever calls `sts:AssumeRole` chooses freely, nor on a role name alone, which
 * any account can create: the account ID is part of every entry and cannot be a wildcard, so a role of the same name
 * in another account (or the same name under another path) is not trusted.
 */

/** What an entry must look like: `arn:<partition>:iam::<12 digits>:role/<path and name, `*` allowed>`. */
export const AUTOMATION_PRINCIPAL_PATTERN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/*-]{1,512}$/;

/** The message a malformed entry gets (the config's and the Lambda environment's). */
export const AUTOMATION_PRINCIPAL_MESSAGE =
  'must be a full IAM role ARN such as arn:aws:iam::111111111111:role/path/name (a 12-digit account ID; `*` only in the path and name)';

/** The most entries a deployment may list (they travel in every step's Lambda environment, 4 KB in all). */
export const MAX_AUTOMATION_PRINCIPALS = 20;

/** An entry as an anchored regular expression: `*` stands for any run of the characters of an IAM path or name. */
const entryRegex = (entry: string): RegExp => globRegExp(entry, '[\\w+=,.@/-]*');

/**
 * The entry of `principals` that names the role behind a call's session, if any.
 * @param principals - the deployment's `tamperAutomationPrincipals` (each matching {@link AUTOMATION_PRINCIPAL_PATTERN}).
 * @param actor - the call's actor: its `type` and the session issuer's ARN (`issuerArn`); only `AssumedRole` can match.
 * @returns the matching entry, or `undefined` (no issuer ARN, another identity type, or no entry names it).
 */
export function automationPrincipalOf(
  principals: readonly string[],
  actor: { readonly type: string; readonly issuerArn?: string },
): string | undefined {
  const arn = actor.issuerArn;
  if (actor.type !== 'AssumedRole' || !arn || !/^arn:[\w-]+:iam::\d{12}:role\//.test(arn)) return undefined;
  return principals.find((p) => AUTOMATION_PRINCIPAL_PATTERN.test(p) && entryRegex(p).test(arn));
}
