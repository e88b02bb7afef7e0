import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import { caseEvidencePrefix } from '../../evidence/manifest';
import { recordArtifactManifest } from '../artifact-manifest';
import { ensureBucketPreserved } from '../../s3/preserve';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { bucketOf, priorRecorder } from './common';

/**
 * PreserveBucket (s3-compromise): versioning on and the bucket's policy, ACL, public access block, versioning and a
 * bounded listing of its object versions into the evidence bucket ({@link ensureBucketPreserved}), then the manifest
 * (`manifest.json`: every artifact with its SHA-256, no snapshots), recorded on the case. Runs before ContainBucket, so
 * the evidence shows the bucket as the finding found it. A re-run keeps the first artifacts and manifest (write once).
 * @throws {ResourceGone} when the bucket is gone. {@link InvalidInput} for a dry run (PlanDryRun plans instead).
 */
export async function preserveBucket(state: PlaybookState, deps: StepDeps) {
  if (state.incident.dryRun) throw new InvalidInput('PreserveBucket does not run on a dry run (PlanDryRun plans it)');
  const i = state.incident;
  const b = bucketOf(state);
  const member = deps.clients.member(i.account, i.region);
  const { s3 } = deps.clients.security();
  return runStep('PreserveBucket', caseTarget(state, deps.ledger), async (run) => {
    const prefix = caseEvidencePrefix(i.account, state.case.caseId);
    const evidence = { s3, bucket: deps.config.evidenceBucket, prefix, kmsKeyId: deps.config.evidenceKeyArn };
    const preserved = await ensureBucketPreserved(
      member.s3,
      b.bucketName,
      'apply',
      priorRecorder(deps.ledger, state.case.caseId),
      evidence,
    );
    const recorded = await recordArtifactManifest(state, deps, run, s3, prefix, preserved.artifacts, preserved.actions);
    return { ...preserved, manifest: recorded };
  });
}
