import { recordedIsolationGroups } from '../../ec2/isolation-groups';
import { ensureInstanceReleased, InstanceReleaseResult } from '../../release/release-instance';
import type { StepDeps } from '../deps-base';
import { runStep } from '../run-step';
import { ReleaseState } from '../../../core/contracts/state';
import { releaseTarget, caseRecord, instanceCredentialsInput, priorOf } from './common';
import { releaserClients } from './releaser';

/**
 * ReleaseInstance: puts the instance back as Preserve and Isolate recorded it, and lifts the instance role's deny scoped
 * to it (and the option's session revocation) that DenyInstanceCredentials wrote ({@link ensureInstanceReleased}),
 * through the releaser role. Evidence (snapshots, objects) is never touched.
 * @throws {ReleaseBlocked} when the recorded security groups cannot be put back (nothing changed).
 * @throws {ResourceGone} when the instance is gone (nothing changed).
 */
export async function releaseInstance(state: ReleaseState, deps: StepDeps): Promise<InstanceReleaseResult> {
  const member = releaserClients(state, deps);
  return runStep('ReleaseInstance', releaseTarget(state, deps), async () => {
    const record = await caseRecord(state, deps);
    const prior = priorOf(record);
    const firebreakGroupIds = recordedIsolationGroups(record?.decisions).flatMap((g) => [g.isolationGroupId, g.untrackGroupId]);
    return ensureInstanceReleased(
      {
        instanceId: state.case.resourceId,
        preserve: prior.preserve,
        isolate: prior.isolate,
        firebreakGroupIds,
        credentials: instanceCredentialsInput(record),
        mode: 'apply',
      },
      { ec2: member.ec2, autoScaling: member.autoScaling, elbv2: member.elbv2, iam: member.iam },
    );
  });
}
