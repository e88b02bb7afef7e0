import { IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { ResourceGone } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import '../clients/iam';

/** What containment (revoke.ts) and release (lib/runtime/release) both read about a principal; nothing here changes one. */

/**
 * Why a principal must never be touched: service-linked roles (their trust and permissions belong
 * to the AWS service: "Using service-linked roles", IAM User Guide) and Firebreak's own roles
 * (revoking them would disable the responder). Names are compared without regard to case, as IAM
 * does ("IAM user, group, role, and policy names must be unique within the account. Names are not
 * distinguished by case": CreateRole, IAM API Reference), so `firebreakresponder` is protected too.
 * @returns the reason, or undefined when the role may be acted on.
 */
export function protectedRoleReason(roleName: string, path = '/', protectedRoleNames: readonly string[] = []): string | undefined {
  const lower = roleName.toLowerCase();
  if (protectedRoleNames.some((n) => n.toLowerCase() === lower)) return `${roleName} is one of Firebreak's own roles`;
  if (path.toLowerCase().startsWith('/aws-service-role/') || lower.startsWith('awsservicerolefor')) return `${roleName} is a service-linked role`;
  // FirebreakSecurity-/FirebreakMember-: roles CloudFormation names after the stacks (single-account mode).
  if (/^(firebreakresponder|firebreakreleaser|firebreaksecurity-|firebreakmember-|firebreak-)/.test(lower)) return `${roleName} is one of Firebreak's own roles`;
  return undefined;
}

/**
 * The managed policies attached to an IAM user (ListAttachedUserPolicies, every page; IAM API reference).
 * @returns their ARNs.
 * @throws {ResourceGone} when the user no longer exists (NoSuchEntity).
 */
export async function listAttachedUserPolicyArns(iam: IAMClient, userName: string): Promise<string[]> {
  const arns: string[] = [];
  let marker: string | undefined;
  try {
    do {
      const page = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName, Marker: marker }));
      arns.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn!));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) throw new ResourceGone(`IAM user ${userName} no longer exists`, { cause: err });
    throw err;
  }
  return arns;
}
