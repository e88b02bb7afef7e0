import { randomUUID } from 'node:crypto';
import { InvalidInput } from '../../core/errors';
import type { LocalSession } from '../local/session';
import type { EmulatorRouter } from '../local/router';
import { replayEvent, EventEnvelope, ReplayResult } from '../local/replay';
import { playbookName, LocalExecutionResult } from '../local/runner';
import type { Check } from '../local/checks';
import { summarizeCalls, ReplayReport } from '../report';
import { injectionEvent, injectionWorld, Drill, Injection } from './drill';
import { FaultReport, installFaults } from './faults';
import { watchApprovals } from './approvals';
import { buildInjectionWorld, deleteWorldResource, InjectionWorld } from './world';
import { EXPECTATIONS } from './expectations';
import { executionCaseId, InjectionContext, InjectionOutcome, Verdict } from './expectations/expectation';

/** One run of a repeated injection. */
export interface InjectionRun {
  readonly status: string;
  readonly outcome?: string;
  readonly caseId?: string;
  readonly durationMs: number;
}

/** One injection on the scorecard. */
export interface InjectionScorecard {
  name: string;
  passed: boolean;
  verdicts: Verdict[];
  /**
   * The replay report. For a repeated injection, the runs merged: every run's executions (the run
   * that contained first, then the others in run order), calls summed over the runs, every run's
   * read-back checks, and the drill's own read-backs (behaviour, repeats) appended to `checks`.
   */
  report: ReplayReport;
  /** What the drill said the playbook should do (`recover` or `fail-loudly`), when it said. */
  expectedBehaviour?: 'recover' | 'fail-loudly';
  /** Each declared fault and how many times it was injected. */
  faults?: FaultReport[];
  /** Each run of a repeated injection, in run order. */
  runs?: InjectionRun[];
  /** `sequential` or `concurrent`, for a repeated injection. */
  repeat?: 'sequential' | 'concurrent';
}

/** The scorecard of one drill (the JSON of `firebreak gameday --json`). */
export interface DrillScorecard {
  readonly drill: string;
  readonly runbook: string;
  readonly passed: boolean;
  /** Milliseconds, emulator start and seeding excluded. */
  readonly wallTimeMs: number;
  readonly injections: InjectionScorecard[];
}

type Mutation = Injection['mutate'];
type GuardDutyLike = EventEnvelope & { detail: { service?: { count?: number }; severity?: number; updatedAt?: string } };

function mutate(event: EventEnvelope, m: Mutation, extraCount = 0): EventEnvelope {
  if (!m && extraCount === 0) return event;
  const text = JSON.stringify(event);
  const copy = JSON.parse(m?.region ? text.split(event.region).join(m.region) : text) as GuardDutyLike;
  const increment = (m?.serviceCountIncrement ?? 0) + extraCount;
  if (increment && copy.detail.service) copy.detail.service.count = (copy.detail.service.count ?? 1) + increment;
  if (m?.severity !== undefined) copy.detail.severity = m.severity;
  if (m || copy.source === 'aws.guardduty') copy.detail.updatedAt = new Date().toISOString();
  if (m?.freshIds) {
    const d = copy.detail as { eventID?: string; id?: string };
    (copy as { id: string }).id = randomUUID();
    if (typeof d.eventID === 'string') d.eventID = randomUUID();
    if (copy.source === 'aws.guardduty' && typeof d.id === 'string') {
      const id = randomUUID().replace(/-/g, '');
      const g = d as { id: string; arn?: string };
      if (typeof g.arn === 'string') g.arn = g.arn.split(g.id).join(id);
      g.id = id;
    }
  }
  return copy;
}

/**
 * Checks the state names a drill uses (step budgets, `delete-resource` faults' `after`) against
 * the runbook's synthesized state machine, before any injection.
 * @throws {InvalidInput} naming the field and the states there are.
 */
function checkStateNames(session: LocalSession, drill: Drill): void {
  const playbook = session.runner.playbooks.find((p) => playbookName(p) === drill.runbook);
  if (!playbook) return;
  const states = Object.keys((playbook.definition.States ?? {}) as Record<string, unknown>);
  const check = (name: string, where: string) => {
    if (!states.includes(name))
      throw new InvalidInput(
        `drill ${drill.name}: ${where} names ${name}, which is not a state of the ${drill.runbook} state machine (states: ${states.join(', ')})`,
      );
  };
  for (const step of Object.keys(drill.budget.stepSeconds ?? {})) check(step, 'budget.stepSeconds');
  drill.injections.forEach((i, n) => {
    for (const step of Object.keys(i.budget?.stepSeconds ?? {})) check(step, `injections.${n}.budget.stepSeconds`);
    (i.faults ?? []).forEach((f, k) => {
      if (f.kind === 'delete-resource' && f.after) check(f.after, `injections.${n}.faults.${k}.after`);
      if (f.kind === 'lambda-timeout') check(f.state, `injections.${n}.faults.${k}.state`);
    });
  });
}

