import { GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { NotYetConsistent } from '../../../core/errors';
import { roleRevocationProblem, userRevocationProblem } from '../../iam/revoke';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { PlaybookState } from '../../../core/contracts/state';
import type * as z from 'zod';
import type { TamperVerificationSchema } from '../../../core/contracts/containment-results';
import { apiCall } from './restore';
import '../../clients/cloudtrail';
import '../../clients/assume-role';

/** What VerifyTamperResponse read back (`$.verify`). */
type TamperVerification = z.infer<typeof TamperVerificationSchema>;

/**
 * VerifyTamperResponse: reads back that the trail logs again (after StopLogging) and that the actor's
 * credentials are revoked. What does not read back yet raises {@link NotYetConsistent} (retried).
 */
export async function verifyTamperResponse(state: PlaybookState, deps: StepDeps) {
  const r = apiCall(state);
  const { iam, cloudtrail } = deps.clients.member(state.incident.account, state.incident.region);
  return runStep('VerifyTamperResponse', caseTarget(state, deps.ledger), async () => {
    const out: TamperVerification = {};
    if (state.restore?.trailState === 'logging' && r.target) {
      const status = await cloudtrail.send(new GetTrailStatusCommand({ Name: r.target }));
      if (!status.IsLogging) throw new NotYetConsistent(`trail ${r.target} is not logging yet`);
      out.trailLogging = true;
    }
    const rev = state.revocation;
    const problem = rev?.userName
      ? await userRevocationProblem(iam, rev.userName, rev.accessKeyId)
      : rev?.roleName && rev.cutoff && !rev.protectedReason
        ? await roleRevocationProblem(iam, rev.roleName, rev.cutoff)
        : undefined;
    if (problem) throw new NotYetConsistent(problem);
    if (rev?.userName || (rev?.roleName && rev.cutoff && !rev.protectedReason)) out.actorRevoked = true;
    return out;
  });
}
