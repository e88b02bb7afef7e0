import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeleteSubnetCommand,
  DeleteVolumeCommand,
  DeleteVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  Filter,
} from '@aws-sdk/client-ec2';
import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { GAMEDAY_SOURCE } from '../../core/catalog/patterns';
import { InvalidInput } from '../../core/errors';
import type { ClaimItem } from '../../runtime/ledger/ledger';
import { Connection } from '../../operator/connection';
import { GAMEDAY_TAG } from '../../runtime/playbook/shared/guard-gameday';
import { hasAwsCode } from '../../runtime/aws-errors';
import { describeSnapshotLocks } from '../../runtime/ec2/snapshot-lock';

/**
 * Game days in a sandbox account (`firebreak gameday --target aws`, issue #5): tagged canaries, a
 * game-day event on the `firebreak` bus, the deployed automation's own response, a read-back of the
 * end state, and a cleanup that runs even after a failure or Ctrl-C, driven by a cleanup ledger.
 *
 * The harness talks to the account only through AWS APIs (EC2, IAM, EventBridge PutEvents, the
 * DynamoDB ledger): against the emulator, the local stack stands in for the deployed automation.
 * The sandbox is a single-account deployment: the canaries live in the account that runs Firebreak.
 */

export { GAMEDAY_TAG };
/** IAM path of canary users, so cleanup finds them even without the cleanup ledger. */
export const CANARY_USER_PATH = '/firebreak-gameday/';
/** Where cleanup ledgers live. */
export const CLEANUP_DIR = path.join('.firebreak', 'gameday');

/** The clients a sandbox game day uses. */
export interface SandboxClients {
  readonly account: string;
  readonly region: string;
  readonly ec2: EC2Client;
  readonly iam: IAMClient;
  readonly events: EventBridgeClient;
  readonly conn: Connection;
}

/** Builds the sandbox clients on an operator connection. */
export function sandboxClients(conn: Connection): SandboxClients {
  const cfg = conn.clientConfig;
  return {
    account: conn.securityAccount,
    region: conn.region,
    ec2: new EC2Client(cfg),
    iam: new IAMClient(cfg),
    events: new EventBridgeClient(cfg),
    conn,
  };
}

/** A resource the game day created, in creation order. */
export interface CleanupItem {
  readonly type: 'vpc' | 'subnet' | 'instance' | 'user' | 'access-key';
  readonly id: string;
  /** For an access key: its user. */
  readonly userName?: string;
}

/** The cleanup ledger of one game day: `.firebreak/gameday/<run-id>.json`. */
export interface CleanupLedger {
  readonly runId: string;
  readonly account: string;
  readonly region: string;
  readonly startedAt: string;
  readonly items: CleanupItem[];
  /** Set when cleanup finished with nothing left. */
  cleanedAt?: string;
}

function ledgerFile(dir: string, runId: string): string {
  return path.join(dir, `${runId}.json`);
}

/** Writes the cleanup ledger. */
function save(dir: string, ledger: CleanupLedger): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(ledgerFile(dir, ledger.runId), `${JSON.stringify(ledger, null, 2)}\n`);
}

/** Records a created resource at once, before anything else happens. */
function record(dir: string, ledger: CleanupLedger, item: CleanupItem): void {
  ledger.items.push(item);
  save(dir, ledger);
}

/** The canaries of one game day. */
export interface Canaries {
  readonly vpcId: string;
  readonly subnetId: string;
  readonly instanceId: string;
  readonly userName: string;
  readonly accessKeyId: string;
}

const tagSpecs = (runId: string, types: string[]) =>
  types.map((ResourceType) => ({
    ResourceType: ResourceType as never,
    Tags: [
      { Key: GAMEDAY_TAG, Value: runId },
      { Key: 'Name', Value: `firebreak-gameday-${runId}` },
    ],
  }));

/**
 * Creates the canaries, tagged `firebreak:gameday=<runId>`, each recorded in the cleanup ledger as
 * soon as it exists:
 * - a VPC (10.250.0.0/24) and subnet with no internet gateway and no route out;
 * - the smallest instance type (t3.nano) from an Amazon Linux image, in that subnet;
 * - an IAM user (path /firebreak-gameday/) with one access key.
 */
