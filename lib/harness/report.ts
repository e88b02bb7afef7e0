import type { ApiCallRecord } from '../runtime/telemetry';
import { countByOperation } from '../runtime/telemetry';
import type { Check, EvidenceReadBack } from './local/checks';

/** One step of an execution in the report. Durations in milliseconds. */
export interface ReportStep {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly durationMs: number;
  /** Epoch milliseconds of the step's first start and last end (for timelines). */
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly apiCalls: Record<string, number>;
  /** `Name: message` of the step's last error, when it failed at least once. */
  readonly error?: string;
}

/** One playbook execution in the report. */
export interface ReportExecution {
  readonly playbook: string;
  readonly caseId?: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ALREADY_HANDLED' | 'DRY_RUN';
  /** The playbook's outcome: CONTAINED, NOTIFIED, RESOURCE_GONE, DRY_RUN, ALREADY_HANDLED, or FAILED. */
  readonly outcome: string;
  readonly durationMs: number;
  /** Epoch milliseconds when the execution started. */
  readonly startedAt?: number;
  /** States entered, retries and poll loops included: the transitions Step Functions Standard bills. */
  readonly stateTransitions?: number;
  readonly steps: ReportStep[];
  readonly error?: { name: string; message: string };
  /** A run another playbook started (credential-compromise's or attack-sequence's chaining): the case it was chained from. */
  readonly chainedFrom?: string;
  /** The dry run's plan (DRY_RUN only). */
  readonly plan?: unknown;
  /** What credential-compromise revoked and who else is affected. */
  readonly revocation?: unknown;
  /** Decide's reason: why the playbook contained, or opened a case and contained nothing. */
  readonly decision?: string;
}

/**
 * The JSON report of `firebreak replay` and of each game-day drill (issue #2, "The JSON report"):
 * a contract that scripts rely on. `checks` come from reading the emulator back.
 */
export interface ReplayReport {
  readonly event: { source: string; detailType: string; findingId?: string; findingType?: string; severity?: number; sample: boolean };
  readonly routing: { matched: string[]; playbooks: string[] };
  /**
   * What Firebreak did, in one line: `contained by <playbook> (case …)`, `case opened, nothing contained
   * (<playbook>, case …): <why>`, `already handled`, `dry run`, `FAILED`, or `NO_MATCH: …`, which is
   * only for a finding below the severity floor (counted) or an event that is not one Firebreak takes.
   */
  readonly response: string;
  readonly idMap: Record<string, string>;
  readonly executions: ReportExecution[];
  /**
   * `mutating` counts every state-changing call, the security account's ledger and notifications
   * included; `mutatingInMemberAccount` counts only changes made in the member account (what a
   * notify-only case must keep at 0).
   */
  readonly apiCalls: { total: number; mutating: number; mutatingInMemberAccount?: number; byOperation: Record<string, number> };
  readonly evidence: EvidenceReadBack;
  readonly checks: Check[];
  /** Extra measurements (not part of the contract's required fields). */
  readonly metrics: {
    /** Wall time of the whole replay, in milliseconds (emulator start excluded when it was running). */
    readonly wallTimeMs: number;
    /** Length of the longest chain of dependent AWS calls from the playbook's start to the last ENI isolation call. */
    readonly sequentialCallsToIsolation?: number;
    /** The calls of that chain, in order, each `Step:Service.Operation` ({@link criticalPathUntil}). */
    readonly isolationChain?: string[];
    /** Milliseconds from the playbook's start to the last ENI isolation call. */
    readonly timeToIsolateMs?: number;
    /** The longest time an ENI spent on the allow-all untrack group between Isolate's two moves, in milliseconds (Isolate's own measure). */
    readonly longestUntrackedMs?: number;
    /** Longest chain of dependent AWS calls until the last call that made a credential unusable. */
    readonly sequentialCallsToRevocation?: number;
  };
}

/**
 * The one-line response of a replay (see {@link ReplayReport.response}).
 * @param belowFloor - the event matched only the below-floor counting rule.
 */
