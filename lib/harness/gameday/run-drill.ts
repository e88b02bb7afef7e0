import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidInput } from '../../core/errors';
import type { LocalSession } from '../local/session';
import type { EmulatorRouter } from '../local/router';
import { replayEvent, EventEnvelope, ReplayResult } from '../local/replay';
import { playbookName, LocalExecutionResult } from '../local/runner';
import { Check, eniPlacementChecks, networkNotWiderChecks, readCaseRecord } from '../local/checks';
import { summarizeCalls, ReplayReport } from '../report';
import { injectionEvent, injectionWorld, Drill, Injection } from './drill';
import { FaultHit, FaultReport, installFaults } from './faults';
import { readNotifications } from '../local/notifications';
import { buildInjectionWorld, deleteWorldResource, InjectionWorld, squatterChecks } from './world';

/** One expectation's verdict. */
export interface Verdict {
  readonly name: string;
  readonly passed: boolean;
  readonly details: string;
}

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
  const copy = JSON.parse(JSON.stringify(event)) as GuardDutyLike;
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
    if (!states.includes(name)) throw new InvalidInput(`drill ${drill.name}: ${where} names ${name}, which is not a state of the ${drill.runbook} state machine (states: ${states.join(', ')})`);
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
async function inject(session: LocalSession, drill: Drill, injection: Injection, event: EventEnvelope, world: InjectionWorld | undefined): Promise<{ results: ReplayResult[]; world: InjectionWorld; faults?: FaultReport[]; hits: FaultHit[] }> {
  const faults = injection.faults ?? [];
  let current = world;
  const installed = installFaults(faults, {
    seed: `${drill.seed ?? drill.name}/${injection.name}`,
    deleteResource: (f) => deleteWorldResource(session, current ?? {}, f),
  });
  const results: ReplayResult[] = [];
  const execute = Object.keys(installed.execute).length ? installed.execute : undefined;
  const options = (w: InjectionWorld | undefined, countBefore: boolean) => ({ extras: injectionWorld(drill, injection), twin: w?.twin, credentialTwin: w?.credentialTwin, countBefore, execute });
  const restoreEnvironment = setEnvironment(injection.environment);
  try {
    await installed.beforeInjection();
    const repeat = injection.repeat;
    if (!repeat) {
      results.push(await replayEvent(session, event, options(current, true)));
    } else if (!repeat.concurrent) {
      for (let k = 0; k < repeat.times; k++) {
        const r = await replayEvent(session, mutate(event, undefined, k), options(current, true));
        current ??= { twin: r.twin, credentialTwin: r.credentialTwin };
        results.push(r);
      }
    } else {
      // Concurrent runs cannot count the world before and after each run (the others change it meanwhile).
      const gated = gatedSession(session, repeat.times);
      results.push(...(await Promise.all(Array.from({ length: repeat.times }, (_, k) => replayEvent(gated, mutate(event, undefined, k), options(current, false))))));
    }
  } finally {
    installed.remove();
    restoreEnvironment();
  }
  installed.observe(results.flatMap((r) => r.executions));
  return {
    results,
    world: current ?? { twin: results[0]?.twin, credentialTwin: results[0]?.credentialTwin },
    faults: faults.length ? installed.reports() : undefined,
    hits: installed.hits(),
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

/** The local statuses of an execution that ended without an outcome (the report shows them as FAILED). */
const ENDED_FAILED = new Set<LocalExecutionResult['status']>(['FAILED', 'CRASHED', 'TIMED_OUT', 'ABORTED']);

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
    event: first.event, routing: first.routing, idMap: first.idMap, response: results.map((r) => r.report.response).join(' | '),
    executions: orderedExecutions(results).map((e) => e.report),
    apiCalls: summarizeCalls(results.flatMap((r) => r.executions.flatMap((x) => x.calls)), session.env.memberAccount),
    evidence: containing.evidence,
    checks: results.flatMap((r) => r.report.checks),
    metrics: { ...containing.metrics, wallTimeMs: Date.now() - started },
  };
}

