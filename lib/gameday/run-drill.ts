import * as path from 'node:path';
import type { LocalSession } from '../local/session';
import { readEventFile, replayEvent, EventEnvelope } from '../local/replay';
import type { TwinWorld } from '../local/twin';
import type { CredentialTwin } from '../local/credential-twin';
import type { ReplayReport } from '../report/report';
import type { Drill } from './drill';

/** One expectation's verdict. */
export interface Verdict {
  readonly name: string;
  readonly passed: boolean;
  readonly details: string;
}

/** The scorecard of one drill (the JSON of `firebreak gameday --json`). */
export interface DrillScorecard {
  readonly drill: string;
  readonly runbook: string;
  readonly passed: boolean;
  /** Milliseconds, emulator start and seeding excluded. */
  readonly wallTimeMs: number;
  readonly injections: { name: string; passed: boolean; verdicts: Verdict[]; report: ReplayReport }[];
}

function mutate(event: EventEnvelope, m: Drill['injections'][number]['mutate']): EventEnvelope {
  if (!m) return event;
  const copy = JSON.parse(JSON.stringify(event)) as EventEnvelope & { detail: { service?: { count?: number }; severity?: number; updatedAt?: string } };
  if (m.serviceCountIncrement && copy.detail.service) copy.detail.service.count = (copy.detail.service.count ?? 1) + m.serviceCountIncrement;
  if (m.severity !== undefined) copy.detail.severity = m.severity;
  copy.detail.updatedAt = new Date().toISOString();
  return copy;
}

/**
 * Runs a drill's injections in order on a local session and judges each against its expectation:
 * status (or `NO_MATCH`), outcome, read-back checks, mutating-call ceiling and the time budget.
 * @returns the scorecard; `passed` is true only when every verdict passed.
 */
export async function runDrill(session: LocalSession, drill: Drill, dir: string): Promise<DrillScorecard> {
  const started = Date.now();
  let previousTwin: TwinWorld | undefined;
  let previousCredentialTwin: CredentialTwin | undefined;
  const injections: DrillScorecard['injections'] = [];
  for (const injection of drill.injections) {
    const event = mutate(readEventFile(path.resolve(dir, injection.event)), injection.mutate);
    const { report, twin, credentialTwin } = await replayEvent(session, event, {
      extras: drill.world, twin: injection.sameWorld ? previousTwin : undefined,
      credentialTwin: injection.sameWorld ? previousCredentialTwin : undefined, countBefore: true,
    });
    if (!injection.sameWorld) {
      previousTwin = twin;
      previousCredentialTwin = credentialTwin;
    }
    const verdicts: Verdict[] = [];
    const x = report.executions[0];
    const exp = injection.expect;
    const status = x ? x.status : 'NO_MATCH';
    verdicts.push({ name: 'status', passed: status === exp.status && report.executions.length <= 1, details: `expected ${exp.status}, got ${report.executions.map((e) => e.status).join(',') || 'NO_MATCH'}` });
    if (exp.outcome) verdicts.push({ name: 'outcome', passed: x?.outcome === exp.outcome, details: `expected ${exp.outcome}, got ${x?.outcome ?? '-'}` });
    if (exp.checks === 'all') {
      const failed = report.checks.filter((c) => !c.passed);
      verdicts.push({ name: 'checks', passed: report.checks.length > 0 && failed.length === 0, details: failed.length ? `failed: ${failed.map((c) => c.name).join(', ')}` : `${report.checks.length} passed` });
    } else {
      for (const name of exp.checks) {
        const c = report.checks.find((k) => k.name === name);
        verdicts.push({ name: `check ${name}`, passed: !!c?.passed, details: c ? c.details : 'not made' });
      }
    }
    if (exp.maxMutatingCalls !== undefined) {
      verdicts.push({ name: 'mutating calls', passed: report.apiCalls.mutating <= exp.maxMutatingCalls, details: `${report.apiCalls.mutating} (at most ${exp.maxMutatingCalls})` });
    }
    if (x && exp.status === 'SUCCEEDED') {
      verdicts.push({ name: 'time to contain', passed: x.durationMs <= drill.budget.containSeconds * 1000, details: `${x.durationMs} ms (budget ${drill.budget.containSeconds} s)` });
    }
    injections.push({ name: injection.name, passed: verdicts.every((v) => v.passed), verdicts, report });
  }
  return { drill: drill.name, runbook: drill.runbook, passed: injections.every((i) => i.passed), wallTimeMs: Date.now() - started, injections };
}

/** Renders a scorecard for a human. */
export function renderScorecard(s: DrillScorecard): string[] {
  const lines = [`Game day: ${s.drill} (runbook ${s.runbook})`];
  for (const i of s.injections) {
    const x = i.report.executions[0];
    lines.push(`  ${i.passed ? 'PASS' : 'FAIL'} ${i.name}${x ? ` — ${x.status}/${x.outcome} in ${x.durationMs} ms, ${i.report.apiCalls.total} calls (${i.report.apiCalls.mutating} mutating)` : ' — no rule matched'}`);
    for (const v of i.verdicts) lines.push(`      ${v.passed ? '✓' : '✗'} ${v.name}: ${v.details}`);
    if (x?.error) {
      const failedStep = x.steps.find((st) => st.status === 'FAILED');
      lines.push(`      error: ${x.error.name}: ${x.error.message}${failedStep ? ` (step ${failedStep.name})` : ''}`);
    }
    const checks = i.report.checks;
    if (checks.length) lines.push(`      read-back checks: ${checks.filter((c) => c.passed).length}/${checks.length} passed${checks.some((c) => !c.passed) ? ` (failed: ${checks.filter((c) => !c.passed).map((c) => c.name).join(', ')})` : ''}`);
    if (i.report.metrics.sequentialCallsToIsolation !== undefined) lines.push(`      isolation: ${i.report.metrics.sequentialCallsToIsolation} sequential calls, ${i.report.metrics.timeToIsolateMs} ms after start`);
  }
  const passed = s.injections.filter((i) => i.passed).length;
  lines.push(`  ${s.passed ? 'PASSED' : 'FAILED'}: ${passed}/${s.injections.length} injections, wall time ${s.wallTimeMs} ms`);
  return lines;
}
