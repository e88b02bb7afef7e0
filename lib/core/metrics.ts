/**
 * Firebreak's CloudWatch metrics (issue 16): what the steps emit in the embedded metric format (EMF, through Powertools
 * Metrics: lib/runtime/metrics.ts) and what the dashboard (lib/infra/dashboard.ts) reads. One table, so the two cannot
 * drift (test/infra/dashboard.test.ts checks the synthesized dashboard against the lines a run emitted).
 * Pure: no AWS SDK, no CDK. docs/ARCHITECTURE.md, "Metrics and dashboard".
 */

/** The namespace of every Firebreak metric (the below-floor metric filter's too: `Firebreak/FindingsBelowFloor`). */
export const METRICS_NAMESPACE = 'Firebreak';

/**
 * The dimension Powertools Metrics puts on every metric (`service`): the deployment's prefix, which names its bus
 * (`FirebreakNames`: the bus is `<prefix>`), so two deployments in one account and Region do not mix their figures.
 */
export const SERVICE_DIMENSION = 'service';

/** One metric: its name, its CloudWatch unit, and its dimensions besides {@link SERVICE_DIMENSION}. */
export interface MetricDefinition {
  readonly name: string;
  /** A CloudWatch unit ("MetricDatum", CloudWatch API Reference): `Count` or `Seconds` here. */
  readonly unit: 'Count' | 'Seconds';
  /** Low-cardinality dimensions only: never a case, account or resource ID (those go in the EMF metadata). */
  readonly dimensions: readonly string[];
}

/** Every metric the steps emit. */
export const METRICS = {
  /** One per case event that pages (`outcome`: the page's kind, as the `Firebreak Case` event's `outcome`). */
  cases: { name: 'Cases', unit: 'Count', dimensions: ['playbook', 'outcome'] },
  /** From the case's opening to the end of its first isolating step (see {@link ISOLATING_STEPS}), at the contained page. */
  timeToIsolate: { name: 'TimeToIsolate', unit: 'Seconds', dimensions: ['playbook'] },
  /** From the case's opening to the end of its last containing step (see {@link CONTAINING_STEPS}), at the contained page. */
  timeToContain: { name: 'TimeToContain', unit: 'Seconds', dimensions: ['playbook'] },
  /** One per approval request of a case a brake held (`brake`: `protection` or `breaker`). */
  heldCases: { name: 'HeldCases', unit: 'Count', dimensions: ['brake'] },
  /** One per trip of the blast-radius breaker (the trip's page). */
  breakerTrips: { name: 'BreakerTrips', unit: 'Count', dimensions: [] },
} as const satisfies Record<string, MetricDefinition>;

/** The outcomes {@link METRICS}.cases carries: the kinds of the pages that go with a `Firebreak Case` event. */
export const CASE_OUTCOMES = ['notify-only', 'approval-request', 'contained', 'released', 'failed', 'resource-gone'] as const;

/**
 * The steps whose success isolates the case's resource (the first change that narrows access), by state name:
 * ec2-compromise `Contain` / `ContainClaimed` (the instance's network isolation), credential-compromise
 * `RevokeCredentials`, s3-compromise `ContainBucket`, lambda-compromise `ContainFunction`, rds-compromise
 * `ContainDatabase`, ecs-task-compromise `StopTask`, cloudtrail-tamper `RestoreLogging` and `RevokeActor`.
 */
export const ISOLATING_STEPS: ReadonlySet<string> = new Set([
  'Contain',
  'ContainClaimed',
  'RevokeCredentials',
  'ContainBucket',
  'ContainFunction',
  'ContainDatabase',
  'StopTask',
  'RestoreLogging',
  'RevokeActor',
]);

/**
 * The steps that contain: the isolating ones and those that narrow further or verify the containment
 * (ec2-compromise `DenyInstanceCredentials`, `ResealIsolation`; the playbooks' `Verify…` steps; credential-compromise's
 * `ChainInstanceContainment`). Not the evidence steps (snapshots, copies, artifacts, manifest), which ec2-compromise runs
 * before its contained page.
 */
