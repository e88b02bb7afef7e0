import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { EvidenceIncomplete, InvalidInput, NotYetConsistent } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import { caseEvidencePrefix } from '../../evidence/manifest';
import { storeDbEvidence } from '../../rds/evidence';
import { DbPreservationResult, ensureDbPreserved } from '../../rds/preserve';
import type { DbSnapshotRecord } from '../../rds/snapshots';
import { recordArtifactManifest } from '../artifact-manifest';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { dbInstanceOf } from './common';
import '../../clients/kms';

/** The case decision that holds an execution's evidence deadline (`decisions.<key>`), as ec2-compromise's. */
export const dbEvidenceDeadlineKey = (executionName: string) => `evidenceDeadline#${executionName}`;

/** PreserveDatabase's result: `pending` while a snapshot of the chain is not yet `available` (the Wait loop polls again). */
export interface DatabasePreservationStatus {
  readonly status: 'completed' | 'pending';
  /** `instance`: DB snapshots; `cluster`: DB cluster snapshots of the Aurora cluster the instance belongs to. */
  readonly kind?: 'instance' | 'cluster';
  readonly dbIdentifier?: string;
  /** The chain as read back, member snapshot first, the security account's copy last (completed only). */
  readonly chain?: DbSnapshotRecord[];
  /** Why it is pending. */
  readonly waiting?: string;
  /** The execution's one evidence deadline (ISO 8601). */
  readonly deadline: string;
  /** The case's evidence manifest as the case records it (completed only): bucket, key, SHA-256, version. */
  readonly manifest?: { bucket: string; key: string; sha256: string; versionId?: string };
}

/**
 * PreserveDatabase (rds-compromise): the DB instance (or the Aurora cluster whose storage it is) preserved into the
 * security account by the chain of lib/runtime/rds/preserve.ts (member snapshot, transit copy when encrypted, share
 * with the security account only, the security account's copy under the evidence key, each read back by identifier
 * and checked for provenance). Each run advances the chain as far as RDS allows and returns `pending` while a snapshot
 * is not yet `available`; the state machine waits and runs it again. The run that finds the chain complete writes the
 * evidence artifacts (`db-instance.json`, `db-cluster.json` for an Aurora member, `snapshots.json`: lib/runtime/rds/
 * evidence.ts) and `manifest.json` into the evidence bucket under the case's prefix, each once (a re-run keeps the
 * first), and records the manifest on the case (`evidence.manifest`, once); a `pending` run writes nothing to S3. The
 * execution's one evidence deadline is `evidenceDeadlineSeconds` after its first PreserveDatabase, recorded on the case
 * once (`decisions.evidenceDeadline#<execution>`); past it the step fails `EvidenceIncomplete`. Runs before ContainDatabase: the evidence shows the
 * database before Firebreak changed anything, as read on the run that completed the chain (minutes after the first
 * snapshot on AWS: what the member account changed meanwhile shows; the snapshot holds the state at its creation). RDS: "Remediating a potentially compromised database", GuardDuty User Guide
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-compromised-rds.html).
 * @throws {ResourceGone} when the instance is gone. {@link EvidenceProvenance} when a snapshot under Firebreak's
 *   identifier is not the evidence it should be. {@link InvalidInput} for a dry run or a resource that is no DB instance.
 */
export async function preserveDatabase(state: PlaybookState, deps: StepDeps): Promise<DatabasePreservationStatus> {
  if (state.incident.dryRun) throw new InvalidInput('PreserveDatabase does not run on a dry run (PlanDryRun plans it)');
  const i = state.incident;
  const dbInstanceIdentifier = dbInstanceOf(state);
  const member = deps.clients.member(i.account, i.region);
  const security = deps.clients.security();
  const caseId = state.case.caseId;
  return runStep('PreserveDatabase', caseTarget(state, deps.ledger), async (run) => {
    const fresh = new Date(deps.now().getTime() + deps.config.evidenceDeadlineSeconds * 1000).toISOString();
    const deadline = await deps.ledger.recordDecision(caseId, dbEvidenceDeadlineKey(state.run.executionName), fresh);
    const record = await deps.ledger.getCase(caseId);
    if (!record) throw new InvalidInput(`Case ${caseId} does not exist`);
    const alias = `arn:${i.partition}:kms:${i.region}:${i.account}:${deps.config.transitKeyAlias}`;
    const transitKeyArn = (await member.kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.Arn;
    if (!transitKeyArn) throw new EvidenceIncomplete(`The transit key ${alias} has no ARN`);
    const target = {
      caseId,
      notBefore: new Date(record.createdAt),
      memberAccount: member.accountId,
      securityAccount: security.accountId,
      transitKeyArn,
      evidenceKeyArn: deps.config.evidenceKeyArn,
      deadline: new Date(deadline),
    };
    let out: DbPreservationResult;
    try {
      out = await ensureDbPreserved(member.rds, security.rds, dbInstanceIdentifier, target, 'apply');
    } catch (err) {
      if (err instanceof NotYetConsistent) return { status: 'pending' as const, waiting: err.message, deadline };
      throw err;
    }
    const prefix = caseEvidencePrefix(i.account, caseId);
    const evidence = { s3: security.s3, bucket: deps.config.evidenceBucket, prefix, kmsKeyId: deps.config.evidenceKeyArn };
    const artifacts = await storeDbEvidence(evidence, out);
    const manifest = await recordArtifactManifest(state, deps, run, security.s3, prefix, artifacts);
    return { status: 'completed' as const, kind: out.kind, dbIdentifier: out.dbIdentifier, chain: out.chain, deadline, manifest };
  });
}