export function responseSummary(executions: readonly ReportExecution[], belowFloor: boolean): string {
  if (executions.length === 0)
    return belowFloor
      ? 'NO_MATCH: below the severity floor; counted (Firebreak/FindingsBelowFloor), no case'
      : 'NO_MATCH: no rule takes this event';
  return executions
    .map((x) => {
      const onCase = x.caseId ? `, case ${x.caseId}` : '';
      if (x.outcome === 'CONTAINED') return `contained by ${x.playbook}${onCase ? ` (${onCase.slice(2)})` : ''}`;
      if (x.outcome === 'NOTIFIED') return `case opened, nothing contained (${x.playbook}${onCase})${x.decision ? `: ${x.decision}` : ''}`;
      if (x.status === 'ALREADY_HANDLED') return `already handled (${x.playbook}${onCase})`;
      if (x.status === 'DRY_RUN') return `dry run, nothing changed (${x.playbook})`;
      if (x.outcome === 'RESOURCE_GONE') return `resource gone (${x.playbook}${onCase})`;
      if (x.outcome === 'SHADOW') return `shadow: planned and recorded, nothing changed, nobody notified (${x.playbook}${onCase})`;
      if (x.outcome === 'SUPPRESSED') return `suppressed by a rule: recorded, nothing changed, nobody notified (${x.playbook}${onCase})`;
      return `${x.status} ${x.outcome} (${x.playbook}${onCase})${x.error ? `: ${x.error.name}` : ''}`;
    })
    .join('; ');
}

/** Totals of a list of calls. */
export function summarizeCalls(calls: readonly ApiCallRecord[], memberAccount?: string): ReplayReport['apiCalls'] {
  return {
    total: calls.length,
    mutating: calls.filter((c) => c.mutating).length,
    mutatingInMemberAccount:
      memberAccount === undefined ? undefined : calls.filter((c) => c.mutating && c.account === memberAccount).length,
    byOperation: countByOperation(calls),
  };
}

/**
 * The number of AWS calls on the longest chain of calls that each started after the previous one
 * ended, ending with the last call matching `until` — the sequential calls on the critical path.
 * Calls made in parallel count once.
 * @returns undefined when no call matches `until`.
 */
export function sequentialCallsUntil(calls: readonly ApiCallRecord[], until: (c: ApiCallRecord) => boolean): number | undefined {
  return criticalPathUntil(calls, until)?.length;
}

/**
 * The calls of the chain {@link sequentialCallsUntil} counts, in order: one longest chain of calls that each started
 * after the previous one ended, ending with the last call matching `until` (among equally long chains, the one whose
 * links ended latest before the next began). Two calls on different network interfaces
 * ({@link ApiCallRecord.networkInterfaceId}) are never linked: Contain swaps each ENI in a chain of its own that
 * waits only for what all ENIs share (the prior state's write, the VPC's groups), so one ENI's move beginning after
 * another's ended is a coincidence of timing, not a dependency (it made the first-incident chain read 7 on some runs).
 * @returns undefined when no call matches `until`.
 */
export function criticalPathUntil(calls: readonly ApiCallRecord[], until: (c: ApiCallRecord) => boolean): ApiCallRecord[] | undefined {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const lastIndex = sorted.map(until).lastIndexOf(true);
  if (lastIndex < 0) return undefined;
  const depth: number[] = [];
  const previous: number[] = [];
  for (let i = 0; i <= lastIndex; i++) {
    let best = 0;
    previous[i] = -1;
    for (let j = 0; j < i; j++) {
      if (sorted[j].endedAt > sorted[i].startedAt) continue;
      const [a, b] = [sorted[j].networkInterfaceId, sorted[i].networkInterfaceId];
      if (a !== undefined && b !== undefined && a !== b) continue;
      if (depth[j] > best || (depth[j] === best && previous[i] >= 0 && sorted[j].endedAt > sorted[previous[i]].endedAt)) {
        best = depth[j];
        previous[i] = j;
      }
    }
    depth[i] = best + 1;
  }
  const chain: ApiCallRecord[] = [];
  for (let i = lastIndex; i >= 0; i = previous[i]) chain.unshift(sorted[i]);
  return chain;
}

