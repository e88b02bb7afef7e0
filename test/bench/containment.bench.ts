/**
 * Benchmark (`npm run bench`): contains the two-ENI IPv6 fixture N times on one local session and
 * reports time-to-isolate, time-to-contain, the longest time an ENI spent on the allow-all untrack group, AWS calls and
 * the sequential calls to isolation (the smallest count of the runs, the first incident in a VPC and the steady state
 * each run N times: see `dependencyDepth`);
 * then one fixture per playbook (state transitions, outcome, calls: test/bench/playbooks.ts); then every Lambda step's
 * bundle size and cold init (test/bench/lambda-init.ts); then the issue-13 storm through the finding buffer on a fresh
 * session (test/bench/storm.ts: 1,000 findings over 200 instances in 4 accounts). Timing lives here, never in the tests.
 * Usage: npm run bench -- [runs=5] [--no-storm | --storm=<findings>,<instances>,<accounts>]
 */
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { LocalSession, openLocalSession } from '../../lib/harness/local/session';
import { buildTwinWorld } from '../../lib/harness/local/twin';
import { GuardDutyEventSchema } from '../../lib/core/incident/schema';
import { ensureIsolationGroups } from '../../lib/runtime/ec2/isolation-groups';
import { measureLambdas, summarizeLambdas } from './lambda-init';
import { benchStorm } from './storm';
import { measurePlaybooks } from './playbooks';

const args = process.argv.slice(2);
const runs = Number(args.find((a) => !a.startsWith('--')) ?? 5);
const withStorm = !args.includes('--no-storm');
/** `--storm=<findings>,<instances>,<accounts>` runs a smaller storm for a quick look; the storm is the default. */
const stormArg = args.find((a) => a.startsWith('--storm='));
const [findings, instances, accounts] = stormArg ? stormArg.slice('--storm='.length).split(',').map(Number) : [1000, 200, 4];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The steady state: a twin whose VPC already holds Firebreak's groups, made by Firebreak's own code as an earlier
 * incident in that VPC leaves them (`ensureIsolationGroups`), then the same finding contained on it.
 */
async function steadyState(session: LocalSession, event: ReturnType<typeof readEventFile>) {
  const samples: { sequential: number; chain: string[]; total: number; mutating: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const twin = await buildTwinWorld(GuardDutyEventSchema.parse(event), session.env.member);
    await ensureIsolationGroups({ vpcId: twin.vpcId, caseId: 'bench-earlier-incident', mode: 'apply' }, session.env.member.ec2);
    const { report } = await replayEvent(session, event, { twin });
    const x = report.executions[0];
    if (x.outcome !== 'CONTAINED') throw new Error(`steady state: ${x.status} ${x.outcome} ${x.error?.message ?? ''}`);
    samples.push({
      sequential: report.metrics.sequentialCallsToIsolation ?? NaN,
      chain: report.metrics.isolationChain ?? [],
      total: report.apiCalls.total,
      mutating: report.apiCalls.mutating,
    });
  }
  const best = dependencyDepth(
    samples.map((r) => r.sequential),
    samples.map((r) => r.chain),
  );
  return {
    sequentialCallsToIsolation: best.sequential,
    sequentialCallsToIsolationMax: best.max,
    isolationChain: best.chain,
    apiCalls: median(samples.map((r) => r.total)),
    mutatingApiCalls: median(samples.map((r) => r.mutating)),
  };
}

/**
 * The sequential calls to isolation of several runs, as one figure: the chain is inferred from timing (a call that began
 * after another ended follows it), so every run's chain holds every real dependency and, now and then, a coincidence (a
 * parallel DryRun that happened to end before the transaction began): each run's count is at least the dependency
 * depth, and the smallest of them is the tightest bound on it. The largest is reported beside it.
 */
function dependencyDepth(counts: number[], chains: string[][]): { sequential: number; max: number; chain: string[] } {
  const i = counts.indexOf(Math.min(...counts));
  return { sequential: counts[i], max: Math.max(...counts), chain: chains[i] };
}

async function main(): Promise<void> {
  // The blast-radius breaker (issue 14) wide open: this measures containment itself, many instances per account.
  const session = await openLocalSession({
    environment: { FIREBREAK_BREAKER: JSON.stringify({ perAccount: 1000, perOrganization: 10000 }) },
  });
  let closed: Promise<void> | undefined;
  try {
    const event = readEventFile('fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json');
    const chains: string[][] = [];
    const rows: { contain: number; isolate: number; untracked: number; sequential: number; total: number; mutating: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const { report } = await replayEvent(session, event);
      const x = report.executions[0];
      if (x.outcome !== 'CONTAINED') throw new Error(`run ${i}: ${x.status} ${x.outcome} ${x.error?.message ?? ''}`);
      rows.push({
        contain: x.durationMs,
        isolate: report.metrics.timeToIsolateMs ?? NaN,
        untracked: report.metrics.longestUntrackedMs ?? NaN,
        sequential: report.metrics.sequentialCallsToIsolation ?? NaN,
        total: report.apiCalls.total,
        mutating: report.apiCalls.mutating,
      });
      chains.push(report.metrics.isolationChain ?? []);
    }
    const steady = await steadyState(session, event);
    const playbooks = await measurePlaybooks(session);
    const lambdas = await measureLambdas();
    closed = session.close();
    await closed;
    // On a fresh session of its own: the storm needs an emulator nothing else ran on.
    const storm = withStorm ? await benchStorm({ findings, instances, accounts }) : 'skipped (--no-storm)';
    process.stdout.write(
      `${JSON.stringify(
        {
          runs,
          medianTimeToContainMs: median(rows.map((r) => r.contain)),
          medianTimeToIsolateMs: median(rows.map((r) => r.isolate)),
          medianLongestUntrackedMs: median(rows.map((r) => r.untracked)),
          maxLongestUntrackedMs: Math.max(...rows.map((r) => r.untracked)),
          // Each run replays into a new twin VPC: the chain of the first incident in a VPC (groups created).
          ...(({ sequential, max, chain }) => ({
            sequentialCallsToIsolation: sequential,
            sequentialCallsToIsolationMax: max,
            isolationChain: chain,
          }))(
            dependencyDepth(
              rows.map((r) => r.sequential),
              chains,
            ),
          ),
          steadyState: steady,
          apiCalls: median(rows.map((r) => r.total)),
          mutatingApiCalls: median(rows.map((r) => r.mutating)),
          rows,
          playbooks,
          lambdas: summarizeLambdas(lambdas),
          storm,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await (closed ?? session.close());
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
