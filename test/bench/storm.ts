/**
 * The storm (issue 13, "a storm that never fails"): F GuardDuty findings over N instances in A member accounts, repeats
 * included, all put at once through the synthesized rules into the finding buffer and drained by the starter as Lambda's
 * event-source mapping would (lib/harness/local/buffer.ts), or, for comparison, each routed event started at once as a
 * rule targeting the state machine directly would (`direct`). Everything is read back from the emulator: the ledger's
 * claims and cases, the member and security accounts' snapshots and security groups, the executions' statuses.
 * Used by test/playbook/storm.test.ts (a storm sized for CI) and `npm run bench` (the storm); timing is reported
 * only by the bench.
 */
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand } from '@aws-sdk/client-kms';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeSecurityGroupsCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { BUFFER_LIMITS } from '../../lib/core/buffer';
import { GuardDutyEventSchema } from '../../lib/core/incident/schema';
import { TAG } from '../../lib/core/tags';
import { LocalFindingBuffer, DrainReport } from '../../lib/harness/local/buffer';
import { harnessClients, HarnessClients } from '../../lib/harness/local/harness-clients';
import { readEventFile, EventEnvelope } from '../../lib/harness/local/replay';
import { openLocalSession, type LocalSession } from '../../lib/harness/local/session';
import { loadSecurityTemplate } from '../../lib/harness/local/template-cache';
import { buildTwinWorld, remapEvent, TwinWorld } from '../../lib/harness/local/twin';
import { hasAwsCode } from '../../lib/runtime/aws-errors';

/** The shape of a storm. */
export interface StormSpec {
  readonly findings: number;
  readonly instances: number;
  readonly accounts: number;
  /** Distinct findings per instance; the rest of each instance's share are repeats (same ID, higher count). @default 2 */
  readonly distinctPerInstance?: number;
  /** `buffer` (what the stack deploys) or `direct` (each event started at once, the stack before the buffer). @default 'buffer' */
  readonly mode?: 'buffer' | 'direct';
}

/** What a storm did, read back from the emulator. */
export interface StormResult {
  readonly spec: StormSpec;
  readonly events: number;
  readonly executions: { total: number; byStatus: Record<string, number>; failures: string[] };
  /** Instances with exactly one case; instances with none or several. */
  readonly instancesWithOneCase: number;
  readonly instancesWithoutOneCase: string[];
  readonly casesByStatus: Record<string, number>;
  /** Distinct findings not on their instance's case. */
  readonly findingsNotRecorded: number;
  /** Snapshots (member, transit and security copies) beyond one per volume, stage and case. */
  readonly duplicateSnapshots: number;
  /** Firebreak security groups beyond one per role and VPC. */
  readonly duplicateGroups: number;
  /** Epoch ms from the first event put to each instance's last isolation move (the ec2 incident's Isolate end), per contained instance. */
  readonly timesToIsolateMs: number[];
  /**
   * The most executions of one member account that ran at once, each counted from its start for at most the slot lease
   * (what the buffer's per-account limit bounds: lib/core/buffer.ts).
   */
  readonly maxInFlightPerAccount: number;
  readonly wallMs: number;
  readonly drain?: DrainReport;
}

const FIXTURE = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';

/** Member accounts of the storm: the seeded one, then 1111111111<nn>. */
function memberAccounts(session: LocalSession, n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? session.env.memberAccount : `1111111111${String(i).padStart(2, '0')}`));
}