/**
 * A view of the session whose router lets `n` concurrent replays through together: the routing
 * itself is serialized (the router reads and empties its probe queues, so two routings at once
 * would take each other's messages), and no replay goes on to execute before all `n` are routed,
 * so the executions start together, as two deliveries of one finding would.
 */
function gatedSession(session: LocalSession, n: number): LocalSession {
  const router = session.router;
  let chain: Promise<unknown> = Promise.resolve();
  let routed = 0;
  let release: () => void = () => undefined;
  const all = new Promise<void>((r) => (release = r));
  const gate = Object.create(router) as EmulatorRouter;
  Object.defineProperty(gate, 'route', {
    value: async (...args: Parameters<EmulatorRouter['route']>) => {
      const mine = chain.then(() => router.route(...args));
      chain = mine.catch(() => undefined);
      try {
        return await mine;
      } finally {
        routed += 1;
        if (routed >= n) release();
        // Never wait forever on a replay that failed before routing.
        await Promise.race([all, new Promise((r) => setTimeout(r, 30_000).unref())]);
      }
    },
  });
  return { ...session, router: gate };
}

/** Runs one injection's event (once, or `repeat.times` times) with its faults installed. */
async function inject(
  session: LocalSession,
  drill: Drill,
  injection: Injection,
  event: EventEnvelope,
  world: InjectionWorld | undefined,
): Promise<InjectionOutcome> {
  const faults = injection.faults ?? [];
  let current = world;
  const installed = installFaults(faults, {
    seed: `${drill.seed ?? drill.name}/${injection.name}`,
    deleteResource: (f) => deleteWorldResource(session, current ?? {}, f),
  });
  const results: ReplayResult[] = [];
  const execute = Object.keys(installed.execute).length ? installed.execute : undefined;
  const options = (w: InjectionWorld | undefined, countBefore: boolean) => ({
    extras: injectionWorld(drill, injection),
    twin: w?.twin,
    credentialTwin: w?.credentialTwin,
    bucketTwin: w?.bucketTwin,
    functionTwin: w?.functionTwin,
    taskTwin: w?.taskTwin,
    dbTwin: w?.dbTwin,
    countBefore,
    execute,
  });
  const restoreEnvironment = setEnvironment(injection.environment);
  const approvals = watchApprovals(session, new Date().toISOString(), injection.approval, () => current);
  let answered: Awaited<ReturnType<typeof approvals.stop>> = [];
  try {
    await installed.beforeInjection();
    const repeat = injection.repeat;
    if (!repeat) {
      results.push(await replayEvent(session, event, options(current, true)));
    } else if (!repeat.concurrent) {
      for (let k = 0; k < repeat.times; k++) {
        const r = await replayEvent(session, mutate(event, undefined, k), options(current, true));
        current ??= {
          twin: r.twin,
          credentialTwin: r.credentialTwin,
          bucketTwin: r.bucketTwin,
          functionTwin: r.functionTwin,
          taskTwin: r.taskTwin,
          dbTwin: r.dbTwin,
        };
        results.push(r);
      }
    } else {
      // Concurrent runs cannot count the world before and after each run (the others change it meanwhile).
      const gated = gatedSession(session, repeat.times);
      results.push(
        ...(await Promise.all(
          Array.from({ length: repeat.times }, (_, k) => replayEvent(gated, mutate(event, undefined, k), options(current, false))),
        )),
      );
    }
  } finally {
    answered = await approvals.stop();
    installed.remove();
    restoreEnvironment();
  }
  installed.observe(results.flatMap((r) => r.executions));
  return {
    results,
    world: current ?? {
      twin: results[0]?.twin,
      credentialTwin: results[0]?.credentialTwin,
      bucketTwin: results[0]?.bucketTwin,
      functionTwin: results[0]?.functionTwin,
      taskTwin: results[0]?.taskTwin,
      dbTwin: results[0]?.dbTwin,
    },
    faults: faults.length ? installed.reports() : undefined,
    hits: installed.hits(),
    approvals: answered,
  };
}

