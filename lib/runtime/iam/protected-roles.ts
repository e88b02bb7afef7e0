/** Which principals Firebreak never touches: a pure rule (no AWS call), for Decide as well as containment and release. */

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
  if (path.toLowerCase().startsWith('/aws-service-role/') || lower.startsWith('awsservicerolefor'))
    return `${roleName} is a service-linked role`;
  // FirebreakSecurity-/FirebreakMember-: roles CloudFormation names after the stacks (single-account mode).
  if (/^(firebreakresponder|firebreakreleaser|firebreaksecurity-|firebreakmember-|firebreak-)/.test(lower))
    return `${roleName} is one of Firebreak's own roles`;
  return undefined;
}