export async function createCanaries(
  c: SandboxClients,
  runId: string,
  dir = CLEANUP_DIR,
): Promise<{ canaries: Canaries; ledger: CleanupLedger }> {
  const ledger: CleanupLedger = { runId, account: c.account, region: c.region, startedAt: new Date().toISOString(), items: [] };
  save(dir, ledger); // the ledger exists before the first create
  const vpc = (await c.ec2.send(new CreateVpcCommand({ CidrBlock: '10.250.0.0/24', TagSpecifications: tagSpecs(runId, ['vpc']) }))).Vpc!
    .VpcId!;
  record(dir, ledger, { type: 'vpc', id: vpc });
  const subnet = (
    await c.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.250.0.0/25', TagSpecifications: tagSpecs(runId, ['subnet']) }))
  ).Subnet!.SubnetId!;
  record(dir, ledger, { type: 'subnet', id: subnet });
  const images =
    (
      await c.ec2.send(
        new DescribeImagesCommand({
          Owners: ['amazon'],
          Filters: [
            { Name: 'root-device-type', Values: ['ebs'] },
            { Name: 'architecture', Values: ['x86_64'] },
            { Name: 'state', Values: ['available'] },
          ],
        }),
      )
    ).Images ?? [];
  const al2023 = images
    .filter((i) => i.Name?.startsWith('al2023-ami-2023') && !i.Name.includes('minimal'))
    .sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''));
  const image = (al2023[0] ?? images[0])?.ImageId;
  if (!image) throw new InvalidInput('no Amazon Linux x86_64 EBS image in this region for the canary instance');
  const instance = (
    await c.ec2.send(
      new RunInstancesCommand({
        ImageId: image,
        InstanceType: 't3.nano',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnet,
        MetadataOptions: { HttpTokens: 'required' },
        TagSpecifications: tagSpecs(runId, ['instance', 'volume']),
      }),
    )
  ).Instances![0].InstanceId!;
  record(dir, ledger, { type: 'instance', id: instance });
  const userName = `firebreak-gameday-${runId}`.slice(0, 64);
  await c.iam.send(new CreateUserCommand({ UserName: userName, Path: CANARY_USER_PATH, Tags: [{ Key: GAMEDAY_TAG, Value: runId }] }));
  record(dir, ledger, { type: 'user', id: userName });
  const key = (await c.iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!;
  record(dir, ledger, { type: 'access-key', id: key, userName });
  return { canaries: { vpcId: vpc, subnetId: subnet, instanceId: instance, userName, accessKeyId: key }, ledger };
}

/**
 * The game-day event about a canary, in GuardDuty's finding format (the shape of the fixture it is
 * modelled on), from `firebreak.gameday`, with `detail.firebreakGameDay.runId`.
 * @param kind - `instance` (Backdoor:EC2/C&CActivity.B, severity 8) or `access-key` (an IAM-user
 *   credential finding, severity 8).
 */
export function gameDayFinding(
  c: Pick<SandboxClients, 'account' | 'region'>,
  runId: string,
  canaries: Canaries,
  kind: 'instance' | 'access-key',
  networkInterfaces: {
    networkInterfaceId: string;
    privateIpAddress?: string;
    securityGroups: { groupId: string; groupName?: string }[];
  }[] = [],
): { DetailType: string; Detail: string } {
  const now = new Date().toISOString();
  const common = {
    schemaVersion: '2.0',
    accountId: c.account,
    region: c.region,
    partition: 'aws',
    id: `gd-${runId}-${kind}`,
    arn: `arn:aws:guardduty:${c.region}:${c.account}:detector/gameday/finding/gd-${runId}-${kind}`,
    severity: 8,
    createdAt: now,
    updatedAt: now,
    firebreakGameDay: { runId },
  };
  const detail =
    kind === 'instance'
      ? {
          ...common,
          type: 'Backdoor:EC2/C&CActivity.B',
          title: `Game day ${runId}: canary instance talks to a C&C server`,
          description: 'Firebreak game day',
          resource: {
            resourceType: 'Instance',
            instanceDetails: {
              instanceId: canaries.instanceId,
              instanceType: 't3.nano',
              networkInterfaces: networkInterfaces.map((n) => ({
                ...n,
                subnetId: canaries.subnetId,
                vpcId: canaries.vpcId,
                ipv6Addresses: [],
              })),
            },
          },
          service: {
            serviceName: 'guardduty',
            resourceRole: 'ACTOR',
            action: { actionType: 'NETWORK_CONNECTION' },
            count: 1,
            eventFirstSeen: now,
            eventLastSeen: now,
            archived: false,
            additionalInfo: {},
          },
        }
      : {
          ...common,
          type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
          title: `Game day ${runId}: canary key used from a known-bad IP`,
          description: 'Firebreak game day',
          resource: {
            resourceType: 'AccessKey',
            accessKeyDetails: {
              accessKeyId: canaries.accessKeyId,
              principalId: canaries.accessKeyId,
              userName: canaries.userName,
              userType: 'IAMUser',
            },
          },
          // AWS sends TARGET on every AccessKey finding ("Finding details", GuardDuty User Guide).
          service: {
            serviceName: 'guardduty',
            resourceRole: 'TARGET',
            action: { actionType: 'AWS_API_CALL' },
            count: 1,
            eventFirstSeen: now,
            eventLastSeen: now,
            archived: false,
            additionalInfo: {},
          },
        };
  return { DetailType: 'GuardDuty Finding', Detail: JSON.stringify(detail) };
}