/** What the member stack gives a member account, as the seed does for the first (the responder role, the transit key). */
async function seedMember(c: HarnessClients, securityAccount: string): Promise<void> {
  await c.iam
    .send(
      new CreateRoleCommand({
        RoleName: 'FirebreakResponder',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${securityAccount}:root` }, Action: 'sts:AssumeRole' }],
        }),
      }),
    )
    .catch((err: unknown) => {
      if (!hasAwsCode(err, 'EntityAlreadyExists')) throw err;
    });
  await c.iam.send(
    new PutRolePolicyCommand({
      RoleName: 'FirebreakResponder',
      PolicyName: 'local-stand-in',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['ec2:*', 'autoscaling:*', 'elasticloadbalancing:*', 'kms:*'], Resource: '*' }],
      }),
    }),
  );
  const exists = await c.kms.send(new DescribeKeyCommand({ KeyId: 'alias/firebreak-evidence-transit' })).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const k = await c.kms.send(new CreateKeyCommand({ Description: 'Firebreak evidence transit (storm member)' }));
    await c.kms.send(new CreateAliasCommand({ AliasName: 'alias/firebreak-evidence-transit', TargetKeyId: k.KeyMetadata!.KeyId }));
  }
}

interface StormInstance {
  readonly account: string;
  readonly clients: HarnessClients;
  readonly twin: TwinWorld;
  readonly findingIds: Set<string>;
}

/** Builds the twins and the events: instance i gets findings i, i+N, i+2N…; the first `distinct` of them new IDs, the rest repeats. */
async function prepare(session: LocalSession, spec: StormSpec): Promise<{ instances: StormInstance[]; events: EventEnvelope[] }> {
  const base = readEventFile(FIXTURE);
  const gd = GuardDutyEventSchema.parse(base);
  const accounts = memberAccounts(session, spec.accounts);
  const clients = accounts.map((a) => (a === session.env.memberAccount ? session.env.member : harnessClients(session.env.endpoint, a)));
  for (const c of clients.slice(1)) await seedMember(c, session.env.securityAccount);
  const instances: StormInstance[] = [];
  for (let i = 0; i < spec.instances; i++) {
    const c = clients[i % clients.length];
    const twin = await buildTwinWorld(gd, c);
    instances.push({ account: c.accountId, clients: c, twin, findingIds: new Set() });
  }
  const distinct = spec.distinctPerInstance ?? 2;
  const events: EventEnvelope[] = [];
  for (let f = 0; f < spec.findings; f++) {
    const inst = instances[f % instances.length];
    const nth = Math.floor(f / instances.length);
    const findingId = `storm${String(f % instances.length).padStart(4, '0')}f${nth % distinct}`.padEnd(32, '0');
    inst.findingIds.add(findingId);
    const event = remapEvent(base, { ...inst.twin.idMap, [gd.detail.accountId]: inst.account }) as EventEnvelope;
    const detail = event.detail as { id: string; service: { count: number }; updatedAt?: string };
    detail.id = findingId;
    detail.service.count = 1 + Math.floor(nth / distinct);
    events.push({ ...event, id: `storm-${f}` });
  }
  return { instances, events };
}

/**
 * Runs a storm on an open session and reads the outcome back.
 * @param session - a local session (its emulator is used as it is: run a storm on a fresh one).
 * @param spec - the storm's shape.
 */
export async function runStorm(session: LocalSession, spec: StormSpec): Promise<StormResult> {
  const { instances, events } = await prepare(session, spec);
  const before = new Set(session.sfn.list().map((x) => x.executionArn));
  const started = Date.now();
  let drain: DrainReport | undefined;
  let runs: Run[];
  if ((spec.mode ?? 'buffer') === 'buffer') {
    const buffer = await LocalFindingBuffer.create(session, loadSecurityTemplate());
    await buffer.deliver(events.map((event) => ({ event })));
    drain = await buffer.drain();
    await session.sfn.settle();
    runs = session.sfn
      .list()
      .filter((x) => !before.has(x.executionArn))
      .map((x) => ({
        input: x.input,
        status: x.status,
        start: x.startDate,
        end: x.stopDate ?? Date.now(),
        ...(x.error ? { error: `${x.name}: ${x.error}: ${String(x.cause ?? '').slice(0, 300)}` } : {}),
      }));
  } else {
    // Before the buffer: every routed event started its playbook at once (EventBridge → Step Functions).
    const routed = [];
    for (const event of events) routed.push(await session.router.route(event));
    runs = await Promise.all(
      routed.flatMap((r) =>
        r.stateMachines.map((id) =>
          session.runner.execute(id, r.delivered ?? {}).then(
            (x) => ({ input: JSON.stringify(r.delivered ?? {}), status: x.status, start: x.startedAt, end: x.startedAt + x.durationMs }),
            () => ({ input: JSON.stringify(r.delivered ?? {}), status: 'CRASHED', start: started, end: Date.now() }),
          ),
        ),
      ),
    );
  }
  const wallMs = Date.now() - started;
  return { spec, events: events.length, ...(await readBack(session, instances, runs, started)), wallMs, drain };
}

/** One execution of the storm: its input (the event), how it ended, when it ran (epoch ms). */
interface Run {
  readonly input: string;
  readonly status: string;
  /** How a failed execution failed (its name, error and cause). */
  readonly error?: string;
  readonly start: number;
  readonly end: number;
}

/** The most runs of one account at once, each counted for at most the slot lease from its start. */
function maxInFlight(runs: readonly Run[]): number {
  const byAccount = new Map<string, [number, number][]>();
  for (const r of runs) {
    const account = String((JSON.parse(r.input) as { detail?: { accountId?: string } }).detail?.accountId);
    const end = Math.min(r.end, r.start + BUFFER_LIMITS.slotLeaseSeconds * 1000);
    byAccount.set(account, [...(byAccount.get(account) ?? []), [r.start, 1], [end, -1]]);
  }
  let most = 0;
  for (const marks of byAccount.values()) {
    let now = 0;
    // An end before a start at the same instant: the slot was free when the next execution started.
    for (const [, d] of marks.sort((a, b) => a[0] - b[0] || a[1] - b[1])) most = Math.max(most, (now += d));
  }
  return most;
}

async function readBack(session: LocalSession, instances: StormInstance[], runs: readonly Run[], started: number) {
  const items = await scanLedger(session);
  const claims = items.filter((i) => String(i.pk).startsWith('CLAIM#ec2-compromise#'));
  const cases = new Map(items.filter((i) => i.sk === 'CASE').map((i) => [String(i.caseId), i]));
  const casesByStatus: Record<string, number> = {};
  const instancesWithoutOneCase: string[] = [];
  let findingsNotRecorded = 0;
  let duplicateSnapshots = 0;
  let duplicateGroups = 0;
  const timesToIsolateMs: number[] = [];
  for (const inst of instances) {
    const mine = claims.filter((c) => String(c.pk).endsWith(`#${inst.account}#${session.env.region}#${inst.twin.instanceId}`));
    const caseIds = [...cases.values()].filter((c) => c.resourceId === inst.twin.instanceId);
    if (mine.length !== 1 || caseIds.length > 1) instancesWithoutOneCase.push(inst.twin.instanceId);
    const kase = mine[0] ? cases.get(String(mine[0].caseId)) : undefined;
    casesByStatus[String(kase?.status ?? 'NONE')] = (casesByStatus[String(kase?.status ?? 'NONE')] ?? 0) + 1;
    const recorded = new Set<string>(kase?.findingIds ? [...(kase.findingIds as Set<string>)] : []);
    for (const id of inst.findingIds) if (!recorded.has(id)) findingsNotRecorded++;
    if (kase) {
      duplicateSnapshots += await excessSnapshots(session, inst, String(kase.caseId));
      const isolatedAt = items.find(
        (t) => t.pk === `CASE#${String(kase.caseId)}` && String(t.sk).startsWith('TL#') && t.step === 'Contain' && t.status === 'SUCCEEDED',
      );
      if (isolatedAt?.at) timesToIsolateMs.push(Date.parse(String(isolatedAt.at)) + Number(isolatedAt.durationMs ?? 0) - started);
    }
    duplicateGroups += await excessGroups(inst);
  }
  const byStatus: Record<string, number> = {};
  for (const x of runs) byStatus[x.status] = (byStatus[x.status] ?? 0) + 1;
  return {
    executions: { total: runs.length, byStatus, failures: runs.filter((r) => r.error).map((r) => r.error!) },
    maxInFlightPerAccount: maxInFlight(runs),
    instancesWithOneCase: instances.length - instancesWithoutOneCase.length,
    instancesWithoutOneCase,
    casesByStatus,
    findingsNotRecorded,
    duplicateSnapshots,
    duplicateGroups,
    timesToIsolateMs: timesToIsolateMs.sort((a, b) => a - b),
  };
}

/** What the storm reads of the ledger's items (claims, cases, timeline entries). */
interface LedgerItem {
  readonly pk: string;
  readonly sk: string;
  readonly caseId?: string;
  readonly status?: string;
  readonly resourceId?: string;
  readonly findingIds?: Set<string>;
  readonly step?: string;
  readonly at?: string;
  readonly durationMs?: number;
}

async function scanLedger(session: LocalSession): Promise<LedgerItem[]> {
  const out: LedgerItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await session.env.security.ddb.send(new ScanCommand({ TableName: session.env.ledgerTable, ExclusiveStartKey: start }));
    out.push(...((page.Items ?? []) as LedgerItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Snapshots tagged with the case beyond one per volume and stage, in the member account and the security account. */
async function excessSnapshots(session: LocalSession, inst: StormInstance, caseId: string): Promise<number> {
  let excess = 0;
  for (const [c, owner] of [
    [inst.clients, inst.account],
    [session.env.security, session.env.securityAccount],
  ] as const) {
    const snaps =
      (await c.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: [owner], Filters: [{ Name: `tag:${TAG.caseId}`, Values: [caseId] }] })))
        .Snapshots ?? [];
    const byStage = new Map<string, number>();
    for (const s of snaps) {
      const stage = s.Tags?.find((t) => t.Key === TAG.stage)?.Value ?? '?';
      byStage.set(stage, (byStage.get(stage) ?? 0) + 1);
    }
    for (const n of byStage.values()) excess += Math.max(0, n - inst.twin.volumeIds.length);
  }
  return excess;
}

/** Firebreak's groups in the instance's VPC beyond one per role. */
async function excessGroups(inst: StormInstance): Promise<number> {
  const groups =
    (
      await inst.clients.ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [inst.twin.vpcId] },
            { Name: 'tag-key', Values: [TAG.role] },
          ],
        }),
      )
    ).SecurityGroups ?? [];
  const byRole = new Map<string, number>();
  for (const g of groups) {
    const role = g.Tags?.find((t) => t.Key === TAG.role)?.Value ?? '?';
    byRole.set(role, (byRole.get(role) ?? 0) + 1);
  }
  return [...byRole.values()].reduce((n, k) => n + Math.max(0, k - 1), 0);
}

