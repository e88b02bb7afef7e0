import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EventEnvelope, readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { LocalRunner, payloadBytes, STATE_PAYLOAD_LIMIT_BYTES } from '../../lib/harness/local/runner';
import { bigInstanceFinding } from '../support/big-finding';
import { readNotifications } from '../../lib/harness/local/notifications';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { useLocalSession } from '../support/local';
import { readCase, readContainment } from '../support/read-back';

/**
 * Issue 11: an event near EventBridge's 256 KB limit must not overflow a Step Functions state (262,144 bytes).
 * Normalize stores the event in the evidence bucket and the state carries a reference; the local runner
 * enforces the quota as Step Functions does (`States.DataLimitExceeded`, uncatchable), so these tests fail if
 * any state of the run is too large.
 */
describe('a finding near 256 KB (Normalize stores it; the state carries a reference)', () => {
  const local = useLocalSession();
  const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

  async function receivedEventKeys(): Promise<string[]> {
    const { env } = local.session;
    const out = await env.security.s3.send(new ListObjectsV2Command({ Bucket: env.evidenceBucket, Prefix: 'received-events/' }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  }

  async function objectBytes(bucket: string, key: string): Promise<Buffer> {
    const out = await local.session.env.security.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  it('contains the instance of a 250 KB finding end to end, and finding.json is the event byte for byte', async () => {
    const { env } = local.session;
    const big = await bigInstanceFinding(env.member.ec2);
    expect(big.bytes).toBeGreaterThanOrEqual(250_000);
    const { report, twin, injected, executions } = await replayEvent(local.session, big.event as EventEnvelope);
    const sent = Buffer.from(JSON.stringify(injected), 'utf8');
    expect(sent.length).toBeGreaterThanOrEqual(250_000);
    expect(executions).toHaveLength(1);
    const x = executions[0];
    expect({ status: x.status, outcome: x.outcome, error: x.error }).toEqual({
      status: 'SUCCEEDED',
      outcome: 'CONTAINED',
      error: undefined,
    });
    // Every state and task payload was measured and none was over the quota (the runner would have failed it).
    expect(x.largestPayload!.bytes).toBeLessThanOrEqual(STATE_PAYLOAD_LIMIT_BYTES);
    // Triage's input is the event itself (it stores one this large: Contain could not take it beside the state); nothing after it carries the event: every later state is under half
    // the quota (57 KB on 2026-12-02, the 57 ENIs' isolation results).
    expect(x.largestPayload!.where).toMatch(/Triage/);
    const after = Object.entries(x.payloadBytesByState!).filter(([name]) => name !== 'Triage');
    expect(after.length).toBeGreaterThan(10);
    for (const [name, bytes] of after) expect([name, bytes <= STATE_PAYLOAD_LIMIT_BYTES / 2]).toEqual([name, true]);

    // Contained, read back from EC2: every ENI of the twin (one per ENI of the finding) on the isolation group.
    const state = await readContainment(env, twin!.instanceId, twin!.vpcId);
    expect(twin!.networkInterfaceIds).toHaveLength(big.enis);
    expect(state.isolation).toHaveLength(1);
    expect(state.enis).toHaveLength(big.enis);
    for (const eni of state.enis) expect(eni.groups).toEqual([state.isolation[0].GroupId]);
    expect(state.terminationProtection).toBe(true);

    // The event is stored once, content-addressed, encrypted under the evidence key.
    const key = `received-events/${env.memberAccount}/${sha256(sent)}.json`;
    expect(await receivedEventKeys()).toContain(key);
    const head = await env.security.s3.send(new HeadObjectCommand({ Bucket: env.evidenceBucket, Key: key }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toBe(env.evidenceKeyArn);
    expect((await objectBytes(env.evidenceBucket, key)).equals(sent)).toBe(true);

    // finding.json in the case's evidence is the event as sent, byte for byte, and the manifest says so.
    const { item } = await readCase(env, x.caseId!);
    const manifestRef = item?.evidence?.manifest as { bucket: string; key: string };
    const manifest = JSON.parse((await objectBytes(manifestRef.bucket, manifestRef.key)).toString('utf8')) as {
      artifacts: { name: string; key: string; sha256: string; bytes: number }[];
    };
    const finding = manifest.artifacts.find((a) => a.name === 'finding.json')!;
    const stored = await objectBytes(env.evidenceBucket, finding.key);
    expect(stored.equals(sent)).toBe(true);
    expect(sha256(stored)).toBe(sha256(sent));
    expect(finding).toMatchObject({ sha256: sha256(sent), bytes: sent.length });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
  }, 300_000);

  it('closes the case FAILED and tells when the execution of a 250 KB finding is stopped: the status-change event leaves the input out, DescribeExecution has it', async () => {
    const { env } = local.session;
    const big = await bigInstanceFinding(env.member.ec2);
    const stop = new AbortController();
    // moto completes snapshots at once: DescribeSnapshots by ID reports them pending, and the first poll stops the execution.
    const remove = registerSdkInterceptor({
      after(call, output) {
        if (call.operation !== 'EC2.DescribeSnapshots' || !call.input.SnapshotIds) return;
        stop.abort();
        const snaps = (output.Snapshots as { State?: string }[] | undefined) ?? [];
        return { ...output, Snapshots: snaps.map((x) => ({ ...x, State: 'pending', Progress: '42%' })) };
      },
    });
    let replay;
    try {
      replay = await replayEvent(local.session, big.event as EventEnvelope, { execute: { abortSignal: stop.signal } });
    } finally {
      remove();
    }
    const x = replay.executions[0];
    expect(x.status).toBe('ABORTED');
    // As Step Functions sends it: over 248 KB escaped, no input in the event.
    expect(x.statusChange?.event.detail.input).toBeNull();
    expect(x.statusChange?.matched).toContain('firebreak-playbook-execution-ended');
    const { item, timeline } = await readCase(env, x.caseId!);
    expect(item?.status).toBe('FAILED');
    expect(timeline.filter((t) => t.step === 'CloseOrphanedCase')).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        executionName: x.executionName,
        error: expect.objectContaining({ name: 'ExecutionAborted' }),
      }),
    ]);
    const told = (await readNotifications(env)).filter((n) => n.caseId === x.caseId && n.kind === 'failed');
    expect(told).toHaveLength(1);
  }, 300_000);

  it('stores nothing for a sample finding (a dry run writes nothing anywhere)', async () => {
    const before = await receivedEventKeys();
    const { report } = await replayEvent(local.session, readEventFile('fixtures/events/guardduty-sample-ec2.json'));
    expect(report.executions[0]).toMatchObject({ status: 'DRY_RUN', outcome: 'DRY_RUN' });
    expect(await receivedEventKeys()).toEqual(before);
  });

  it('runs a repeat of a stored event without a second object (content-addressed)', async () => {
    const { env } = local.session;
    const event = readEventFile('fixtures/events/guardduty-ec2-bitcoin-dns.json');
    const first = await replayEvent(local.session, event);
    const afterFirst = await receivedEventKeys();
    const again = await replayEvent(local.session, event, { twin: first.twin });
    expect(again.report.executions[0]).toMatchObject({ status: 'ALREADY_HANDLED' });
    expect(await receivedEventKeys()).toEqual(afterFirst);
    const key = `received-events/${env.memberAccount}/${sha256(JSON.stringify(first.injected))}.json`;
    expect(afterFirst).toContain(key);
  }, 120_000);

  describe('the local runner enforces the payload quota as Step Functions does', () => {
    it('fails an execution whose task input is over 262,144 bytes after Parameters, uncaught by States.ALL', async () => {
      const { env } = local.session;
      // Grown past EventBridge's limit on purpose: the execution input itself fits, Normalize's Parameters
      // ({ input.$: $, executionName, executionStartTime, playbook }) push its task input over.
      const over = await bigInstanceFinding(env.member.ec2, {
        minBytes: STATE_PAYLOAD_LIMIT_BYTES - 160,
        maxBytes: STATE_PAYLOAD_LIMIT_BYTES - 1,
      });
      expect(payloadBytes(over.event)).toBeLessThanOrEqual(STATE_PAYLOAD_LIMIT_BYTES);
      const before = await receivedEventKeys();
      // An 80-character execution name (Step Functions' longest) makes the Parameters add more than 160 bytes.
      const x = await local.session.runner.execute('ec2-compromise', over.event, { executionName: 'n'.repeat(80) });
      expect(x.status).toBe('FAILED');
      expect(x.error?.name).toBe('States.DataLimitExceeded');
      expect(x.error?.message).toMatch(/input of task Triage \(after Parameters\) is \d+ bytes/);
      // Terminal: neither Normalize's Retry nor its Catch (States.ALL → RecordFailure) ran.
      expect(x.steps.map((s) => s.name)).toEqual([]);
      expect(await receivedEventKeys()).toEqual(before);
    }, 120_000);

    it('refuses a StartExecution whose input is over 262,144 bytes, as the API does (local Step Functions service)', async () => {
      const { env, sfn } = local.session;
      const client = new SFNClient({
        region: env.region,
        endpoint: sfn.endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const stateMachineArn = `arn:aws:states:${env.region}:${env.securityAccount}:stateMachine:firebreak-ec2-compromise`;
      const input = JSON.stringify({ padding: 'p'.repeat(STATE_PAYLOAD_LIMIT_BYTES) });
      await expect(client.send(new StartExecutionCommand({ stateMachineArn, input }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
      expect(sfn.list().filter((x) => x.input === input)).toEqual([]);
    });

    it('fails an execution whose state output is over the quota', async () => {
      const { env } = local.session;
      // One Pass state that doubles its input: 140 KB in, 280 KB out.
      const definition = { StartAt: 'Double', States: { Double: { Type: 'Pass', Parameters: { 'a.$': '$.x', 'b.$': '$.x' }, End: true } } };
      const runner = LocalRunner.create(env, {
        template: {
          Resources: {
            Probe: {
              Type: 'AWS::StepFunctions::StateMachine',
              Properties: { StateMachineName: 'quota-probe', DefinitionString: JSON.stringify(definition) },
            },
          },
        },
      });
      const small = await runner.execute('quota-probe', { x: 'y'.repeat(100_000) });
      expect(small.status).toBe('SUCCEEDED');
      expect(small.largestPayload?.bytes).toBeGreaterThan(200_000);
      const large = await runner.execute('quota-probe', { x: 'y'.repeat(140_000) });
      expect(large.status).toBe('FAILED');
      expect(large.error).toMatchObject({ name: 'States.DataLimitExceeded' });
      expect(large.error?.message).toMatch(/output of state Double is 2800\d\d bytes/);
    });
  });
});