/** The canary instance's ENIs as a finding names them (EC2 DescribeInstances). */
export async function canaryInterfaces(c: SandboxClients, instanceId: string): Promise<Parameters<typeof gameDayFinding>[4]> {
  const i = (await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
  return (i?.NetworkInterfaces ?? []).map((n) => ({
    networkInterfaceId: n.NetworkInterfaceId!,
    privateIpAddress: n.PrivateIpAddress,
    securityGroups: (n.Groups ?? []).map((g) => ({ groupId: g.GroupId!, groupName: g.GroupName })),
  }));
}

/** Injects a game-day event on the `firebreak` bus (EventBridge PutEvents). @throws when the entry is refused. */
export async function injectGameDayEvent(c: SandboxClients, event: { DetailType: string; Detail: string }): Promise<string> {
  const out = await c.events.send(new PutEventsCommand({ Entries: [{ Source: GAMEDAY_SOURCE, EventBusName: 'firebreak', ...event }] }));
  if (out.FailedEntryCount)
    throw new Error(`PutEvents refused the game-day event: ${out.Entries?.[0]?.ErrorCode} ${out.Entries?.[0]?.ErrorMessage}`);
  return out.Entries![0].EventId!;
}

/**
 * Waits until the deployed automation has handled the canary: its case exists in the ledger and is no
 * longer in progress.
 * @param key - the case key (playbook, account, region, resource ID).
 * @param timeoutSeconds - the drill's budget.
 * @returns the case's claim (its case ID and final status), or none when no case reached an end in time.
 */
export async function waitForCase(
  c: SandboxClients,
  key: { playbook: string; account: string; region: string; resource: { id: string } },
  timeoutSeconds: number,
  pollMs = 500,
  signal?: AbortSignal,
): Promise<{ claim?: ClaimItem; waitedMs: number }> {
  const started = Date.now();
  while (Date.now() - started < timeoutSeconds * 1000) {
    signal?.throwIfAborted();
    const claim = await c.conn.ledger.findClaim(key);
    if (claim && claim.status !== 'IN_PROGRESS') return { claim, waitedMs: Date.now() - started };
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return { waitedMs: Date.now() - started };
}

/** What {@link cleanupGameDay} found left over after it ran: 0 everywhere means clean. */
export interface Leftovers {
  readonly instances: number;
  readonly volumes: number;
  readonly snapshots: number;
  readonly securityGroups: number;
  readonly subnets: number;
  readonly vpcs: number;
  readonly users: number;
}

/** The game day's resources that are still there, found by its tag, its IAM path, its case tags, and the cleanup ledger. */
export async function countLeftovers(c: SandboxClients, runId: string, caseIds: readonly string[] = []): Promise<Leftovers> {
  const tag: Filter[] = [{ Name: `tag:${GAMEDAY_TAG}`, Values: [runId] }];
  const instances = ((await c.ec2.send(new DescribeInstancesCommand({ Filters: tag }))).Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name !== 'terminated');
  const volumes = (await c.ec2.send(new DescribeVolumesCommand({ Filters: tag }))).Volumes ?? [];
  const vpcs = (await c.ec2.send(new DescribeVpcsCommand({ Filters: tag }))).Vpcs ?? [];
  const vpcIds = vpcs.map((v) => v.VpcId!);
  const subnets = vpcIds.length
    ? ((await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] }))).Subnets ?? [])
    : [];
  const groups = vpcIds.length
    ? (
        (await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] }))).SecurityGroups ?? []
      ).filter((g) => g.GroupName !== 'default')
    : [];
  const snapshots = await unlockedCaseSnapshots(c, caseIds);
  const users = ((await c.iam.send(new ListUsersCommand({ PathPrefix: CANARY_USER_PATH }))).Users ?? []).filter((u) =>
    u.UserName?.includes(runId),
  );
  return {
    instances: instances.length,
    volumes: volumes.length,
    snapshots: snapshots.length,
    securityGroups: groups.length,
    subnets: subnets.length,
    vpcs: vpcs.length,
    users: users.length,
  };
}