/** The p-th percentile (0–100) of sorted numbers, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * The storm as `npm run bench` reports it, on a fresh local session: cases, duplicates, failures, incidents per second
 * (contained instances over the storm's wall time, from the first event put to the last execution's end) and the time
 * to isolate (from the first event put to each instance's Contain end (its timeline entry)), p50 and p99, in milliseconds.
 */
export async function benchStorm(spec: StormSpec): Promise<Record<string, unknown>> {
  // The blast-radius breaker (issue 14) wide open: this measures containment itself, many instances per account.
  const session = await openLocalSession({
    environment: { FIREBREAK_BREAKER: JSON.stringify({ perAccount: 1000, perOrganization: 10000 }) },
  });
  try {
    const r = await runStorm(session, spec);
    return {
      ...r.spec,
      events: r.events,
      executions: r.executions,
      instancesWithOneCase: r.instancesWithOneCase,
      instancesWithoutOneCase: r.instancesWithoutOneCase.length,
      casesByStatus: r.casesByStatus,
      duplicateSnapshots: r.duplicateSnapshots,
      duplicateGroups: r.duplicateGroups,
      findingsNotRecorded: r.findingsNotRecorded,
      maxInFlightPerAccount: r.maxInFlightPerAccount,
      failed: (r.executions.byStatus.FAILED ?? 0) + (r.executions.byStatus.TIMED_OUT ?? 0) + (r.executions.byStatus.ABORTED ?? 0),
      incidentsPerSecond: Number(((r.casesByStatus.CONTAINED ?? 0) / (r.wallMs / 1000)).toFixed(2)),
      p50TimeToIsolateMs: percentile(r.timesToIsolateMs, 50),
      p99TimeToIsolateMs: percentile(r.timesToIsolateMs, 99),
      wallMs: r.wallMs,
      drain: r.drain,
    };
  } finally {
    await session.close();
  }
}
