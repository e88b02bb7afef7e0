import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

const EVENT = 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json';

/** The evidence path's steps, from the first snapshot to the case closed. */
const EVIDENCE_STEPS = [
  'SnapshotVolumes',
  'CheckSnapshots',
  'CopySnapshots',
  'CheckMemberCopies',
  'ShareAndCopySnapshots',
  'CheckSecurityCopies',
  'CollectArtifacts',
  'WriteManifest',
  'Notify',
];

/**
 * Issue 13 (Build item 2): the evidence path reads the case once per stage, in the write it makes anyway, and
 * carries what it wrote in the state. Counts, not times: the calls each step made, as the replay report attributes them.
 */
describe('ec2-compromise evidence path calls (issue 13)', () => {
  const local = useLocalSession();

  it('reads no case in the snapshot stages, the polls, CollectArtifacts or WriteManifest, and still records every step and the finding', async () => {
    const { report, twin } = await replayEvent(local.session, readEventFile(EVENT));
    const x = report.executions[0];
    expect(x.outcome).toBe('CONTAINED');
    const calls = (name: string) => x.steps.filter((s) => s.name === name).map((s) => s.apiCalls as Record<string, number>);
    for (const name of EVIDENCE_STEPS.filter((n) => n !== 'Notify')) {
      for (const c of calls(name)) expect([name, c['DynamoDB.GetItem'] ?? 0]).toEqual([name, 0]);
    }
    // One ledger write per stage before its create calls (intents, the case read back) and one that records the result;
    // ShareAndCopySnapshots then records the copies' EBS snapshot locks, with its timeline entry (issue 16).
    expect([calls('SnapshotVolumes')[0]['DynamoDB.UpdateItem'], calls('SnapshotVolumes')[0]['DynamoDB.TransactWriteItems']]).toEqual([
      1, 1,
    ]);
    const share = calls('ShareAndCopySnapshots')[0];
    expect([
      share['DynamoDB.UpdateItem'],
      share['DynamoDB.TransactWriteItems'],
      share['EC2.DescribeLockedSnapshots'],
      share['EC2.LockSnapshot'],
    ]).toEqual([2, 1, 1, 2]);
    // The twin's volumes are unencrypted: their snapshots are shared as they are, so the transit stage makes no call and
    // no write, and its entry (written with ShareAndCopySnapshots') says so.
    expect([calls('CopySnapshots'), calls('CheckMemberCopies')]).toEqual([[{}], [{}]]);
    // SnapshotVolumes reads the volumes attached now, with their encryption, key and size, in one call: no DescribeInstances.
    expect([calls('SnapshotVolumes')[0]['EC2.DescribeVolumes'], calls('SnapshotVolumes')[0]['EC2.DescribeInstances']]).toEqual([
      1,
      undefined,
    ]);
    // CollectArtifacts writes nothing to the ledger; its entry is on the timeline all the same, once.
    expect(calls('CollectArtifacts')[0]['DynamoDB.PutItem']).toBeUndefined();
    const { item, timeline } = await readCase(local.session.env, x.caseId!);
    expect(timeline.filter((t) => t.step === 'CollectArtifacts' && t.status === 'SUCCEEDED')).toHaveLength(1);
    const copy = timeline.filter((t) => t.step === 'CopySnapshots');
    expect(copy).toHaveLength(1);
    expect(copy[0].details).toMatchObject({
      sharedAsIs: expect.arrayContaining([expect.objectContaining({ why: expect.stringMatching(/unencrypted/) })]),
    });
    // finding.json is the event Normalize stored, named by the manifest, not a copy.
    const ref = item!.evidence.manifest as { bucket: string; key: string };
    const body = await local.session.env.security.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    const manifest = JSON.parse(await body.Body!.transformToString()) as { artifacts: { name: string; key: string }[] };
    expect(manifest.artifacts.find((a) => a.name === 'finding.json')?.key).toMatch(/^received-events\//);
    expect(manifest.artifacts.map((a) => a.name).sort()).toEqual(['console-output.json', 'finding.json', 'instance.json']);
    // instance.json is the description Contain took before containment and carried (no DescribeInstances here), so labelled.
    expect(calls('CollectArtifacts')[0]['EC2.DescribeInstances']).toBeUndefined();
    const meta = manifest.artifacts.find((a) => a.name === 'instance.json')!;
    const doc = JSON.parse(
      await (
        await local.session.env.security.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: meta.key }))
      ).Body!.transformToString(),
    ) as { description: { takenBy: string; takenAt: string; what: string }; instance: { InstanceId: string } };
    expect(doc.description).toMatchObject({ takenBy: 'Contain', what: expect.stringMatching(/before containment at .* by Contain/) });
    expect(doc.instance.InstanceId).toBe(twin!.instanceId);
    // The ledger keeps when it was taken, never the description itself (up to 64 KiB on the case's timeline).
    const contained = timeline.find((t) => t.step === 'Contain' && t.status === 'SUCCEEDED')!;
    expect(contained.details).toMatchObject({ preContainmentDescription: { takenAt: doc.description.takenAt, takenBy: 'Contain' } });
    expect(JSON.stringify(contained.details)).not.toContain('"LaunchTime"');
    // Taken before containment: its ENIs are on the groups they had, not on the isolation group.
    const groups = Object.fromEntries(
      (
        doc.instance as unknown as { NetworkInterfaces: { NetworkInterfaceId: string; Groups: { GroupId: string }[] }[] }
      ).NetworkInterfaces.map((n) => [n.NetworkInterfaceId, n.Groups.map((g) => g.GroupId).sort()]),
    );
    expect(groups).toEqual(Object.fromEntries(Object.entries(twin!.originalGroupsByEni).map(([k, v]) => [k, [...v].sort()])));
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
  }, 120_000);

  it('makes the transit copies of encrypted volumes with one ledger write before them and one that records them', async () => {
    const { report } = await replayEvent(local.session, readEventFile(EVENT), { extras: { encryptedVolumes: ['root', 'data'] } });
    const x = report.executions[0];
    expect(x.outcome).toBe('CONTAINED');
    const calls = (name: string) => x.steps.filter((s) => s.name === name).map((s) => s.apiCalls as Record<string, number>);
    for (const name of ['SnapshotVolumes', 'CopySnapshots'])
      expect([name, calls(name)[0]['DynamoDB.UpdateItem'], calls(name)[0]['DynamoDB.TransactWriteItems']]).toEqual([name, 1, 1]);
    expect([
      calls('ShareAndCopySnapshots')[0]['DynamoDB.UpdateItem'],
      calls('ShareAndCopySnapshots')[0]['DynamoDB.TransactWriteItems'],
    ]).toEqual([2, 1]);
    expect([calls('CopySnapshots')[0]['EC2.CopySnapshot'], calls('CheckMemberCopies')[0]['EC2.DescribeSnapshots']]).toEqual([2, 1]);
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
  }, 120_000);
});