/**
 * Fail-loudly read-back for one execution: the case is FAILED, its timeline has this execution's
 * FAILED RecordFailure entry, and a `failed` notification for the case reached the topic's queue.
 */
async function failLoudlyChecks(session: LocalSession, x: LocalExecutionResult): Promise<Check[]> {
  const caseId = executionCaseId(x);
  if (!caseId) {
    return [{ name: 'case-status-failed', passed: false, details: `no case was opened (${x.status}${x.error ? `: ${x.error.name}` : ''}): nothing to record the failure on` }];
  }
  const { item, timeline } = await readCaseRecord(session.env, caseId);
  // An execution that failed records it itself (RecordFailure); one that timed out or was stopped cannot, and the
  // execution-ended rule's CloseOrphanedCase records it.
  const step = x.status === 'FAILED' ? 'RecordFailure' : 'CloseOrphanedCase';
  const entry = timeline.find((t) => t.step === step && t.status === 'FAILED' && t.executionName === x.executionName);
  const notes = (await readNotifications(session.env)).filter((n) => n.caseId === caseId);
  const failed = notes.filter((n) => n.kind === 'failed');
  return [
    { name: 'case-status-failed', passed: item?.status === 'FAILED', details: `case ${caseId}: status=${item?.status ?? 'missing'}` },
    {
      name: 'timeline-failed-entry', passed: !!entry,
      details: entry ? `${step} FAILED at ${entry.at}: ${entry.error?.name ?? '?'}: ${String(entry.error?.message ?? '').slice(0, 160)}` : `no FAILED ${step} entry for execution ${x.executionName} (${x.status}) among ${timeline.length} entries`,
    },
    { name: 'failure-notified', passed: failed.length > 0, details: `${failed.length} "failed" notification(s) for ${caseId} (${notes.length} in all: ${notes.map((n) => n.kind).join(', ') || 'none'})` },
  ];
}

/**
 * The case of an execution: from its output or its Claim, else from what the execution-ended rule's
 * function answered (an execution whose Claim wrote the claim but never returned).
 */
function executionCaseId(x: LocalExecutionResult | undefined): string | undefined {
  if (!x) return undefined;
  if (x.caseId) return x.caseId;
  for (const i of x.statusChange?.invoked ?? []) {
    const caseId = (i.result as { caseId?: unknown } | undefined)?.caseId;
    if (typeof caseId === 'string') return caseId;
  }
  return undefined;
}

/** The run ends on the previous injection's case (`expect.sameCase`), read back from the ledger. */
async function sameCaseCheck(session: LocalSession, x: LocalExecutionResult | undefined, previous: string | undefined, outcome: string | undefined): Promise<Check> {
  const caseId = executionCaseId(x);
  const item = caseId ? (await readCaseRecord(session.env, caseId)).item : undefined;
  const status = item?.status as string | undefined;
  const wanted = outcome ?? x?.outcome;
  return {
    name: 'same-case', passed: !!caseId && caseId === previous && (!wanted || status === wanted),
    details: `case ${caseId ?? '(none)'}, the previous injection's ${previous ?? '(none)'}; ledger status=${status ?? 'missing'}${wanted ? ` (expected ${wanted})` : ''}`,
  };
}

/** RESOURCE_GONE is recovered from loudly enough: a `resource-gone` notification names the case. */
async function resourceGoneNotified(session: LocalSession, x: LocalExecutionResult): Promise<Check> {
  const notes = (await readNotifications(session.env)).filter((n) => n.caseId === x.caseId && n.kind === 'resource-gone');
  return { name: 'resource-gone-notified', passed: notes.length > 0, details: `${notes.length} "resource-gone" notification(s) for ${x.caseId ?? '(no case)'}` };
}

