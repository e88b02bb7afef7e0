import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import { ensureTaskPreserved } from '../../ecs/preserve';
import { caseEvidencePrefix } from '../../evidence/manifest';
import { recordArtifactManifest } from '../artifact-manifest';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { taskTargetOfState } from './common';

/**
 * PreserveTask (ecs-task-compromise): the task, its definition (environment values hashed), its ENIs and its service
 * into the evidence bucket ({@link ensureTaskPreserved}), then the manifest (`manifest.json`: every artifact with its
 * SHA-256), recorded on the case. Read-only in the member account; runs before StopTask, so the evidence shows the task
 * as the finding found it (StopTask deletes its tags; ECS forgets a stopped task after about an hour). A re-run keeps the
 * first artifacts and manifest (write once).
 * @throws {ResourceGone} when ECS no longer describes the task. {@link InvalidInput} for a dry run.
 */
export async function preserveTask(state: PlaybookState, deps: StepDeps) {
  if (state.incident.dryRun) throw new InvalidInput('PreserveTask does not run on a dry run (PlanDryRun plans it)');
  const i = state.incident;
  const t = taskTargetOfState(state);
  const member = deps.clients.member(i.account, i.region);
  const { s3 } = deps.clients.security();
  return runStep('PreserveTask', caseTarget(state, deps.ledger), async (run) => {
    const prefix = caseEvidencePrefix(i.account, state.case.caseId);
    const evidence = { s3, bucket: deps.config.evidenceBucket, prefix, kmsKeyId: deps.config.evidenceKeyArn };
    const preserved = await ensureTaskPreserved({ ecs: member.ecs, ec2: member.ec2 }, t, 'apply', evidence);
    const recorded = await recordArtifactManifest(state, deps, run, s3, prefix, preserved.artifacts);
    return { ...preserved, manifest: recorded };
  });
}
