import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import { caseEvidencePrefix } from '../../evidence/manifest';
import { recordArtifactManifest } from '../artifact-manifest';
import { ensureFunctionPreserved } from '../../lambda/preserve';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { functionOf, functionRecorder } from './common';

/**
 * PreserveFunction (lambda-compromise): the evidence version published (or found) and recorded on the case, the
 * function's configuration (environment variable names only), its code package (checked against `CodeSha256`), its
 * resource policy, function URL, event source mappings and reserved concurrency into the evidence bucket
 * ({@link ensureFunctionPreserved}), then the manifest (`manifest.json`: every artifact with its SHA-256), recorded on
 * the case. Runs after ContainFunction (throttling changes neither code nor configuration; a preservation that fails
 * never leaves the function running), so `reserved-concurrency.json` reads 0: the value before is the case's
 * `priorState.reservedConcurrency`. A re-run keeps the first artifacts, version and manifest.
 * @throws {ResourceGone} when the function is gone. {@link InvalidInput} for a dry run (PlanDryRun plans instead).
 */
export async function preserveFunction(state: PlaybookState, deps: StepDeps) {
  if (state.incident.dryRun) throw new InvalidInput('PreserveFunction does not run on a dry run (PlanDryRun plans it)');
  const i = state.incident;
  const f = functionOf(state);
  const member = deps.clients.member(i.account, i.region);
  const { s3 } = deps.clients.security();
  return runStep('PreserveFunction', caseTarget(state, deps.ledger), async (run) => {
    const prefix = caseEvidencePrefix(i.account, state.case.caseId);
    const evidence = { s3, bucket: deps.config.evidenceBucket, prefix, kmsKeyId: deps.config.evidenceKeyArn };
    const input = { functionName: f.functionName, caseId: state.case.caseId };
    const preserved = await ensureFunctionPreserved(
      member.lambda,
      input,
      'apply',
      functionRecorder(deps.ledger, state.case.caseId),
      evidence,
    );
    const recorded = await recordArtifactManifest(state, deps, run, s3, prefix, preserved.artifacts, preserved.actions);
    return { ...preserved, manifest: recorded };
  });
}