/** Repeats read-back: the runs share one case, it is the resource's only case, and its status. */
async function repeatChecks(session: LocalSession, execs: LocalExecutionResult[], containments: number): Promise<Check[]> {
  const caseIds = [...new Set(execs.map((x) => x.caseId).filter((c): c is string => !!c))];
  const checks: Check[] = [{ name: 'runs-share-one-case', passed: caseIds.length === 1, details: `case(s): ${caseIds.join(', ') || 'none'}` }];
  if (caseIds.length !== 1) return checks;
  const { item } = await readCaseRecord(session.env, caseIds[0]);
  if (!item) return [...checks, { name: 'one-case-for-resource', passed: false, details: `case ${caseIds[0]} is not in the ledger` }];
  const all: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await session.env.security.ddb.send(new ScanCommand({
      TableName: session.env.ledgerTable, FilterExpression: 'sk = :s AND resourceId = :r AND playbook = :p',
      ExpressionAttributeValues: { ':s': 'CASE', ':r': item.resourceId, ':p': item.playbook }, ExclusiveStartKey: start,
    }));
    all.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  checks.push({ name: 'one-case-for-resource', passed: all.length === 1, details: `${all.length} ${item.playbook} case(s) for ${item.resourceId}: ${all.map((c) => `${c.caseId ?? c.pk}=${c.status}`).join(', ')}` });
  if (containments > 0) checks.push({ name: 'case-contained', passed: item.status === 'CONTAINED', details: `case ${caseIds[0]}: status=${item.status}` });
  return checks;
}

/**
 * Whether each execution a throttle or 5xx fault hit made the failed call again, in a later
 * invocation of the step (the state machine's Retry), and that call succeeded.
 */
function retriedAfter(execs: LocalExecutionResult[], hits: FaultHit[], operation: string): { ok: boolean; details: string }[] {
  const out: { ok: boolean; details: string }[] = [];
  for (const x of execs) {
    const executionId = x.calls[0]?.context.executionId;
    const mine = hits.filter((h) => h.executionId !== undefined && h.executionId === executionId);
    for (const step of [...new Set(mine.map((h) => h.step))]) {
      const inStep = mine.filter((h) => h.step === step);
      const last = inStep[inStep.length - 1];
      const invocations = new Set(inStep.map((h) => h.invocationId)).size;
      const retry = x.calls.find((c) => c.operation === operation && !c.error && c.context.step === step && c.startedAt >= last.at && c.context.invocationId !== last.invocationId);
      out.push({
        ok: !!retry,
        details: `${step ?? '(outside a step)'}: ${inStep.length} fault(s) over ${invocations} invocation(s), ${retry ? `then ${operation} succeeded in a later invocation` : `${operation} never succeeded in a later invocation`}`,
      });
    }
  }
  return out;
}

