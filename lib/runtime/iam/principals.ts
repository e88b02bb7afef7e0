import { IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { ResourceGone } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import '../clients/iam';

/** What containment (revoke.ts) and release (lib/runtime/release) both read about a principal; nothing here changes one. */

export { protectedRoleReason } from './protected-roles';

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
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException'))
      throw new ResourceGone(`IAM user ${userName} no longer exists`, { cause: err });
    throw err;
  }
  return arns;
}
