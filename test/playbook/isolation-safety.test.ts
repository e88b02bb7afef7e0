import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { Fault, FaultSchema, installFaults } from '../../lib/harness/gameday/faults';
import { buildInjectionWorld } from '../../lib/harness/gameday/world';
import { networkNotWiderChecks } from '../../lib/harness/local/checks';
import { readNotifications } from '../../lib/harness/local/notifications';
import { EventEnvelope, readEventFile, replayEvent, ReplayResult } from '../../lib/harness/local/replay';
import type { TwinExtras, TwinWorld } from '../../lib/harness/local/twin';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';
import { enforceResponderPolicy, responderPolicy } from '../support/responder-policy';

/**
 * Issue 10: containment never leaves an ENI more open than it found it, at any fault point of Isolate,
 * and never writes off a live instance or reports a containment it did not verify. Every assertion
 * reads the emulator (EC2, the ledger, the notification queue) back.
 */
const BITCOIN = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
const MOVE = 'EC2.ModifyNetworkInterfaceAttribute';

describe('ec2-compromise isolation under faults', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0', FIREBREAK_NOT_FOUND_GRACE_SECONDS: '4' } });
  const ec2 = (): EC2Client => local.session.env.member.ec2;

  async function run(
    faults: unknown[],
    options: { extras?: TwinExtras; twin?: TwinWorld; event?: EventEnvelope } = {},
  ): Promise<ReplayResult & { faultHits: number }> {
    const installed = installFaults(faults.map((f) => FaultSchema.parse(f)) as Fault[], {
      seed: 'isolation-safety',
      deleteResource: async () => {
        throw new Error('no resource is deleted in these tests');
      },
    });
    try {
      const r = await replayEvent(local.session, options.event ?? readEventFile(BITCOIN), { extras: options.extras, twin: options.twin });
      // Every declared fault must have fired, or the test proves nothing.
      for (const f of installed.reports()) expect([f.declared, f.injected > 0]).toEqual([f.declared, true]);
      return { ...r, faultHits: installed.hits().length };
    } finally {
      installed.remove();
    }
  }

  /** Each ENI's state, read back: `original`, `isolation` (one group tagged isolation, no rules) or what it is on. */
  async function enisOf(twin: TwinWorld): Promise<Record<string, string>> {
    const enis =
      (
        await ec2().send(
          new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: twin.networkInterfaceIds }] }),
        )
      ).NetworkInterfaces ?? [];
    const out: Record<string, string> = {};
    for (const e of enis) {
      const ids = (e.Groups ?? []).map((g) => g.GroupId!);
      const original = twin.originalGroupsByEni[e.NetworkInterfaceId!] ?? [];
      if (ids.length === original.length && ids.every((g) => original.includes(g))) out[e.NetworkInterfaceId!] = 'original';
      else {
        const g =
          ids.length === 1 ? (await ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: ids }))).SecurityGroups?.[0] : undefined;
        const isolation =
          g &&
          g.Tags?.some((t) => t.Key === 'firebreak:role' && t.Value === 'isolation') &&
          !g.IpPermissions?.length &&
          !g.IpPermissionsEgress?.length;
        out[e.NetworkInterfaceId!] = isolation ? 'isolation' : `on ${ids.join('+')}`;
      }
    }
    return out;
  }

  async function wider(twin: TwinWorld): Promise<string[]> {
    return (await networkNotWiderChecks(ec2(), twin)).filter((c) => !c.passed).map((c) => `${c.name}: ${c.details}`);
  }

  async function notificationsOf(caseId: string | undefined, kind: string) {
    return (await readNotifications(local.session.env)).filter((n) => n.caseId === caseId && n.kind === kind);
  }

  it('a denial of every ENI move leaves each ENI on its own groups; the case is FAILED and notified', async () => {
    const r = await run([{ kind: 'deny', operation: MOVE }]);
    const x = r.report.executions[0];
    expect(x.status).toBe('FAILED');
    expect(Object.values(await enisOf(r.twin!))).toEqual(['original']);
    expect(await wider(r.twin!)).toEqual([]);
    expect(await notificationsOf(x.caseId, 'failed')).toHaveLength(1);
  }, 120_000);

  it('a denial between the two moves: the failure path puts the ENI on the isolation group before it records the failure', async () => {
    // Call 1 is the DryRun of the move onto the isolation group, call 2 the move onto the untrack group.
    const r = await run([{ kind: 'deny', operation: MOVE, skip: 2, times: 1 }]);
    const x = r.report.executions[0];
    expect(x.status).toBe('FAILED');
    expect(Object.values(await enisOf(r.twin!))).toEqual(['isolation']);
    expect(await wider(r.twin!)).toEqual([]);
    const [failed] = await notificationsOf(x.caseId, 'failed');
    expect(JSON.parse(failed.body).network.moved).toEqual(r.twin!.networkInterfaceIds);
    const { timeline } = await readCase(local.session.env, x.caseId!);
    expect(timeline.some((t) => t.step === 'ResealIsolation' && t.status === 'SUCCEEDED')).toBe(true);
  }, 120_000);

  it('sustained throttling of every ENI move moves nothing: FAILED, each ENI on its own groups', async () => {
    const r = await run([{ kind: 'throttle', operation: MOVE, rate: 1 }]);
    expect(r.report.executions[0].status).toBe('FAILED');
    expect(Object.values(await enisOf(r.twin!))).toEqual(['original']);
    expect(await wider(r.twin!)).toEqual([]);
  }, 180_000);

  it('throttling from the second move on, longer than Isolate retries: the failure path still ends on the isolation group', async () => {
    // 5 attempts per Isolate run (4 waits) x 5 runs (the state machine's 4 retries) = 25 throttled calls, then 5 more in ResealIsolation's first run.
    const r = await run([{ kind: 'throttle', operation: MOVE, rate: 1, skip: 2, times: 30 }]);
    expect(r.report.executions[0].status).toBe('FAILED');
    expect(Object.values(await enisOf(r.twin!))).toEqual(['isolation']);
    expect(await wider(r.twin!)).toEqual([]);
  }, 240_000);

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])(
    'a crash right after ENI move %i of a five-ENI instance never leaves an ENI open, and the case ends CONTAINED',
    async (k) => {
      const r = await run([{ kind: 'crash', operation: MOVE, after: k }], { extras: { extraNetworkInterfaces: 4 } });
      const twin = r.twin!;
      expect(twin.networkInterfaceIds).toHaveLength(5);
      expect(r.faultHits).toBe(1);
      expect(r.executions[0].steps.find((s) => s.name === 'Contain')?.invocations).toBeGreaterThanOrEqual(1);
      expect(await wider(twin)).toEqual([]);
      const states = Object.values(await enisOf(twin));
      expect(states.every((s) => s === 'original' || s === 'isolation')).toBe(true);
      // The execution retries the crashed step, or the next finding resumes the case: either way it ends contained.
      let status = (await readCase(local.session.env, r.report.executions[0].caseId!)).item?.status;
      if (status !== 'CONTAINED') {
        await run([], { twin });
        status = (await readCase(local.session.env, r.report.executions[0].caseId!)).item?.status;
      }
      expect(status).toBe('CONTAINED');
      expect(Object.values(await enisOf(twin))).toEqual(['isolation', 'isolation', 'isolation', 'isolation', 'isolation']);
    },
    180_000,
  );

  it('an execution that times out between the two moves: the case is FAILED, told, and the ENI is moved off the untrack group', async () => {
    let moves = 0;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first move that takes effect (onto the untrack group) never returns while the execution is alive.
    const remove = registerSdkInterceptor({
      after: async (call) => {
        if (call.operation === MOVE && ++moves === 1) await held;
      },
    });
    let r: ReplayResult;
    try {
      r = await replayEvent(local.session, readEventFile(BITCOIN), { execute: { timeoutSeconds: 3 } });
      const x = r.report.executions[0];
      expect(x.outcome).toBe('TIMED_OUT');
      // Read back while the stuck invocation is still held: the ENI is on the isolation group, not on the untrack one.
      expect(Object.values(await enisOf(r.twin!))).toEqual(['isolation']);
      expect(await wider(r.twin!)).toEqual([]);
      expect((await readCase(local.session.env, x.caseId!)).item?.status).toBe('FAILED');
      const [failed] = await notificationsOf(x.caseId, 'failed');
      expect(JSON.parse(failed.body).network.moved).toEqual(r.twin!.networkInterfaceIds);
    } finally {
      remove();
      release();
    }
  }, 120_000);

  describe("groups that are not Firebreak's", () => {
    it.each([
      ['empty', false],
      ['with a rule', true],
    ])(
      "an untagged group with the isolation group's name (%s) is left untouched and a new tagged group is used, under the responder's real policy",
      async (_label, withRule) => {
        const { env } = local.session;
        const event = readEventFile(BITCOIN);
        const world = await buildInjectionWorld(local.session, event, {});
        const vpcId = world.twin!.vpcId;
        const squat = async (name: string) => {
          const id = (
            await env.member.ec2.send(new CreateSecurityGroupCommand({ GroupName: name, VpcId: vpcId, Description: "not Firebreak's" }))
          ).GroupId!;
          if (withRule)
            await env.member.ec2.send(
              new AuthorizeSecurityGroupIngressCommand({
                GroupId: id,
                IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }],
              }),
            );
          return (await env.member.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups![0];
        };
        const squatters = [await squat(`firebreak-isolation-${vpcId}`), await squat(`firebreak-untrack-${vpcId}`)];
        const remove = enforceResponderPolicy(
          env.member.ec2,
          responderPolicy(env.memberAccount, env.region, env.securityAccount),
          env.memberAccount,
          env.region,
        );
        let r: ReplayResult;
        try {
          r = await replayEvent(local.session, event, { twin: world.twin });
        } finally {
          remove();
        }
        expect(r.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
        expect(Object.values(await enisOf(world.twin!))).toEqual(['isolation']);
        // The strangers' groups are exactly as they were: same rules, no tag, no ENI moved onto them.
        for (const before of squatters) {
          const after = (await env.member.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [before.GroupId!] }))).SecurityGroups![0];
          expect([after.IpPermissions, after.IpPermissionsEgress, after.Tags ?? []]).toEqual([
            before.IpPermissions,
            before.IpPermissionsEgress,
            before.Tags ?? [],
          ]);
        }
        const enis = (
          await env.member.ec2.send(
            new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: world.twin!.networkInterfaceIds }] }),
          )
        ).NetworkInterfaces!;
        expect(enis.flatMap((e) => (e.Groups ?? []).map((g) => g.GroupId))).not.toContain(squatters[0].GroupId);
      },
      240_000,
    );
  });

  it('a security group EC2 does not show yet right after CreateSecurityGroup is waited for, and the instance is contained', async () => {
    // "Eventual consistency in the Amazon EC2 API": a call naming a group just created may answer InvalidGroup.NotFound.
    const created = new Set<string>();
    const answered = new Set<string>();
    const remove = registerSdkInterceptor({
      before: (call) => {
        const input = call.input as { GroupIds?: string[]; GroupId?: string; Groups?: string[] };
        const named = [...(input.GroupIds ?? []), ...(input.GroupId ? [input.GroupId] : []), ...(input.Groups ?? [])];
        const fresh = named.find((g) => created.has(g) && !answered.has(`${call.operation}:${g}`));
        if (!fresh) return;
        answered.add(`${call.operation}:${fresh}`);
        throw Object.assign(new Error(`The security group '${fresh}' does not exist`), {
          name: 'InvalidGroup.NotFound',
          $metadata: { httpStatusCode: 400 },
        });
      },
      after: (call, output) => {
        if (call.operation === 'EC2.CreateSecurityGroup') created.add((output as { GroupId?: string }).GroupId!);
      },
    });
    let r: ReplayResult;
    try {
      r = await run([]);
    } finally {
      remove();
    }
    expect(created.size).toBe(2);
    // The rule changes and the moves each met a group EC2 did not show yet, once; a new group is never read back
    // (its rules are set from what a new group holds, issue 13), so no DescribeSecurityGroups names one.
    const operations = [...answered].map((a) => a.split(':')[0]);
    expect(operations).toEqual(
      expect.arrayContaining([
        'EC2.AuthorizeSecurityGroupEgress',
        'EC2.AuthorizeSecurityGroupIngress',
        'EC2.ModifyNetworkInterfaceAttribute',
        'EC2.RevokeSecurityGroupEgress',
      ]),
    );
    expect(operations).not.toContain('EC2.DescribeSecurityGroups');
    expect(r.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(Object.values(await enisOf(r.twin!))).toEqual(['isolation']);
  }, 120_000);

  describe('the instance as EC2 answers for it', () => {
    it('NotFound on the first two DescribeInstances, then found: contained', async () => {
      const r = await run([{ kind: 'not-found', operation: 'EC2.DescribeInstances', times: 2 }]);
      expect(r.faultHits).toBe(2);
      expect(r.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
      expect(Object.values(await enisOf(r.twin!))).toEqual(['isolation']);
    }, 120_000);

    it('a RESOURCE_GONE case whose instance reappears is reopened by the next finding and contained', async () => {
      // EC2 answers NotFound for the instance for longer than the grace, then finds it again.
      const first = await run([{ kind: 'not-found', operation: 'EC2.DescribeInstances' }]);
      const caseId = first.report.executions[0].caseId!;
      expect(first.report.executions[0].outcome).toBe('RESOURCE_GONE');
      expect((await readCase(local.session.env, caseId)).item?.status).toBe('RESOURCE_GONE');
      const again = await run([], { twin: first.twin });
      expect(again.report.executions[0]).toMatchObject({ outcome: 'CONTAINED', caseId });
      expect((await readCase(local.session.env, caseId)).item?.status).toBe('CONTAINED');
      expect(Object.values(await enisOf(first.twin!))).toEqual(['isolation']);
    }, 180_000);

    it('an instance whose DescribeInstances lists no ENI while one is attached: FAILED, notified, never CONTAINED', async () => {
      const r = await run([{ kind: 'omit-network-interfaces' }]);
      const x = r.report.executions[0];
      expect(x.status).toBe('FAILED');
      expect((await readCase(local.session.env, x.caseId!)).item?.status).toBe('FAILED');
      const [failed] = await notificationsOf(x.caseId, 'failed');
      expect(JSON.parse(failed.body).error.message).toMatch(/network-interface-lists-agree/);
      // The ENI found from the other side was isolated all the same.
      expect(Object.values(await enisOf(r.twin!))).toEqual(['isolation']);
    }, 120_000);
  });
});