/** A call of a chain as `Step:Service.Operation` (the step that made it, when known). */
export const chainLink = (c: ApiCallRecord): string => (c.context.step ? `${c.context.step}:${c.operation}` : c.operation);

/** Renders a report for a human, one line per fact. */
export function renderReport(r: ReplayReport, title = 'Firebreak replay'): string[] {
  const lines: string[] = [];
  const e = r.event;
  lines.push(`${title}`);
  lines.push(
    `  event     ${e.source} / ${e.detailType}${e.findingType ? ` — ${e.findingType} (severity ${e.severity})` : ''}${e.sample ? ' [SAMPLE]' : ''}`,
  );
  lines.push(`  routing   ${r.routing.matched.length ? r.routing.matched.join(', ') : 'no rule matched'}`);
  lines.push(`  response  ${r.response}`);
  for (const [from, to] of Object.entries(r.idMap)) lines.push(`  twin      ${from} → ${to}`);
  for (const x of r.executions) {
    lines.push(`  playbook  ${x.playbook}: ${x.status} (${x.outcome}) in ${x.durationMs} ms${x.caseId ? `, case ${x.caseId}` : ''}`);
    if (x.error) lines.push(`            error ${x.error.name}: ${x.error.message}`);
    for (const s of x.steps) {
      const calls = Object.entries(s.apiCalls)
        .map(([k, v]) => `${k}×${v}`)
        .join(' ');
      lines.push(`    ${s.status === 'SUCCEEDED' ? '✓' : '✗'} ${s.name.padEnd(22)} ${String(s.durationMs).padStart(6)} ms  ${calls}`);
    }
  }
  lines.push(
    `  api calls ${r.apiCalls.total} total, ${r.apiCalls.mutating} mutating${r.apiCalls.mutatingInMemberAccount !== undefined ? ` (${r.apiCalls.mutatingInMemberAccount} in the member account)` : ''}`,
  );
  if (r.metrics.sequentialCallsToRevocation !== undefined)
    lines.push(`  revocation ${r.metrics.sequentialCallsToRevocation} sequential calls until the credential is unusable`);
  for (const x of r.executions) {
    const rev = (x as { revocation?: { affected?: string; recommendation?: string } }).revocation;
    if (rev?.affected) lines.push(`  affected  ${rev.affected}`);
    if (rev?.recommendation) lines.push(`  next      ${rev.recommendation}`);
  }
  if (r.metrics.sequentialCallsToIsolation !== undefined)
    lines.push(`  isolation ${r.metrics.sequentialCallsToIsolation} sequential calls, ${r.metrics.timeToIsolateMs} ms after start`);
  if (r.metrics.isolationChain) lines.push(`  chain     ${r.metrics.isolationChain.join(' → ')}`);
  if (r.metrics.longestUntrackedMs !== undefined)
    lines.push(`  longest time an ENI was on the allow-all untrack group: ${r.metrics.longestUntrackedMs} ms`);
  for (const s of r.evidence.snapshots) lines.push(`  evidence  ${s.sourceVolumeId} → ${s.snapshotId} (owner ${s.ownerAccount})`);
  if (r.evidence.manifest)
    lines.push(`  manifest  s3://${r.evidence.manifest.bucket}/${r.evidence.manifest.key} sha256 ${r.evidence.manifest.sha256}`);
  const passed = r.checks.filter((c) => c.passed).length;
  lines.push(`  checks    ${passed}/${r.checks.length} passed`);
  for (const c of r.checks) lines.push(`    ${c.passed ? 'PASS' : 'FAIL'} ${c.name}: ${c.details}`);
  lines.push(`  wall time ${r.metrics.wallTimeMs} ms`);
  return lines;
}
