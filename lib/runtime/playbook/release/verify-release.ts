import { NotYetConsistent } from '../../../core/errors';
import { verifyCredentialsReleased } from '../../release/release-credentials';
import { verifyInstanceReleased } from '../../release/release-instance';
import { verifyBucketReleased } from '../../s3/release';
import { verifyFunctionReleased } from '../../lambda/release';
import { readPubliclyAccessible } from '../../rds/public-access';
import type { StepDeps } from '../deps-base';
import { runStep } from '../run-step';
import { ReleaseState } from '../../../core/contracts/state';
import {
  releaseKind,
  ReleaseKind,
  releaseTarget,
  caseRecord,
  credentialsInput,
  instanceCredentialsInput,
  priorOf,
  restoreOf,
} from './common';
import { releaserClients } from './releaser';
import '../../clients/s3';
import '../../clients/lambda';
import '../../clients/rds';

/**
 * VerifyRelease: reads the member account back through the releaser role. What does not read back
 * yet raises {@link NotYetConsistent} (IAM, and EC2's API, are eventually consistent), which the state
 * machine retries with a bounded backoff before it fails the execution.
 */
export async function verifyRelease(state: ReleaseState, deps: StepDeps): Promise<{ verified: boolean; kind: ReleaseKind }> {
  const kind = releaseKind(state.case);
  return runStep('VerifyRelease', releaseTarget(state, deps), async () => {
    if (kind === 'nothing') return { verified: true, kind };
    const record = await caseRecord(state, deps);
    const member = releaserClients(state, deps);
    const prior = priorOf(record);
    if (kind === 'database') {
      // Read back only what ReleaseDatabase restored: public accessibility back on.
      const restored = (restoreOf(state) as { outcome?: string; dbInstanceIdentifier?: string }).outcome === 'restored';
      const id = (restoreOf(state) as { dbInstanceIdentifier?: string }).dbInstanceIdentifier;
      if (restored && id && !(await readPubliclyAccessible(member.rds, id)))
        throw new NotYetConsistent(`DB instance ${id} does not read PubliclyAccessible true yet`);
      return { verified: true, kind };
    }
    if (kind === 'bucket') {
      const r = record.incident.resource;
      // The parts ReleaseBucket had to leave (not restored) are not read back as released.
      if (r.type === 'S3Bucket') await verifyBucketReleased(member.s3, r.bucketName, prior, restoreOf(state).notRestored ?? []);
      return { verified: true, kind };
    }
    if (kind === 'function') {
      const r = record.incident.resource;
      const roles = [deps.config.responderRoleName, deps.config.releaserRoleName];
      const problems =
        r.type === 'LambdaFunction'
          ? await verifyFunctionReleased({ lambda: member.lambda, iam: member.iam }, r.functionName, prior, roles)
          : [];
      if (problems.length) throw new NotYetConsistent(`Release of ${state.case.resourceId} does not read back yet: ${problems.join('; ')}`);
      return { verified: true, kind };
    }
    const problems =
      kind === 'instance'
        ? await verifyInstanceReleased(
            {
              instanceId: state.case.resourceId,
              preserve: prior.preserve,
              isolate: prior.isolate,
              credentials: instanceCredentialsInput(record),
            },
            { ec2: member.ec2, autoScaling: member.autoScaling, elbv2: member.elbv2, iam: member.iam },
          )
        : await verifyCredentialsReleased(credentialsInput(record, deps), { iam: member.iam });
    if (problems.length) throw new NotYetConsistent(`Release of ${state.case.resourceId} does not read back yet: ${problems.join('; ')}`);
    return { verified: true, kind };
  });
}
