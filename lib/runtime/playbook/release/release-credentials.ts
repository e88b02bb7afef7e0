import { ensureCredentialsReleased, CredentialsReleaseResult } from '../../release/release-credentials';
import type { StepDeps } from '../deps-base';
import { runStep } from '../run-step';
import { ReleaseState } from '../../../core/contracts/state';
import { releaseTarget, caseRecord, credentialsInput } from './common';
import { releaserClients } from './releaser';

/**
 * ReleaseCredentials: puts the revoked credentials back as the case recorded them
 * ({@link ensureCredentialsReleased}), through the releaser role. A removed console password cannot be
 * put back (it is reported as not restored).
 * @throws {ResourceGone} when the user or role is gone (nothing changed).
 */
export async function releaseCredentials(state: ReleaseState, deps: StepDeps): Promise<CredentialsReleaseResult> {
  const { iam } = releaserClients(state, deps);
  return runStep('ReleaseCredentials', releaseTarget(state, deps), async () => {
    const record = await caseRecord(state, deps);
    return ensureCredentialsReleased({ ...credentialsInput(record, deps), mode: 'apply' }, { iam });
  });
}