function stepDuration(execs: LocalExecutionResult[], step: string): { ms: number; invocations: number; status?: string } | undefined {
  const steps = execs.flatMap((x) => x.steps.filter((s) => s.name === step));
  if (!steps.length) return undefined;
  return { ms: steps.reduce((a, s) => a + s.durationMs, 0), invocations: steps.reduce((a, s) => a + s.invocations, 0), status: steps[steps.length - 1].status };
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
    const faults = injection.faults ?? [];
    const extras = injectionWorld(drill, injection);
    const prebuild = injection.repeat?.concurrent || faults.some((f) => f.kind === 'delete-resource') || extras.squatFirebreakGroupNames;
    const given = injection.sameWorld ? previousWorld : undefined;
    const world = given ?? (prebuild ? await buildInjectionWorld(session, event, extras) : undefined);
    const run = await inject(session, drill, injection, event, world);
    if (!injection.sameWorld) previousWorld = run.world;
    const caseBefore = previousCaseId;
    previousCaseId = executionCaseId(orderedExecutions(run.results)[0]?.local) ?? previousCaseId;

    const exp = injection.expect;
    const verdicts: Verdict[] = [];
    const ordered = orderedExecutions(run.results);
    const execs = ordered.map((e) => e.local);
    const extraChecks: Check[] = [];
    // One execution per run (the first matched playbook): what a repeat's runs are judged on.
    const runs = run.results.map((r) => r.executions[0]);
    const budget = { containSeconds: injection.budget?.containSeconds ?? drill.budget.containSeconds, stepSeconds: { ...drill.budget.stepSeconds, ...injection.budget?.stepSeconds } };

    if (!injection.repeat) {
      const report = run.results[0].report;
      const x = report.executions[0];
      const status = x ? x.status : 'NO_MATCH';
      verdicts.push({ name: 'status', passed: status === exp.status && report.executions.length <= 1, details: `expected ${exp.status}, got ${report.executions.map((e) => e.status).join(',') || 'NO_MATCH'}` });
      if (exp.outcome) verdicts.push({ name: 'outcome', passed: x?.outcome === exp.outcome, details: `expected ${exp.outcome}, got ${x?.outcome ?? '-'}` });
    } else {
      const label = (x: LocalExecutionResult | undefined) => (x ? `${x.status}${x.outcome && x.outcome !== x.status ? `/${x.outcome}` : ''}` : 'NO_MATCH');
      const statuses = runs.map(label).join(', ');
      const contained = runs.filter((x) => x?.outcome === 'CONTAINED');
      const rest = runs.filter((x) => x?.outcome !== 'CONTAINED');
      verdicts.push({ name: 'runs', passed: runs.length === injection.repeat.times, details: `${runs.length} of ${injection.repeat.times} ${injection.repeat.concurrent ? 'concurrent' : 'sequential'} runs: ${statuses}` });
      if (exp.status) verdicts.push({ name: 'status', passed: runs.every((x) => (x ? x.status : 'NO_MATCH') === exp.status), details: `expected every run ${exp.status}, got ${statuses}` });
      if (exp.containments !== undefined) verdicts.push({ name: 'containments', passed: contained.length === exp.containments, details: `expected ${exp.containments} run(s) to contain, got ${contained.length} (${statuses})` });
      if (exp.others) verdicts.push({ name: 'others', passed: rest.every((x) => (x ? x.status : 'NO_MATCH') === exp.others), details: `expected every other run ${exp.others}, got ${rest.map(label).join(', ') || 'none'}` });
      if (exp.outcomes) {
        const tally: Record<string, number> = {};
        for (const x of runs) tally[x?.outcome ?? (x ? x.status : 'NO_MATCH')] = (tally[x?.outcome ?? (x ? x.status : 'NO_MATCH')] ?? 0) + 1;
        const keys = [...new Set([...Object.keys(tally), ...Object.keys(exp.outcomes)])].sort();
        const render = (t: Record<string, number>) => keys.filter((k) => t[k]).map((k) => `${k}×${t[k]}`).join(', ');
        verdicts.push({ name: 'outcomes', passed: keys.every((k) => (tally[k] ?? 0) === (exp.outcomes![k] ?? 0)), details: `expected ${render(exp.outcomes)}, got ${render(tally)}` });
      }
      if (exp.outcome) {
        const judged = exp.others ? runs.filter((x) => (x ? x.status : 'NO_MATCH') !== exp.others) : runs;
        verdicts.push({ name: 'outcome', passed: judged.length > 0 && judged.every((x) => x?.outcome === exp.outcome), details: `expected ${exp.outcome}, got ${judged.map((x) => x?.outcome ?? '-').join(', ') || 'no run to judge'}` });
      }
      extraChecks.push(...(await repeatChecks(session, runs.filter((x): x is LocalExecutionResult => !!x), exp.containments ?? 0)));
    }

    // Whatever happened, no ENI of the instance is more open than before the run (issue 10): a failed
    // containment above all must not leave one on the allow-all untrack group.
    if (exp.behaviour && run.world.twin) extraChecks.push(...(await networkNotWiderChecks(session.env.member.ec2, run.world.twin)));
    // Someone else's groups on Firebreak's names are neither used nor changed, whatever the run did.
    if (run.world.squatters?.length) extraChecks.push(...(await squatterChecks(session, run.world.squatters)));
    if (exp.networkInterfaces) {
      extraChecks.push(...(run.world.twin
        ? await eniPlacementChecks(session.env.member.ec2, run.world.twin, exp.networkInterfaces)
        : [{ name: `eni-${exp.networkInterfaces}`, passed: false, details: 'the injection has no twin instance (not an EC2 finding)' }]));
    }
    if (exp.sameCase) extraChecks.push(await sameCaseCheck(session, runs[0], caseBefore, exp.outcome));
    if (exp.behaviour === 'fail-loudly') {
      const judged = runs.filter((x): x is LocalExecutionResult => !!x);
      for (const x of judged) extraChecks.push(...(await failLoudlyChecks(session, x)));
      const succeeded = runs.filter((x) => !x || !ENDED_FAILED.has(x.status));
      verdicts.push({
        name: 'behaviour fail-loudly', passed: judged.length > 0 && succeeded.length === 0,
        details: succeeded.length || !judged.length
          ? `expected every run to end FAILED, got ${runs.map((x) => x?.status ?? 'NO_MATCH').join(', ')}`
          : `${judged[0].status === 'FAILED' ? 'FAILED' : `${judged[0].status} (reported FAILED)`}${judged[0].error ? ` (${judged[0].error.name}: ${judged[0].error.message.slice(0, 160)})` : ''}; notified and on the timeline: see checks case-status-failed, timeline-failed-entry, failure-notified`,
      });
    } else if (exp.behaviour === 'recover') {
      const failed = execs.filter((x) => ENDED_FAILED.has(x.status));
      const gone = runs.filter((x): x is LocalExecutionResult => x?.outcome === 'RESOURCE_GONE');
      for (const x of gone) extraChecks.push(await resourceGoneNotified(session, x));
      const retried: string[] = [];
      let retriesHeld = true;
      (injection.faults ?? []).forEach((f, index) => {
        if (f.kind !== 'throttle' && f.kind !== 'server-error') return;
        for (const line of retriedAfter(execs, run.hits.filter((h) => h.fault === index), f.operation)) {
          retriesHeld &&= line.ok;
          retried.push(line.details);
        }
      });
      verdicts.push({
        name: 'behaviour recover', passed: failed.length === 0 && retriesHeld,
        details: `${failed.length ? `${failed.length} execution(s) FAILED: ${failed.map((x) => `${x.error?.name}: ${x.error?.message.slice(0, 160)}`).join('; ')}` : 'no execution FAILED'}${retried.length ? `; retried: ${retried.join('; ')}` : ''}`,
      });
    }

    const report: ReplayReport = { ...mergeReports(session, run.results, injectionStarted) };
    (report as { checks: Check[] }).checks = [...report.checks, ...extraChecks];

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
    const timed = injection.repeat ? runs.filter((x) => x?.outcome === 'CONTAINED') : exp.status === 'SUCCEEDED' ? runs.slice(0, 1) : [];
    for (const x of timed) {
      if (!x) continue;
      verdicts.push({ name: 'time to contain', passed: x.durationMs <= budget.containSeconds * 1000, details: `${x.durationMs} ms (budget ${budget.containSeconds} s)` });
    }
    const budgeted = injection.repeat ? runs.filter((x) => x?.outcome === 'CONTAINED') : runs.slice(0, 1);
    for (const [step, seconds] of Object.entries(budget.stepSeconds)) {
      const d = stepDuration(budgeted.filter((x): x is LocalExecutionResult => !!x), step);
      verdicts.push({ name: `step budget ${step}`, passed: !d || d.ms <= seconds * 1000, details: d ? `${d.ms} ms over ${d.invocations} invocation(s) (budget ${seconds} s)` : `not run (budget ${seconds} s)` });
    }
    if (run.faults) {
      const silent = run.faults.filter((f) => f.injected === 0);
      verdicts.push({
        name: 'faults injected', passed: silent.length === 0,
        details: run.faults.map((f) => `${f.declared}: ${f.injected} injected${f.kind === 'delete-resource' ? (f.deleted ? ` (${f.deleted})` : '') : ` of ${f.matchingCalls} matching call(s)`}${Object.keys(f.bySteps).length ? ` in ${Object.entries(f.bySteps).map(([s, n]) => `${s}×${n}`).join(', ')}` : ''}`).join('; ')
          + (silent.length ? ` — never fired: ${silent.map((f) => f.declared).join('; ')}` : ''),
      });
    }

    injections.push({
      name: injection.name, passed: verdicts.every((v) => v.passed), verdicts, report,
      ...(exp.behaviour ? { expectedBehaviour: exp.behaviour } : {}),
      ...(run.faults ? { faults: run.faults } : {}),
      ...(injection.repeat ? {
        repeat: injection.repeat.concurrent ? 'concurrent' as const : 'sequential' as const,
        runs: runs.map((x) => ({ status: x ? x.status : 'NO_MATCH', outcome: x?.outcome, caseId: x?.caseId, durationMs: x?.durationMs ?? 0 })),
      } : {}),
    });
  }
  return { drill: drill.name, runbook: drill.runbook, passed: injections.every((i) => i.passed), wallTimeMs: Date.now() - started, injections };
}