/**
 * Sets the Lambdas' environment variables an injection gives (the handlers read their configuration from
 * `process.env` at each invocation, lib/runtime/playbook/deps.ts).
 * @returns a function that puts back what was there.
 */
function setEnvironment(vars: Injection['environment']): () => void {
  const saved = Object.entries(vars ?? {}).map(([name, value]) => {
    const before = process.env[name];
    process.env[name] = String(value);
    return [name, before] as const;
  });
  return () => {
    for (const [name, before] of saved) {
      if (before === undefined) delete process.env[name];
      else process.env[name] = before;
    }
  };
}

/** The executions of a set of runs: the run that contained first, then the others in run order. */
function orderedExecutions(results: ReplayResult[]): { report: ReplayReport['executions'][number]; local: LocalExecutionResult }[] {
  const all = results.flatMap((r) => r.report.executions.map((report, i) => ({ report, local: r.executions[i] })));
  const first = all.findIndex((e) => e.report.outcome === 'CONTAINED');
  return first <= 0 ? all : [all[first], ...all.slice(0, first), ...all.slice(first + 1)];
}

function mergeReports(session: LocalSession, results: ReplayResult[], started: number): ReplayReport {
  if (results.length === 1) return results[0].report;
  const first = results[0].report;
  const containing = results.find((r) => r.report.executions.some((x) => x.outcome === 'CONTAINED'))?.report ?? first;
  return {
    event: first.event,
    routing: first.routing,
    idMap: first.idMap,
    response: results.map((r) => r.report.response).join(' | '),
    executions: orderedExecutions(results).map((e) => e.report),
    apiCalls: summarizeCalls(
      results.flatMap((r) => r.executions.flatMap((x) => x.calls)),
      session.env.memberAccount,
    ),
    evidence: containing.evidence,
    checks: results.flatMap((r) => r.report.checks),
    metrics: { ...containing.metrics, wallTimeMs: Date.now() - started },
  };
}

/**
 * Runs a drill's injections in order on a local session and judges each against its expectation:
 * status (or `NO_MATCH`), outcome, read-back checks, mutating-call ceiling, the time budgets (the
 * containment's and each named step's), the behaviour (recover / fail-loudly, read back from the
 * ledger and the notification queue), the repeats (one containment) and that every declared fault
 * was injected at least once.
 * @returns the scorecard; `passed` is true only when every verdict passed.
 * @throws {InvalidInput} when a step budget or a fault names a state the runbook's state machine lacks.
 */
export async function runDrill(session: LocalSession, drill: Drill, dir: string): Promise<DrillScorecard> {
  const started = Date.now();
  checkStateNames(session, drill);
  let previousWorld: InjectionWorld | undefined;
  let previousCaseId: string | undefined;
  const injections: InjectionScorecard[] = [];
  for (const injection of drill.injections) {
    const injectionStarted = Date.now();
    const event = mutate(injectionEvent(injection, dir), injection.mutate);
    const extras = injectionWorld(drill, injection);
    // An approval's read-back needs the twin while the case waits, before the replay returns it.
    const prebuild =
      injection.repeat?.concurrent ||
      (injection.faults ?? []).some((f) => f.kind === 'delete-resource') ||
      extras.squatFirebreakGroupNames ||
      injection.approval !== undefined;
    const given = injection.sameWorld ? previousWorld : undefined;
    const world = given ?? (prebuild ? await buildInjectionWorld(session, event, extras) : undefined);
    const outcome = await inject(session, drill, injection, event, world);
    if (!injection.sameWorld) previousWorld = outcome.world;
    const ordered = orderedExecutions(outcome.results);
    const ctx: InjectionContext = {
      session,
      injection,
      expect: injection.expect,
      outcome,
      previousCaseId,
      runs: outcome.results.map((r) => r.executions[0]),
      executions: ordered.map((e) => e.local),
      budget: {
        containSeconds: injection.budget?.containSeconds ?? drill.budget.containSeconds,
        stepSeconds: { ...drill.budget.stepSeconds, ...injection.budget?.stepSeconds },
      },
    };
    previousCaseId = executionCaseId(ordered[0]?.local) ?? previousCaseId;
    injections.push(await judgeInjection(ctx, () => mergeReports(session, outcome.results, injectionStarted)));
  }
  return {
    drill: drill.name,
    runbook: drill.runbook,
    passed: injections.every((i) => i.passed),
    wallTimeMs: Date.now() - started,
    injections,
  };
}