const ignoreGone = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (
      !hasAwsCode(
        err,
        'InvalidInstanceID.NotFound',
        'InvalidVolume.NotFound',
        'InvalidSnapshot.NotFound',
        'InvalidGroup.NotFound',
        'InvalidSubnetID.NotFound',
        'InvalidVpcID.NotFound',
        'InvalidNetworkInterfaceID.NotFound',
        'NoSuchEntity',
        'NoSuchEntityException',
      )
    )
      throw err;
  }
};

/**
 * The IDs of the game day's case snapshots (tagged with a case ID, owned by this account) that carry no EBS snapshot lock
 * in force (DescribeLockedSnapshots, every page: a lock in any state but `expired` forbids DeleteSnapshot, "Amazon EBS snapshot lock
 * concepts", https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-concepts.html). The locked ones are the
 * evidence copies ShareAndCopySnapshots locked: neither deleted nor counted as left over (they expire with the evidence
 * bucket's retention; a sandbox deployment sets a short `evidenceRetentionDays`).
 */
async function unlockedCaseSnapshots(c: SandboxClients, caseIds: readonly string[]): Promise<string[]> {
  if (!caseIds.length) return [];
  const filter = [{ Name: 'tag:firebreak:case-id', Values: [...caseIds] }];
  const ids = ((await c.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: filter }))).Snapshots ?? []).map(
    (s) => s.SnapshotId!,
  );
  if (!ids.length) return [];
  const locked = (await describeSnapshotLocks(c.ec2, ids)).filter((l) => l.LockState && l.LockState !== 'expired').map((l) => l.SnapshotId);
  return ids.filter((id) => !locked.includes(id));
}

/**
 * Removes everything a game day left: canary instances (termination protection, which containment
 * turned on, is turned off first), their volumes (containment kept them), the evidence snapshots of its
 * cases, Firebreak's isolation groups in the canary VPC, the subnet and VPC, and the canary user with
 * its keys and policies. Finds them by tag, IAM path, case and cleanup ledger, so it finishes an
 * interrupted game day too, and it is safe to run again.
 * @param caseIds - the game day's cases (their evidence snapshots are removed, but for the security account's evidence
 *   copies under an EBS snapshot lock: they cannot be deleted until it expires, which is what the lock is for).
 * @returns what is left afterwards (all zero when clean); the ledger file records `cleanedAt` then.
 */
export async function cleanupGameDay(
  c: SandboxClients,
  runId: string,
  caseIds: readonly string[] = [],
  dir = CLEANUP_DIR,
  pollMs = 500,
): Promise<Leftovers> {
  const tag: Filter[] = [{ Name: `tag:${GAMEDAY_TAG}`, Values: [runId] }];
  const file = ledgerFile(dir, runId);
  const ledger = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as CleanupLedger) : undefined;
  const fromLedger = (t: CleanupItem['type']) => (ledger?.items ?? []).filter((i) => i.type === t).map((i) => i.id);
  // An interrupted game day: its cases are the ledger's claims on its canaries.
  if (caseIds.length === 0) caseIds = await claimedCases(c, fromLedger);
  const volumeIds = await terminateCanaries(c, tag, fromLedger('instance'), pollMs);
  for (const v of (await c.ec2.send(new DescribeVolumesCommand({ Filters: tag }))).Volumes ?? []) volumeIds.add(v.VolumeId!);
  for (const v of volumeIds) await ignoreGone(c.ec2.send(new DeleteVolumeCommand({ VolumeId: v })));
  for (const id of await unlockedCaseSnapshots(c, caseIds)) await ignoreGone(c.ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })));
  const vpcs = [
    ...new Set([...((await c.ec2.send(new DescribeVpcsCommand({ Filters: tag }))).Vpcs ?? []).map((v) => v.VpcId!), ...fromLedger('vpc')]),
  ];
  for (const vpc of vpcs) await deleteCanaryVpc(c, vpc);
  const users = [
    ...new Set([
      ...((await c.iam.send(new ListUsersCommand({ PathPrefix: CANARY_USER_PATH }))).Users ?? [])
        .map((u) => u.UserName!)
        .filter((u) => u.includes(runId)),
      ...fromLedger('user'),
    ]),
  ];
  for (const userName of users) await deleteCanaryUser(c, userName);
  const left = await countLeftovers(c, runId, caseIds);
  if (ledger && Object.values(left).every((n) => n === 0)) {
    ledger.cleanedAt = new Date().toISOString();
    save(dir, ledger);
  }
  return left;
}