/** Renders a scorecard for a human. */
export function renderScorecard(s: DrillScorecard): string[] {
  const lines = [`Game day: ${s.drill} (runbook ${s.runbook})`];
  for (const i of s.injections) {
    const x = i.report.executions[0];
    const behaviour = i.expectedBehaviour ? ` [expect: ${i.expectedBehaviour}]` : '';
    if (i.runs) {
      lines.push(`  ${i.passed ? 'PASS' : 'FAIL'} ${i.name}${behaviour} — ${i.runs.length} ${i.repeat} runs: ${i.runs.map((r) => `${r.status}${r.outcome && r.outcome !== r.status ? `/${r.outcome}` : ''}`).join(', ')}; ${i.report.apiCalls.total} calls (${i.report.apiCalls.mutating} mutating)`);
    } else {
      lines.push(`  ${i.passed ? 'PASS' : 'FAIL'} ${i.name}${behaviour}${x ? ` — ${x.status}/${x.outcome} in ${x.durationMs} ms, ${i.report.apiCalls.total} calls (${i.report.apiCalls.mutating} mutating)` : ''}`);
      lines.push(`      response: ${i.report.response}`);
    }
    for (const f of i.faults ?? []) lines.push(`      fault ${f.declared}: ${f.injected} injected`);
    for (const v of i.verdicts) lines.push(`      ${v.passed ? '✓' : '✗'} ${v.name}: ${v.details}`);
    if (x?.error) {
      const failedStep = x.steps.find((st) => st.status === 'FAILED');
      lines.push(`      error: ${x.error.name}: ${x.error.message}${failedStep ? ` (step ${failedStep.name})` : ''}`);
    }
    const checks = i.report.checks;
    if (checks.length) lines.push(`      read-back checks: ${checks.filter((c) => c.passed).length}/${checks.length} passed${checks.some((c) => !c.passed) ? ` (failed: ${checks.filter((c) => !c.passed).map((c) => c.name).join(', ')})` : ''}`);
    if (i.report.metrics.sequentialCallsToIsolation !== undefined) lines.push(`      isolation: ${i.report.metrics.sequentialCallsToIsolation} sequential calls, ${i.report.metrics.timeToIsolateMs} ms after start`);
    if (i.report.metrics.longestUntrackedMs !== undefined) lines.push(`      longest time an ENI was on the allow-all untrack group: ${i.report.metrics.longestUntrackedMs} ms`);
  }
  const passed = s.injections.filter((i) => i.passed).length;
  lines.push(`  ${s.passed ? 'PASSED' : 'FAILED'}: ${passed}/${s.injections.length} injections, wall time ${s.wallTimeMs} ms`);
  return lines;
}
