import { protectedRoleReason } from '../iam/protected-roles';

/**
 * The principal an S3 finding names (`resource.accessKeyDetails`), as the ARN patterns of `aws:PrincipalArn` that
 * match it and nothing else, or why Firebreak cannot name it exactly (then it denies nobody: the case says why and a
 * person decides). Pure: no AWS call.
 *
 * The finding gives `userType` and `userName` ("Finding details", GuardDuty User Guide, Access key details:
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-summary.html), not the ARN, and not the IAM path.
 * `aws:PrincipalArn` holds the user's ARN for an IAM user and the role's ARN (not the session's) for an assumed role
 * ("AWS global condition context keys", IAM User Guide,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn),
 * both with the path: `arn:aws:iam::<account>:user/<path/>name`. User and role names are unique within an account
 * whatever their path ("IAM identifiers", IAM User Guide), so the two patterns `…:user/<name>` and `…:user/*\/<name>`
 * (`ArnLike`; `*` spans `/`) match that one principal and no other.
 *
 * Not named (a person decides):
 * - `Root`: the bucket owner's root user can always put or delete the bucket policy, whatever it denies ("Bucket
 *   policies", S3 User Guide), so a deny would not hold it;
 * - `FederatedUser`, `AWSService`, `AWSAccount` and any other type: their `aws:PrincipalArn` is not the
 *   user's or a role's ARN;
 * - a caller from another account (`service.action.awsApiCallAction.remoteAccountDetails`): the finding does not
 *   name the account of the principal exactly;
 * - a name with characters IAM names cannot hold (`[\w+=,.@-]`, at most 64), which could make a pattern match more;
 * - one of Firebreak's own roles or a service-linked role: never denied;
 * - `ANONYMOUS_PRINCIPAL` (GuardDuty's name for calls made without credentials: the bucket is public): the public access
 *   block is what closes that.
 */

/** What {@link offendingPrincipal} reads: the incident's S3 resource fields. */
export interface FindingPrincipal {
  readonly partition: string;
  /** The account that owns the bucket (the finding's `accountId`). */
  readonly account: string;
  /** `accessKeyDetails.userType`. */
  readonly userType?: string;
  /** `accessKeyDetails.userName`: the user's or the role's name. */
  readonly userName?: string;
  /** `remoteAccountDetails.accountId` when the caller came from another account. */
  readonly remoteAccountId?: string;
}

/** The principal, named exactly, or why not. */
export type NamedPrincipal =
  | { readonly named: true; readonly principalArn: string; readonly arnPatterns: readonly string[]; readonly userType: string }
  | { readonly named: false; readonly why: string };

/** IAM user and role names: "IAM object quotas" and CreateUser/CreateRole (`[\w+=,.@-]+`, 64 characters). */
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * The principal of an S3 finding, as `aws:PrincipalArn` patterns (see the module's comment).
 * @param p - the finding's principal fields.
 * @param protectedRoleNames - the deployment's responder and releaser role names (never denied).
 */
export function offendingPrincipal(p: FindingPrincipal, protectedRoleNames: readonly string[] = []): NamedPrincipal {
  const type = p.userType ?? '(none)';
  if (!p.userType) return { named: false, why: 'the finding names no principal (no accessKeyDetails)' };
  if (p.remoteAccountId && p.remoteAccountId !== p.account) {
    return { named: false, why: `the caller came from account ${p.remoteAccountId}: the finding does not name its principal's ARN` };
  }
  if (p.userName === 'ANONYMOUS_PRINCIPAL') {
    return {
      named: false,
      why: 'the calls were anonymous (the bucket is public): no principal ARN to deny; the public access block closes it',
    };
  }
  if (p.userType === 'Root') {
    return { named: false, why: 'the root user can always rewrite the bucket policy, so a deny in it would not hold: a person decides' };
  }
  const kind = p.userType === 'IAMUser' ? 'user' : p.userType === 'AssumedRole' ? 'role' : undefined;
  if (!kind) return { named: false, why: `${type} principals have no user or role ARN that aws:PrincipalArn holds: a person decides` };
  if (!p.userName || !IAM_NAME.test(p.userName)) {
    return { named: false, why: `the finding's ${kind} name is missing or not an IAM name: a person decides` };
  }
  if (kind === 'role') {
    const reason = protectedRoleReason(p.userName, '/', protectedRoleNames);
    if (reason) return { named: false, why: `${reason}: Firebreak never denies it` };
  }
  const base = `arn:${p.partition}:iam::${p.account}:${kind}`;
  return {
    named: true,
    userType: p.userType,
    principalArn: `${base}/${p.userName}`,
    arnPatterns: [`${base}/${p.userName}`, `${base}/*/${p.userName}`],
  };
}
