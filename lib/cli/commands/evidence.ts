import type { EvidenceReport } from '../../operator/evidence';
import { verifyEvidence } from '../../operator/evidence';
import { assertCaseId } from '../../operator/cases';
import { connect, ConnectOptions } from '../../operator/connection';
import { ExitCode, Output } from '../output';

/**
 * `firebreak evidence verify <caseId>`: every check on its own line (PASS/FAIL, what, why), the snapshots read back,
 * and a summary (lib/operator/evidence.ts `verifyEvidence`).
 * @returns 0 when every check passed; 1 when any failed, or when the case records no evidence (nothing verified is not a pass).
 * @throws {InvalidInput} for a malformed case ID (before any AWS call) or an unknown case.
 */
export async function evidenceVerifyCommand(caseId: string, o: ConnectOptions & { json?: boolean }, output: Output): Promise<number> {
  assertCaseId(caseId);
  const conn = await connect(o);
  const report = await verifyEvidence(conn, caseId);
  if (o.json) output.out(JSON.stringify(report, null, 2));
  else for (const line of renderEvidenceReport(report)) output.out(line);
  return report.verdict === 'verified' ? ExitCode.Ok : ExitCode.Failed;
}

/** The report as text: a heading, one line per check, the snapshots, a summary line. */
export function renderEvidenceReport(r: EvidenceReport): string[] {
  const head = `Evidence of case ${r.caseId} (${r.playbook}, ${r.status})`;
  if (r.verdict === 'no-evidence')
    return [head, `NO EVIDENCE  ${r.reason}`, `Summary: nothing to verify: case ${r.caseId} records no evidence`];
  const width = Math.max(...r.checks.map((c) => c.subject.length));
  const lines = [head, ...r.checks.map((c) => `${c.passed ? 'PASS' : 'FAIL'}  ${c.subject.padEnd(width)}  ${c.detail}`)];
  if (r.snapshots.length) {
    lines.push('Snapshots:');
    for (const s of r.snapshots)
      lines.push(
        `  ${s.snapshotId}  ${s.source ?? `volume ${s.sourceVolumeId ?? '-'}`}  owner ${s.ownerAccount ?? '(gone)'}  key ${s.kmsKeyId ?? '-'}  ${s.encrypted ? 'encrypted' : 'unencrypted'}  ${s.state ?? '-'}${s.lockState ? `  lock ${s.lockState}${s.lockExpiresOn ? ` until ${s.lockExpiresOn}` : ''}` : ''}`,
      );
  }
  const failed = r.checks.filter((c) => !c.passed).length;
  lines.push(
    failed
      ? `Summary: ${r.checks.length} checks, ${failed} failed: the evidence of case ${r.caseId} does NOT verify`
      : `Summary: ${r.checks.length} checks, all passed: the evidence of case ${r.caseId} verifies`,
  );
  return lines;
}
