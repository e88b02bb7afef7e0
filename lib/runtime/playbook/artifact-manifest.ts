import type { S3Client } from '@aws-sdk/client-s3';
import type { PlaybookState } from '../../core/contracts/state';
import type { PlannedAction } from '../ec2/instance';
import { buildManifest } from '../evidence/manifest';
import { putArtifactOnce, StoredArtifact } from '../evidence/vault';
import type { StepDeps } from './deps-base';
import type { StepRun } from './run-step';

/**
 * The manifest of a case whose evidence is artifacts only (s3-compromise's PreserveBucket, lambda-compromise's
 * PreserveFunction, ecs-task-compromise's PreserveTask): `manifest.json` (every artifact with its SHA-256, no snapshots;
 * {@link buildManifest}) written once under the case's evidence prefix in the evidence bucket under the evidence key
 * ({@link putArtifactOnce}: a re-run keeps the first), then recorded on the case (`CaseLedger.recordManifest`, with the
 * step's timeline entry folded in).
 * @param state - the playbook state (its incident and case).
 * @param deps - the step's dependencies (config: evidence bucket and key; ledger; clock).
 * @param run - the running step (its timeline fold).
 * @param s3 - the security account's S3 client.
 * @param prefix - the case's evidence prefix (`caseEvidencePrefix`), ending in `/`.
 * @param artifacts - the artifacts already stored.
 * @param actions - what the step changed in the member account (PutBucketVersioning, PublishVersion), for its timeline
 *   entry and the case report; none when nothing changed.
 * @returns the manifest's reference as the case records it (bucket, key, SHA-256, version).
 * @throws the S3 or ledger error when the write or the record fails (the step fails; a re-run converges).
 */
export async function recordArtifactManifest(
  state: PlaybookState,
  deps: StepDeps,
  run: StepRun,
  s3: S3Client,
  prefix: string,
  artifacts: StoredArtifact[],
  actions: readonly PlannedAction[] = [],
) {
  const i = state.incident;
  const { text } = buildManifest({
    caseId: state.case.caseId,
    playbook: i.playbook,
    account: i.account,
    region: i.region,
    resourceId: i.resource.id,
    finding: { id: i.finding.id, type: i.finding.type, severity: i.finding.severity },
    createdAt: deps.now().toISOString(),
    artifacts,
    snapshots: [],
  });
  const manifestInput = { bucket: deps.config.evidenceBucket, key: `${prefix}manifest.json`, name: 'manifest.json', body: text };
  const stored = await putArtifactOnce({ ...manifestInput, kmsKeyId: deps.config.evidenceKeyArn }, { s3 });
  const manifest = { bucket: stored.bucket, key: stored.key, sha256: stored.sha256, versionId: stored.versionId };
  return deps.ledger.recordManifest(state.case.caseId, manifest, [], run.fold({ ...manifest, ...(actions.length ? { actions } : {}) }));
}
