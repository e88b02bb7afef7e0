import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { LOCAL_REGION, LOCAL_SECOND_REGION } from '../../lib/harness/local/accounts';
import { harnessClients } from '../../lib/harness/local/harness-clients';
import { EventEnvelope, readEventFile, replayEvent, ReplayResult } from '../../lib/harness/local/replay';
import { ApiCallRecord, subscribeApiCalls } from '../../lib/runtime/telemetry';
import { useLocalSession } from '../support/local';
import { objectSha256, readCase, readContainment } from '../support/read-back';

/**
 * Issue 16, item 1: a finding from the second region of a deployment is contained there. The local world has two regions
 * (lib/harness/local/accounts.ts); the fixture, a GuardDuty finding of us-east-1, is moved to eu-west-1 whole (every
 * occurrence of the region: the event's and the finding's `region`, the finding ARN, the availability zone), as GuardDuty
 * would send it from there. The twin is built in eu-west-1, the finding routed as the region's security stack forwards it
 * (to the home region's default bus, region kept), and everything is read back per region with clients of each region.
 */

const BITCOIN = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
const IAM_USER = 'fixtures/events/guardduty-iamuser-anomalous.json';

/** The fixture as GuardDuty would send it from `region`: every occurrence of its own region replaced. */
function inRegion(file: string, region: string, severity?: number): EventEnvelope {
  const event = readEventFile(file);
  expect(event.region).toBe(LOCAL_REGION);
  const moved = JSON.parse(JSON.stringify(event).split(LOCAL_REGION).join(region)) as EventEnvelope;
  if (severity !== undefined) (moved.detail as { severity: number }).severity = severity;
  return moved;
}

// One emulator world for the file.
const local = useLocalSession();

describe('a finding from the second region (ec2-compromise, emulator)', () => {
  let result: ReplayResult;
  const calls: ApiCallRecord[] = [];

  beforeAll(async () => {
    const stop = subscribeApiCalls((c) => calls.push(c));
    try {
      result = await replayEvent(local.session, inRegion(BITCOIN, LOCAL_SECOND_REGION));
    } finally {
      stop();
    }
  }, 180_000);

  it('keeps the region: the event is not remapped and the case is the region’s', async () => {
    const { report } = result;
    expect(report.idMap).not.toHaveProperty(LOCAL_SECOND_REGION);
    expect(report.executions).toHaveLength(1);
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const { item } = await readCase(local.session.env, report.executions[0].caseId!);
    expect(item).toMatchObject({ status: 'CONTAINED', region: LOCAL_SECOND_REGION });
  });

  it('contains the instance in its own region, and leaves the home region untouched', async () => {
    const { env } = local.session;
    const second = harnessClients(env.endpoint, env.memberAccount, LOCAL_SECOND_REGION);
    const twin = result.twin!;
    // The instance exists in eu-west-1 only.
    const there = await second.ec2.send(new DescribeInstancesCommand({ InstanceIds: [twin.instanceId] }));
    expect(there.Reservations?.[0]?.Instances?.[0]?.Placement?.AvailabilityZone).toMatch(/^eu-west-1/);
    await expect(env.member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [twin.instanceId] }))).rejects.toThrow();
    // Isolated there, read back with eu-west-1 clients.
    const state = await readContainment({ ...env, member: second }, twin.instanceId, twin.vpcId);
    expect(state.isolation).toHaveLength(1);
    expect(state.isolation[0].IpPermissions).toEqual([]);
    for (const eni of state.enis) expect(eni.groups).toEqual([state.isolation[0].GroupId]);
    expect(state.terminationProtection).toBe(true);
    // No Firebreak security group and no snapshot in the home region's member account.
    const homeGroups = await env.member.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag-key', Values: ['firebreak:role'] }] }),
    );
    expect(homeGroups.SecurityGroups ?? []).toEqual([]);
    const homeSnaps = await env.member.ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: ['firebreak:case-id'] }] }),
    );
    expect(homeSnaps.Snapshots ?? []).toEqual([]);
  });

  it("keeps the evidence: snapshots in the finding's region, copied into the security account's home region vault", async () => {
    const { env } = local.session;
    const caseId = result.report.executions[0].caseId!;
    const second = harnessClients(env.endpoint, env.memberAccount, LOCAL_SECOND_REGION);
    const byCase = { OwnerIds: ['self'], Filters: [{ Name: 'tag:firebreak:case-id', Values: [caseId] }] };
    const memberSnaps = (await second.ec2.send(new DescribeSnapshotsCommand(byCase))).Snapshots ?? [];
    expect(memberSnaps).toHaveLength(result.twin!.volumeIds.length);
    const securitySnaps = (await env.security.ec2.send(new DescribeSnapshotsCommand(byCase))).Snapshots ?? [];
    expect(securitySnaps).toHaveLength(result.twin!.volumeIds.length);
    for (const s of securitySnaps) expect(s).toMatchObject({ OwnerId: env.securityAccount, Encrypted: true, KmsKeyId: env.evidenceKeyArn });
    const { item } = await readCase(env, caseId);
    const manifest = item?.evidence?.manifest as { bucket: string; key: string; sha256: string };
    expect(await objectSha256(env, manifest.bucket, manifest.key)).toBe(manifest.sha256);
  });

  it("makes every member-account call in the finding's region, and every security-account call in the home region", () => {
    const { env } = local.session;
    const signed = calls.filter((c) => c.region !== undefined);
    // IAM is a global service (its calls are signed for the partition's global region on AWS; with the emulator's endpoint,
    // for the client's): the instance role's deny is not a regional call.
    const member = signed.filter((c) => c.account === env.memberAccount && c.role !== undefined && !c.operation.startsWith('IAM.'));
    const security = signed.filter((c) => c.account === env.securityAccount && c.role === undefined);
    // Both sides made calls (the comparison below is not vacuous): isolation in the member account, the copy in the security one.
    expect(member.map((c) => c.operation)).toEqual(expect.arrayContaining(['EC2.ModifyNetworkInterfaceAttribute', 'EC2.CreateSnapshots']));
    expect(security.map((c) => c.operation)).toEqual(
      expect.arrayContaining(['EC2.CopySnapshot', 'DynamoDB.TransactWriteItems', 'S3.PutObject']),
    );
    expect(member.filter((c) => c.region !== LOCAL_SECOND_REGION).map((c) => `${c.operation} ${c.region}`)).toEqual([]);
    expect(security.filter((c) => c.region !== LOCAL_REGION).map((c) => `${c.operation} ${c.region}`)).toEqual([]);
  });
});

describe('an access key used from two regions (credential-compromise, emulator)', () => {
  it('is one case: IAM is global, so the second region’s finding is already handled and changes nothing', async () => {
    // Severity 8: the fixture's 5 is below credential-compromise's automatic (high) entry.
    const first = await replayEvent(local.session, inRegion(IAM_USER, LOCAL_SECOND_REGION, 8));
    expect(first.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const caseId = first.report.executions[0].caseId!;
    const second = await replayEvent(local.session, inRegion(IAM_USER, LOCAL_REGION, 8), { credentialTwin: first.credentialTwin });
    expect(second.report.executions[0]).toMatchObject({ status: 'ALREADY_HANDLED', caseId });
    expect(second.report.apiCalls.byOperation['IAM.AttachUserPolicy'] ?? 0).toBe(0);
    const { item } = await readCase(local.session.env, caseId);
    expect(item).toMatchObject({ status: 'CONTAINED', region: LOCAL_SECOND_REGION });
  });
});
