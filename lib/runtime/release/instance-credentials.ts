import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { hasAwsCode } from '../aws-errors';
import { instanceCredentialsDenyPolicy, InstanceCredentialsPriorState, readRolePolicyText } from '../iam/instance-credentials';
import { policyText, ROLE_SESSION_REVOCATION_POLICY_NAME, roleSessionRevocationPolicy } from '../iam/policies';
import type { RolePriorState } from '../iam/revoke';
import { emptyAssessment, ReleaseAssessment } from './plan';
import '../clients/iam';

/** What an ec2-compromise case recorded about the instance role (issue 15), for its release. */
export interface InstanceCredentialsReleaseInput {
  /** The contained instance's ARN: the deny Firebreak wrote is the one of this ARN. */
  readonly instanceArn: string;
  /** `priorState.instanceCredentials`: the per-instance deny's role, name and the document it replaced, if any. */
  readonly deny?: InstanceCredentialsPriorState;
  /** `priorState.role` and `decisions.revocationCutoff`, when the case revoked the role's older sessions (option). */
  readonly olderSessions?: { readonly role: RolePriorState; readonly cutoff: string };
}

/** Ignores NoSuchEntity from a delete (someone, or a concurrent release, deleted it first). */
async function deleteRolePolicy(iam: IAMClient, roleName: string, policyName: string): Promise<void> {
  try {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
  } catch (err) {
    if (!hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) throw err;
  }
}

/**
 * One inline policy back to its recorded state: `ours` is exactly what this case wrote, `previous` what the role had
 * under that name before (absent: nothing). Ours (or nothing) with a previous document → that document put back;
 * ours with none before → deleted; the previous document or nothing → unchanged; anything else → left as it is, reported.
 */
function assessPolicy(
  iam: IAMClient,
  p: { roleName: string; policyName: string; current?: string; ours: string; previous?: string; what: string },
  out: ReleaseAssessment,
): void {
  const target = `role/${p.roleName}/${p.policyName}`;
  if (p.previous !== undefined && p.current === p.previous) {
    out.unchanged.push({ item: 'inline-policy', target, detail: 'the document from before containment' });
  } else if (p.previous !== undefined && (p.current === undefined || p.current === p.ours)) {
    const previous = p.previous;
    out.changes.push({
      phase: 1,
      action: {
        operation: 'IAM.PutRolePolicy',
        target: p.roleName,
        change: `restore inline ${p.policyName} to its document from before containment`,
      },
      run: () => iam.send(new PutRolePolicyCommand({ RoleName: p.roleName, PolicyName: p.policyName, PolicyDocument: previous })),
    });
  } else if (p.current === undefined) {
    out.unchanged.push({ item: 'inline-policy', target, detail: 'absent' });
  } else if (p.current === p.ours) {
    out.changes.push({
      phase: 1,
      action: { operation: 'IAM.DeleteRolePolicy', target: p.roleName, change: `delete inline ${p.policyName} (${p.what})` },
      run: () => deleteRolePolicy(iam, p.roleName, p.policyName),
    });
  } else {
    out.notRestored.push({
      item: 'inline-policy',
      target,
      detail: `its document is not the ${p.what} this case wrote, nor the one from before containment; left as it is`,
    });
  }
}

/**
 * Assesses (reads only) the release of what DenyInstanceCredentials wrote on the instance's role: the per-instance deny
 * (`FirebreakDenyInstanceCredentials-<instance>`) is deleted only when its text is exactly the one Firebreak writes for
 * this instance's ARN; the session revocation (option `revokeInstanceRoleSessions`) only when its text is exactly this
 * case's (its recorded cutoff), so a later case's revocation on the same role is never lifted; a document the role had
 * before containment is put back. Reads: IAM GetRolePolicy (a role deleted since reads as no policy: nothing to do).
 * @param input - the instance's ARN and what the case recorded.
 * @param iam - an IAM client in the instance's account (the releaser's).
 * @returns the changes, what matched and what is left as it is.
 */
export async function assessInstanceCredentialsRelease(input: InstanceCredentialsReleaseInput, iam: IAMClient): Promise<ReleaseAssessment> {
  const out = emptyAssessment();
  const { deny, olderSessions } = input;
  const [denyText, revocationText] = await Promise.all([
    deny ? readRolePolicyText(iam, deny.roleName, deny.policyName) : undefined,
    olderSessions ? readRolePolicyText(iam, olderSessions.role.roleName, ROLE_SESSION_REVOCATION_POLICY_NAME) : undefined,
  ]);
  if (deny) {
    const ours = policyText(instanceCredentialsDenyPolicy(input.instanceArn));
    assessPolicy(
      iam,
      { ...deny, current: denyText, ours, previous: deny.previousPolicy, what: `deny of ${input.instanceArn}'s credentials` },
      out,
    );
  }
  if (olderSessions) {
    const ours = policyText(roleSessionRevocationPolicy(new Date(olderSessions.cutoff)));
    const { roleName, previousRevocationPolicy: previous } = olderSessions.role;
    assessPolicy(
      iam,
      {
        roleName,
        policyName: ROLE_SESSION_REVOCATION_POLICY_NAME,
        current: revocationText,
        ours,
        previous,
        what: `revocation of sessions before ${olderSessions.cutoff}`,
      },
      out,
    );
  }
  return out;
}