/**
 * Judges one injection on every expectation (lib/harness/gameday/expectations): those of phase `runs` first, whose
 * read-back checks join the report (merged after them, so its wall time includes them), then those of phase
 * `report` on the report with every check.
 */
async function judgeInjection(ctx: InjectionContext, mergedReport: () => ReplayReport): Promise<InjectionScorecard> {
  const verdicts: Verdict[] = [];
  const checks: Check[] = [];
  for (const e of EXPECTATIONS.filter((x) => x.phase === 'runs')) {
    const j = await e.judge(ctx);
    verdicts.push(...(j.verdicts ?? []));
    checks.push(...(j.checks ?? []));
  }
  const merged = mergedReport();
  const report: ReplayReport = { ...merged, checks: [...merged.checks, ...checks] };
  for (const e of EXPECTATIONS.filter((x) => x.phase === 'report')) verdicts.push(...((await e.judge({ ...ctx, report })).verdicts ?? []));
  const { injection, expect: exp, outcome, runs } = ctx;
  return {
    name: injection.name,
    passed: verdicts.every((v) => v.passed),
    verdicts,
    report,
    ...(exp.behaviour ? { expectedBehaviour: exp.behaviour } : {}),
    ...(outcome.faults ? { faults: outcome.faults } : {}),
    ...(injection.repeat
      ? {
          repeat: injection.repeat.concurrent ? ('concurrent' as const) : ('sequential' as const),
          runs: runs.map((x) => ({
            status: x ? x.status : 'NO_MATCH',
            outcome: x?.outcome,
            caseId: x?.caseId,
            durationMs: x?.durationMs ?? 0,
          })),
        }
      : {}),
  };
}

/** Renders a scorecard for a human. */
export function renderScorecard(s: DrillScorecard): string[] {
  const lines = [`Game day: ${s.drill} (runbook ${s.runbook})`];
  for (const i of s.injections) {
    const x = i.report.executions[0];
    const behaviour = i.expectedBehaviour ? ` [expect: ${i.expectedBehaviour}]` : '';
    if (i.runs) {
      lines.push(
        `  ${i.passed ? 'PASS' : 'FAIL'} ${i.name}${behaviour} — ${i.runs.length} ${i.repeat} runs: ${i.runs.map((r) => `${r.status}${r.outcome && r.outcome !== r.status ? `/${r.outcome}` : ''}`).join(', ')}; ${i.report.apiCalls.total} calls (${i.report.apiCalls.mutating} mutating)`,
      );
    } else {
      lines.push(
        `  ${i.passed ? 'PASS' : 'FAIL'} ${i.name}${behaviour}${x ? ` — ${x.status}/${x.outcome} in ${x.durationMs} ms, ${i.report.apiCalls.total} calls (${i.report.apiCalls.mutating} mutating)` : ''}`,
      );
      lines.push(`      response: ${i.report.response}`);
    }
    for (const f of i.faults ?? []) lines.push(`      fault ${f.declared}: ${f.injected} injected`);
    for (const v of i.verdicts) lines.push(`      ${v.passed ? '✓' : '✗'} ${v.name}: ${v.details}`);
    if (x?.error) {
      const failedStep = x.steps.find((st) => st.status === 'FAILED');
      lines.push(`      error: ${x.error.name}: ${x.error.message}${failedStep ? ` (step ${failedStep.name})` : ''}`);
    }
    const checks = i.report.checks;
    if (checks.length)
      lines.push(
        `      read-back checks: ${checks.filter((c) => c.passed).length}/${checks.length} passed${
          checks.some((c) => !c.passed)
            ? ` (failed: ${checks
                .filter((c) => !c.passed)
                .map((c) => c.name)
                .join(', ')})`
            : ''
        }`,
      );
    if (i.report.metrics.sequentialCallsToIsolation !== undefined)
      lines.push(
        `      isolation: ${i.report.metrics.sequentialCallsToIsolation} sequential calls, ${i.report.metrics.timeToIsolateMs} ms after start`,
      );
    if (i.report.metrics.longestUntrackedMs !== undefined)
      lines.push(`      longest time an ENI was on the allow-all untrack group: ${i.report.metrics.longestUntrackedMs} ms`);
  }
  const passed = s.injections.filter((i) => i.passed).length;
  lines.push(`  ${s.passed ? 'PASSED' : 'FAILED'}: ${passed}/${s.injections.length} injections, wall time ${s.wallTimeMs} ms`);
  return lines;
}