/** The cases of an interrupted game day: the ledger's claims on the canaries its cleanup ledger lists. */
async function claimedCases(c: SandboxClients, fromLedger: (t: CleanupItem['type']) => string[]): Promise<string[]> {
  const claims = await Promise.all([
    ...fromLedger('instance').map((id) =>
      c.conn.ledger.findClaim({ playbook: 'ec2-compromise', account: c.account, region: c.region, resource: { id } }),
    ),
    ...fromLedger('access-key').map((id) =>
      c.conn.ledger.findClaim({ playbook: 'credential-compromise', account: c.account, region: c.region, resource: { id } }),
    ),
  ]);
  return claims.filter((x): x is ClaimItem => !!x).map((x) => x.caseId);
}

/**
 * Terminates the game day's instances (tagged, or in its cleanup ledger), turning termination protection off first,
 * and waits up to 240 polls of `pollMs` milliseconds for them to be terminated.
 * @returns the IDs of the volumes they had attached (deleted next).
 */
async function terminateCanaries(c: SandboxClients, tag: Filter[], listed: readonly string[], pollMs: number): Promise<Set<string>> {
  const tagged = ((await c.ec2.send(new DescribeInstancesCommand({ Filters: tag }))).Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .map((i) => i.InstanceId!);
  const instances = [...new Set([...tagged, ...listed])];
  const volumeIds = new Set<string>();
  for (const id of instances) {
    const i = (await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })).catch(() => undefined))?.Reservations?.[0]
      ?.Instances?.[0];
    if (!i || i.State?.Name === 'terminated') continue;
    for (const b of i.BlockDeviceMappings ?? []) if (b.Ebs?.VolumeId) volumeIds.add(b.Ebs.VolumeId);
    await c.ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: false } }));
    await c.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  }
  for (let n = 0; n < 240 && instances.length; n++) {
    const states = ((await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: instances })).catch(() => undefined))?.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .map((i) => i.State?.Name);
    if (states.every((s) => s === 'terminated')) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return volumeIds;
}

/** Deletes a game-day VPC's ENIs, non-default groups, subnets and the VPC; leaves it while an instance in it still runs. */
async function deleteCanaryVpc(c: SandboxClients, vpc: string): Promise<void> {
  const enis =
    (await c.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).NetworkInterfaces ?? [];
  const attachedTo = [...new Set(enis.map((e) => e.Attachment?.InstanceId).filter((x): x is string => !!x))];
  const live = attachedTo.length
    ? ((await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: attachedTo })).catch(() => undefined))?.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .filter((i) => i.State?.Name !== 'terminated')
    : [];
  if (live.length) return; // an instance is still shutting down: the next cleanup run finishes it
  for (const e of enis) await ignoreGone(c.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId })));
  for (const g of (
    (await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).SecurityGroups ?? []
  ).filter((x) => x.GroupName !== 'default')) {
    await ignoreGone(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId })));
  }
  for (const s of (await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).Subnets ?? []) {
    await ignoreGone(c.ec2.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId })));
  }
  await ignoreGone(c.ec2.send(new DeleteVpcCommand({ VpcId: vpc })));
}

/** Deletes a canary IAM user: its access keys, inline and attached policies, login profile, then the user. */
async function deleteCanaryUser(c: SandboxClients, userName: string): Promise<void> {
  const keys = await c.iam
    .send(new ListAccessKeysCommand({ UserName: userName }))
    .catch((err) => (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException') ? undefined : Promise.reject(err)));
  if (!keys) return;
  for (const k of keys.AccessKeyMetadata ?? [])
    await ignoreGone(c.iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: k.AccessKeyId })));
  for (const p of (await c.iam.send(new ListUserPoliciesCommand({ UserName: userName }))).PolicyNames ?? []) {
    await ignoreGone(c.iam.send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: p })));
  }
  // DeleteUser refuses a user with managed policies attached (DeleteConflict): containment attached AWSDenyAll.
  for (const p of (await c.iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies ?? []) {
    await ignoreGone(c.iam.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: p.PolicyArn })));
  }
  await ignoreGone(c.iam.send(new DeleteLoginProfileCommand({ UserName: userName })));
  await ignoreGone(c.iam.send(new DeleteUserCommand({ UserName: userName })));
}

/** The game days whose cleanup has not finished (their ledger has no `cleanedAt`). */
export function unfinishedGameDays(dir = CLEANUP_DIR): CleanupLedger[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CleanupLedger)
    .filter((l) => !l.cleanedAt);
}