export const CONTAINING_STEPS: ReadonlySet<string> = new Set([
  ...ISOLATING_STEPS,
  'DenyInstanceCredentials',
  'ResealIsolation',
  'ChainInstanceContainment',
  'VerifyRevocation',
  'VerifyBucketContainment',
  'VerifyFunctionContainment',
  'VerifyDatabaseContainment',
  'VerifyTaskStopped',
  'VerifyTamperResponse',
]);

/** One value of one metric with its dimensions (besides `service`). */
export interface MetricPoint {
  readonly metric: MetricDefinition;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** A timeline entry as far as the times need it (the ledger's `TimelineEntry`). Times are ISO-8601 UTC. */
export interface TimedEntry {
  readonly at: string;
  readonly step: string;
  readonly status: string;
  readonly durationMs?: number;
  /** The step's details; `outcome: 'HELD'` marks a containing step a brake held (it changed nothing). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Time to isolate and time to contain of a case, in seconds (millisecond precision), from the ledger's own timestamps:
 * the case item's `createdAt` (Claim opened the case) and its timeline entries (`at`, the step's start, plus
 * `durationMs`). Isolate: to the end of the earliest SUCCEEDED entry of an {@link ISOLATING_STEPS} step that a brake did
 * not hold (`details.outcome` `HELD`: it changed nothing; the approved run after it is the isolation). Contain: to the
 * latest end of a SUCCEEDED entry of a {@link CONTAINING_STEPS} step (the containment and its verification, not the
 * evidence). Both include any wait for an approval before the containment. An entry that ends before the case opened (clock skew) is ignored; either time
 * is absent when no entry qualifies.
 * @param createdAt - the case item's `createdAt`.
 * @param timeline - the case's timeline, as read before the contained page's own entry is written.
 */
export function containmentTimes(createdAt: string, timeline: readonly TimedEntry[]): { isolate?: number; contain?: number } {
  const opened = Date.parse(createdAt);
  if (Number.isNaN(opened)) return {};
  const ends = timeline
    // A step a brake held succeeds having changed nothing (ec2-compromise's Contain: `outcome: 'HELD'`): not an isolation.
    .filter((e) => e.status === 'SUCCEEDED' && e.details?.outcome !== 'HELD')
    .map((e) => ({ step: e.step, end: Date.parse(e.at) + (e.durationMs ?? 0) }))
    .filter((e) => !Number.isNaN(e.end) && e.end >= opened);
  const isolating = ends.filter((e) => ISOLATING_STEPS.has(e.step)).map((e) => e.end);
  const containing = ends.filter((e) => CONTAINING_STEPS.has(e.step)).map((e) => e.end);
  const seconds = (end: number) => Math.round(end - opened) / 1000;
  return {
    ...(isolating.length ? { isolate: seconds(Math.min(...isolating)) } : {}),
    ...(containing.length ? { contain: seconds(Math.max(...containing)) } : {}),
  };
}

/**
 * The points of one case event: the case counted by outcome and, for a contained case, its times.
 * @param playbook - the case's playbook.
 * @param outcome - the page's kind ({@link CASE_OUTCOMES}).
 * @param times - {@link containmentTimes}, for a contained page.
 */
export function caseEventPoints(playbook: string, outcome: string, times: { isolate?: number; contain?: number } = {}): MetricPoint[] {
  return [
    { metric: METRICS.cases, value: 1, dimensions: { playbook, outcome } },
    ...(times.isolate !== undefined ? [{ metric: METRICS.timeToIsolate, value: times.isolate, dimensions: { playbook } }] : []),
    ...(times.contain !== undefined ? [{ metric: METRICS.timeToContain, value: times.contain, dimensions: { playbook } }] : []),
  ];
}
