import { DescribeAutoScalingGroupsCommand, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeLockedSnapshotsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DescribeAddressesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  Instance,
  SecurityGroup,
  Snapshot,
  Volume,
} from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { GetCommand, NativeAttributeValue, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { sha256Hex } from '../../runtime/evidence/vault';
import type { EvidenceManifest } from '../../runtime/evidence/manifest';
import { TAG } from '../../core/tags';
import { isFirebreakGroup, ruleTuples } from '../../runtime/ec2/isolation-groups';
import type { LocalEnvironment } from './seed';
import type { TwinWorld } from './twin';
import type { CredentialTwin } from './credential-twin';
import {
  GetInstanceProfileCommand,
  GetRolePolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { isAwsDenyAllPolicyArn, parsePolicyDocument, policyText, ROLE_SESSION_REVOCATION_POLICY_NAME } from '../../runtime/iam/policies';
import { instanceCredentialsDenyPolicy, instanceCredentialsPolicyName } from '../../runtime/iam/instance-credentials';

/** A verification made by reading the emulator's state back (never the playbook's own claims). */
export interface Check {
  readonly name: string;
  readonly passed: boolean;
  readonly details: string;
}

const check = (name: string, passed: boolean, details: string): Check => ({ name, passed, details });

/** Evidence found by reading back: final snapshots and the manifest recorded in the ledger. */
export interface EvidenceReadBack {
  readonly snapshots: { sourceVolumeId: string; snapshotId: string; ownerAccount: string; kmsKeyId: string }[];
  readonly manifest?: { bucket: string; key: string; sha256: string };
}

async function evidenceSnapshots(env: LocalEnvironment, caseId: string): Promise<Snapshot[]> {
  const out = await env.security.ec2.send(
    new DescribeSnapshotsCommand({
      OwnerIds: ['self'],
      Filters: [
        { Name: `tag:${TAG.caseId}`, Values: [caseId] },
        { Name: `tag:${TAG.stage}`, Values: ['evidence'] },
      ],
    }),
  );
  return out.Snapshots ?? [];
}

/**
 * The security groups the instance's ENIs are on that carry Firebreak's isolation tag (`firebreak:role=isolation`),
 * in the instance's VPC, read back by ID: whichever name Isolate gave them.
 */
async function isolationGroupsOf(ec2: EC2Client, instance: Instance): Promise<SecurityGroup[]> {
  const ids = [...new Set((instance.NetworkInterfaces ?? []).flatMap((e) => (e.Groups ?? []).map((g) => g.GroupId!)))];
  if (!ids.length) return [];
  const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: ids }] }))).SecurityGroups ?? [];
  return groups.filter((g) => g.VpcId === instance.VpcId && (g.Tags ?? []).some((t) => t.Key === TAG.role && t.Value === 'isolation'));
}

/**
 * `contain-verified`: the case's timeline has a SUCCEEDED Contain entry that carries its read-back (issue 13: Contain
 * verifies isolation itself, where VerifyIsolation's entry used to be), every check of it passed, among them one per
 * ENI (`eni-isolated:`), the isolation group's (`isolation-group-empty:`), the profile's and the Elastic IPs'.
 */
function containVerifiedCheck(timeline: Record<string, NativeAttributeValue>[]): Check {
  type Verified = { checks?: { name: string; passed: boolean }[] };
  const entries = timeline.filter((t) => t.step === 'Contain' && t.status === 'SUCCEEDED');
  const verified = entries.map((t) => (t.details as { verify?: Verified } | undefined)?.verify?.checks ?? []);
  const complete = (checks: { name: string; passed: boolean }[]) =>
    checks.length > 0 &&
    checks.every((c) => c.passed) &&
    [
      'eni-isolated:',
      'isolation-group-empty:',
      'instance-profile-removed',
      'elastic-ips-disassociated',
      'network-interface-lists-agree',
    ].every((prefix) => checks.some((c) => c.name.startsWith(prefix)));
  const ok = verified.some(complete);
  const details = entries.length
    ? verified.map((c) => `${c.filter((x) => x.passed).length}/${c.length} read-back checks passed`).join('; ')
    : 'no SUCCEEDED Contain entry';
  return check('contain-verified', ok, details);
}

/**
 * `instance-credentials-denied` (issue 15): the role of the twin's instance profile, read back with IAM GetInstanceProfile,
 * carries `FirebreakDenyInstanceCredentials-<instance>` (GetRolePolicy) whose document is exactly the deny of this
 * instance's ARN (`ec2:SourceInstanceARN`), and the case's DenyInstanceCredentials entry says it read it back.
 */
async function instanceCredentialsCheck(
  env: LocalEnvironment,
  twin: TwinWorld,
  timeline: Record<string, NativeAttributeValue>[],
): Promise<Check> {
  const profileName = twin.instanceProfileArn.split('/').pop()!;
  const roleName = (await env.member.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }))).InstanceProfile
    ?.Roles?.[0]?.RoleName;
  if (!roleName) return check('instance-credentials-denied', false, `instance profile ${profileName} holds no role`);
  const policyName = instanceCredentialsPolicyName(twin.instanceId);
  const doc = await env.member.iam
    .send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))
    .then((out) => JSON.stringify(parsePolicyDocument(out.PolicyDocument!)))
    .catch(() => undefined);
  const wanted = policyText(instanceCredentialsDenyPolicy(`arn:aws:ec2:${env.region}:${env.memberAccount}:instance/${twin.instanceId}`));
  const verified = timeline.some(
    (t) => t.step === 'DenyInstanceCredentials' && t.status === 'SUCCEEDED' && (t.details as { verified?: boolean } | undefined)?.verified,
  );
  const ok = doc === wanted && verified;
  return check(
    'instance-credentials-denied',
    ok,
    `${roleName}/${policyName}: ${doc === undefined ? 'absent' : doc === wanted ? "Firebreak's deny of this instance" : 'another document'}; step read-back ${verified ? 'recorded' : 'missing'}`,
  );
}

/**
 * Verifies, from the emulator's state, that an instance is contained with its evidence in the
 * security account (issue #2 "Both ec2 fixtures are contained"):
 * every ENI only on the isolation SG, that SG without rules (IPv4 and IPv6); termination protection
 * on; shutdown behaviour `stop`; every volume `DeleteOnTermination=false`; the profile removed; EIPs
 * disassociated; out of its ASG and target group; one completed snapshot per volume owned by the
 * security account, under its key, tagged with the case; the instance role's deny scoped to the instance
 * (`instance-credentials-denied`); a manifest whose SHA-256, recomputed here, matches the ledger, and whose artifacts' hashes match; Object Lock retention on it; a timeline.
 * @returns the checks and the evidence read back.
 */
export async function verifyContainment(
  env: LocalEnvironment,
  twin: TwinWorld,
  caseId: string,
): Promise<{ checks: Check[]; evidence: EvidenceReadBack }> {
  const instance = (await env.member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [twin.instanceId] }))).Reservations?.[0]
    ?.Instances?.[0];
  if (!instance) return { checks: [check('instance-exists', false, `${twin.instanceId} not found`)], evidence: { snapshots: [] } };
  // Every read below depends only on the instance (and the case record for the evidence): read together.
  const caseRecord = env.security.ddb
    .send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' }, ConsistentRead: true }))
    .then((out) => out.Item);
  const evidenceChecks = caseRecord.then((record) => {
    const ref = (record?.evidence as { manifest?: ManifestRef } | undefined)?.manifest;
    return Promise.all([evidenceProvenanceCheck(env, twin.volumeIds, record), manifestChecks(env, ref), ref] as const);
  });
  const [isolation, attributes, fleet, snaps, record, [provenance, manifest, manifestRef], timeline] = await Promise.all([
    isolationChecks(env, twin, instance),
    instanceAttributeChecks(env, twin, instance),
    fleetChecks(env, twin),
    evidenceSnapshots(env, caseId),
    caseRecord,
    evidenceChecks,
    env.security.ddb
      .send(
        new QueryCommand({
          TableName: env.ledgerTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tl)',
          ExpressionAttributeValues: { ':pk': `CASE#${caseId}`, ':tl': 'TL#' },
        }),
      )
      .then((out) => out.Items ?? []),
  ]);
  const checks: Check[] = [
    ...isolation,
    ...attributes,
    ...fleet,
    ...evidenceSnapshotChecks(env, twin, caseId, snaps),
    provenance,
    ...manifest,
  ];
  const steps = new Set(timeline.map((t) => t.step as string));
  const needed = [
    'Claim',
    'Contain',
    'DenyInstanceCredentials',
    'SnapshotVolumes',
    'CopySnapshots',
    'ShareAndCopySnapshots',
    'CollectArtifacts',
    'WriteManifest',
    'Notify',
  ];
  const missing = needed.filter((s) => !steps.has(s));
  checks.push(
    check('case-timeline', missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : `${timeline.length} entries`),
  );
  checks.push(containVerifiedCheck(timeline));
  checks.push(await instanceCredentialsCheck(env, twin, timeline));
  // Notify closes the case in its own write (issue 13, no CloseCase step): its entry says so.
  const closedBy = timeline.filter((t) => t.step === 'Notify' && t.status === 'SUCCEEDED').map((t) => t.details?.closed?.status);
  checks.push(check('case-closed-by-notify', closedBy.includes('CONTAINED'), `Notify closed: ${closedBy.join(',') || 'none'}`));
  checks.push(check('case-status-contained', record?.status === 'CONTAINED', `status=${record?.status}`));
  return {
    checks,
    evidence: {
      snapshots: snaps.map((s) => ({
        sourceVolumeId: s.Tags?.find((t) => t.Key === TAG.sourceVolumeId)?.Value ?? '',
        snapshotId: s.SnapshotId!,
        ownerAccount: s.OwnerId!,
        kmsKeyId: s.KmsKeyId ?? '',
      })),
      manifest: manifestRef,
    },
  };
}

/** The manifest the ledger names. */
type ManifestRef = { bucket: string; key: string; sha256: string };

/** Every ENI only on the VPC's one isolation group, as many ENIs as the twin has, and that group without rules (IPv4 and IPv6). */
async function isolationChecks(env: LocalEnvironment, twin: TwinWorld, instance: Instance): Promise<Check[]> {
  const iso = await isolationGroupsOf(env.member.ec2, instance);
  const checks = [
    check('isolation-group-unique', iso.length === 1, `${iso.length} isolation group(s) on the instance's ENIs in ${twin.vpcId}`),
  ];
  const isoGroup = iso[0];
  for (const eni of instance.NetworkInterfaces ?? []) {
    const ids = (eni.Groups ?? []).map((g) => g.GroupId);
    checks.push(
      check(
        `eni-only-isolation-group:${eni.NetworkInterfaceId}`,
        !!isoGroup && ids.length === 1 && ids[0] === isoGroup.GroupId,
        `groups=${ids.join(',')}`,
      ),
    );
  }
  checks.push(
    check(
      'eni-count',
      (instance.NetworkInterfaces ?? []).length === twin.networkInterfaceIds.length,
      `${(instance.NetworkInterfaces ?? []).length} ENI(s), twin has ${twin.networkInterfaceIds.length}`,
    ),
  );
  const rules = [...(isoGroup?.IpPermissions ?? []), ...(isoGroup?.IpPermissionsEgress ?? [])];
  const v4 = rules.flatMap((p) => p.IpRanges ?? []);
  const v6 = rules.flatMap((p) => p.Ipv6Ranges ?? []);
  checks.push(
    check(
      'isolation-group-no-rules',
      !!isoGroup && (isoGroup.IpPermissions ?? []).length === 0 && (isoGroup.IpPermissionsEgress ?? []).length === 0,
      `ingress=${isoGroup?.IpPermissions?.length ?? '?'} egress=${isoGroup?.IpPermissionsEgress?.length ?? '?'} ipv4Ranges=${v4.length} ipv6Ranges=${v6.length}`,
    ),
  );
  return checks;
}

/** Termination protection on, shutdown behaviour `stop`, volumes kept on termination, the profile removed, the EIPs disassociated. */
async function instanceAttributeChecks(env: LocalEnvironment, twin: TwinWorld, instance: Instance): Promise<Check[]> {
  const ec2 = env.member.ec2;
  const twinEips = Object.entries(twin.idMap)
    .filter(([from]) => /^\d+\.\d+\.\d+\.\d+$/.test(from))
    .map(([, to]) => to);
  const [term, shutdown, profiles, eips] = await Promise.all([
    ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: twin.instanceId, Attribute: 'disableApiTermination' })),
    ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: twin.instanceId, Attribute: 'instanceInitiatedShutdownBehavior' })),
    ec2
      .send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [twin.instanceId] }] }))
      .then((out) => out.IamInstanceProfileAssociations ?? []),
    twinEips.length
      ? ec2.send(new DescribeAddressesCommand({ PublicIps: twinEips })).then((out) => (out.Addresses ?? []).filter((a) => a.AssociationId))
      : Promise.resolve([]),
  ]);
  const bdms = instance.BlockDeviceMappings ?? [];
  const active = profiles.filter((p) => p.State === 'associated' || p.State === 'associating');
  return [
    check(
      'termination-protection',
      term.DisableApiTermination?.Value === true,
      `DisableApiTermination=${term.DisableApiTermination?.Value}`,
    ),
    check(
      'shutdown-behavior-stop',
      shutdown.InstanceInitiatedShutdownBehavior?.Value === 'stop',
      `InstanceInitiatedShutdownBehavior=${shutdown.InstanceInitiatedShutdownBehavior?.Value}`,
    ),
    check(
      'volumes-kept-on-termination',
      bdms.length >= 2 && bdms.every((b) => b.Ebs?.DeleteOnTermination === false),
      bdms.map((b) => `${b.DeviceName}:${b.Ebs?.DeleteOnTermination}`).join(' '),
    ),
    check(
      'instance-profile-removed',
      active.length === 0,
      active.length ? active.map((p) => p.IamInstanceProfile?.Arn).join(',') : 'no association',
    ),
    check(
      'elastic-ips-disassociated',
      eips.length === 0,
      eips.length ? `still associated: ${eips.map((a) => a.PublicIp).join(',')}` : `${twinEips.length} twin EIP(s), none associated`,
    ),
  ];
}

/** Out of its Auto Scaling group (capacity kept) and its target group, when the twin has them (read together). */
async function fleetChecks(env: LocalEnvironment, twin: TwinWorld): Promise<Check[]> {
  const [asgChecks, tgChecks] = await Promise.all([autoScalingChecks(env, twin), targetGroupChecks(env, twin)]);
  return [...asgChecks, ...tgChecks];
}

/** Detached from the twin's Auto Scaling group, the group's capacity kept. */
async function autoScalingChecks(env: LocalEnvironment, twin: TwinWorld): Promise<Check[]> {
  if (!twin.autoScalingGroupName) return [];
  const [asg, groups] = await Promise.all([
    env.member.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [twin.instanceId] })),
    env.member.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [twin.autoScalingGroupName] })),
  ]);
  const member = (asg.AutoScalingInstances ?? []).filter((i) => !/^Detach/.test(i.LifecycleState ?? ''));
  // Detached without decrementing: the group keeps the capacity the instance held (the twin's group had exactly it).
  const group = groups.AutoScalingGroups?.[0];
  return [
    check(
      'detached-from-auto-scaling',
      member.length === 0,
      member.length ? `still in ${member[0].AutoScalingGroupName}` : `not in ${twin.autoScalingGroupName}`,
    ),
    check('auto-scaling-capacity-kept', group?.DesiredCapacity === 1, `DesiredCapacity=${group?.DesiredCapacity}`),
  ];
}

/** Deregistered from the twin's target group (or draining). */
async function targetGroupChecks(env: LocalEnvironment, twin: TwinWorld): Promise<Check[]> {
  const checks: Check[] = [];
  if (twin.targetGroupArn) {
    const health = await env.member.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: twin.targetGroupArn }));
    const still = (health.TargetHealthDescriptions ?? []).filter(
      (d) => d.Target?.Id === twin.instanceId && d.TargetHealth?.State !== 'draining',
    );
    checks.push(
      check(
        'deregistered-from-target-groups',
        still.length === 0,
        still.length ? `state ${still[0].TargetHealth?.State}` : 'not registered',
      ),
    );
  }
  return checks;
}

/** One completed snapshot per volume in the security account, under its key, tagged with the case. */
function evidenceSnapshotChecks(env: LocalEnvironment, twin: TwinWorld, caseId: string, snaps: Snapshot[]): Check[] {
  const byVolume = new Map<string, Snapshot[]>();
  for (const s of snaps) {
    const v = s.Tags?.find((t) => t.Key === TAG.sourceVolumeId)?.Value ?? '?';
    byVolume.set(v, [...(byVolume.get(v) ?? []), s]);
  }
  const perVolumeOk = twin.volumeIds.every((v) => byVolume.get(v)?.length === 1);
  const some = snaps.length > 0;
  return [
    check(
      'one-evidence-snapshot-per-volume',
      perVolumeOk && snaps.length === twin.volumeIds.length,
      `${snaps.length} snapshot(s) for ${twin.volumeIds.length} volume(s)`,
    ),
    check(
      'evidence-snapshots-completed',
      some && snaps.every((s) => s.State === 'completed'),
      snaps.map((s) => `${s.SnapshotId}:${s.State}`).join(' '),
    ),
    check(
      'evidence-snapshots-owned-by-security-account',
      some && snaps.every((s) => s.OwnerId === env.securityAccount),
      snaps.map((s) => s.OwnerId).join(' '),
    ),
    check(
      'evidence-snapshots-under-security-key',
      some && snaps.every((s) => s.Encrypted && s.KmsKeyId === env.evidenceKeyArn),
      snaps.map((s) => s.KmsKeyId).join(' '),
    ),
    check(
      'evidence-snapshots-tagged-with-case',
      some && snaps.every((s) => s.Tags?.some((t) => t.Key === TAG.caseId && t.Value === caseId)),
      caseId,
    ),
  ];
}

/**
 * The manifest the ledger names: its SHA-256, recomputed here, matches the ledger's; its artifacts' hashes match, and
 * it names every artifact CollectArtifacts writes ({@link REQUIRED_ARTIFACTS}); Object Lock retention and the evidence
 * key on it.
 */
/** The artifacts every ec2-compromise manifest names: the finding (the stored event), the instance's state, the console output. */
const REQUIRED_ARTIFACTS = ['finding.json', 'instance.json', 'console-output.json'];

async function manifestChecks(env: LocalEnvironment, manifestRef: ManifestRef | undefined): Promise<Check[]> {
  if (!manifestRef)
    return [
      check('manifest-sha256-matches-ledger', false, 'no manifest recorded in the ledger'),
      check('artifact-sha256-match-manifest', false, 'no manifest'),
    ];
  // moto serves no GetObjectRetention; HeadObject carries the same x-amz-object-lock-* headers (S3 API reference, HeadObject).
  const [body, head] = await Promise.all([
    readBody(env, manifestRef.bucket, manifestRef.key),
    env.security.s3.send(new HeadObjectCommand({ Bucket: manifestRef.bucket, Key: manifestRef.key })),
  ]);
  const recomputed = sha256Hex(body);
  const manifest = JSON.parse(body.toString('utf8')) as EvidenceManifest;
  const results = await Promise.all(
    manifest.artifacts.map(async (a) => sha256Hex(await readBody(env, manifestRef.bucket, a.key)) === a.sha256),
  );
  const until = head.ObjectLockRetainUntilDate;
  const missing = REQUIRED_ARTIFACTS.filter((n) => !manifest.artifacts.some((a) => a.name === n));
  return [
    check(
      'manifest-under-object-lock',
      !!head.ObjectLockMode && !!until && until.getTime() > Date.now(),
      `mode=${head.ObjectLockMode ?? 'none'} until=${until?.toISOString() ?? '-'} sse=${head.ServerSideEncryption}/${head.SSEKMSKeyId ?? '-'}`,
    ),
    check(
      'manifest-encrypted-with-evidence-key',
      head.ServerSideEncryption === 'aws:kms' && head.SSEKMSKeyId === env.evidenceKeyArn,
      `${head.ServerSideEncryption} ${head.SSEKMSKeyId}`,
    ),
    check('manifest-sha256-matches-ledger', recomputed === manifestRef.sha256, `ledger=${manifestRef.sha256} recomputed=${recomputed}`),
    check(
      'artifact-sha256-match-manifest',
      !missing.length && results.every(Boolean),
      `${results.filter(Boolean).length}/${results.length} artifact hashes match${missing.length ? `; missing ${missing.join(', ')}` : ''}`,
    ),
  ];
}

/** One recorded snapshot of the case's ledger, as the read-back sees it (`evidence["snapshot#<stage>#<volume>"]`). */
interface LedgerSnapshot {
  stage: string;
  volumeId: string;
  snapshotId: string;
  sourceSnapshotId?: string;
}

/** The member account's snapshots tagged with the case and stage `transit` (independent of the ledger). */
async function transitSnapshotsOf(env: LocalEnvironment, caseId: string): Promise<Snapshot[]> {
  const out = await env.member.ec2.send(
    new DescribeSnapshotsCommand({
      OwnerIds: ['self'],
      Filters: [
        { Name: `tag:${TAG.caseId}`, Values: [caseId] },
        { Name: `tag:${TAG.stage}`, Values: ['transit'] },
      ],
    }),
  );
  return out.Snapshots ?? [];
}

/** A member snapshot's create-volume permissions as `account IDs` and `group:<name>` entries (DescribeSnapshotAttribute). */
async function sharedWith(env: LocalEnvironment, snapshotId: string): Promise<string[]> {
  const out = await env.member.ec2.send(
    new DescribeSnapshotAttributeCommand({ SnapshotId: snapshotId, Attribute: 'createVolumePermission' }),
  );
  return (out.CreateVolumePermissions ?? []).map((p) => p.UserId ?? `group:${p.Group}`).sort();
}

/** What {@link volumeChainProblems} reads a volume's chain against (read back from EC2, not the ledger). */
interface ChainReadBack {
  readonly env: LocalEnvironment;
  readonly opened: number;
  readonly memberSnaps: Snapshot[];
  readonly securitySnaps: Snapshot[];
  readonly memberTransit: Snapshot[];
  readonly vol?: Volume;
  readonly sharedWith?: string[];
}

/**
 * One volume's recorded chain against EC2: the member snapshot as the volume is; an encrypted volume's transit copy
 * under the transit key; an unencrypted volume with no transit copy (none recorded, none tagged in the member
 * account) and its member snapshot shared with the security account only; the final copy under the evidence key.
 */
function volumeChainProblems(c: ChainReadBack, volumeId: string, [src, tr, fin]: (LedgerSnapshot | undefined)[]): string[] {
  const { env, opened, vol } = c;
  const started = (s: Snapshot) => (s.StartTime ? new Date(s.StartTime).getTime() : NaN);
  const needsTransit = !!vol?.Encrypted;
  if (!src || (needsTransit && !tr) || !fin)
    return [
      `${volumeId}: the ledger records ${[src && 'source', tr && 'transit', fin && 'evidence'].filter(Boolean).join('+') || 'nothing'}`,
    ];
  const problems: string[] = [];
  const shared = tr ?? src;
  if ((tr && tr.sourceSnapshotId !== src.snapshotId) || fin.sourceSnapshotId !== shared.snapshotId)
    problems.push(`${volumeId}: the recorded chain is not linked`);
  const s = c.memberSnaps.find((x) => x.SnapshotId === src.snapshotId);
  const f = c.securitySnaps.find((x) => x.SnapshotId === fin.snapshotId);
  if (
    !s ||
    s.VolumeId !== volumeId ||
    s.OwnerId !== env.memberAccount ||
    !!s.Encrypted !== !!vol?.Encrypted ||
    (vol?.Encrypted && s.KmsKeyId !== vol.KmsKeyId) ||
    !(started(s) >= opened)
  ) {
    problems.push(
      `${volumeId}: member snapshot ${src.snapshotId} ${s ? `is of ${s.VolumeId}, owner ${s.OwnerId}, encrypted ${s.Encrypted}, started ${s.StartTime?.toISOString()}` : 'not found'}`,
    );
  }
  if (tr) {
    const t = c.memberSnaps.find((x) => x.SnapshotId === tr.snapshotId);
    if (!t || t.OwnerId !== env.memberAccount || !t.Encrypted || t.KmsKeyId !== env.transitKeyArn || !(started(t) >= opened)) {
      problems.push(
        `${volumeId}: transit copy ${tr.snapshotId} ${t ? `owner ${t.OwnerId}, key ${t.KmsKeyId}, started ${t.StartTime?.toISOString()}` : 'not found'}`,
      );
    }
  }
  if (!needsTransit) {
    const stray = c.memberTransit.filter((x) => x.Tags?.some((t) => t.Key === TAG.sourceVolumeId && t.Value === volumeId));
    if (tr || stray.length)
      problems.push(
        `${volumeId} is unencrypted but has a transit copy: ${[tr?.snapshotId, ...stray.map((x) => x.SnapshotId)].filter(Boolean).join(', ')}`,
      );
    if (JSON.stringify(c.sharedWith) !== JSON.stringify([env.securityAccount]))
      problems.push(
        `${volumeId}: member snapshot ${src.snapshotId} is shared with ${c.sharedWith?.join(',') || 'nobody'}, not the security account only`,
      );
  }
  if (!f || f.OwnerId !== env.securityAccount || !f.Encrypted || f.KmsKeyId !== env.evidenceKeyArn || !(started(f) >= opened)) {
    problems.push(
      `${volumeId}: final copy ${fin.snapshotId} ${f ? `owner ${f.OwnerId}, key ${f.KmsKeyId}, started ${f.StartTime?.toISOString()}` : 'not found'}`,
    );
  }
  return problems;
}

/**
 * The snapshots among `ids` without an EBS snapshot lock in force (DescribeLockedSnapshots: none, or `expired`). A
 * snapshot that is gone has no lock to read (the call answers InvalidSnapshot.NotFound): all of them are then listed.
 */
async function unlockedSnapshots(ec2: EC2Client, ids: readonly string[]): Promise<string[]> {
  if (!ids.length) return [];
  const out = await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [...ids] })).catch(() => undefined);
  const locked = (out?.Snapshots ?? []).filter((l) => l.LockState && l.LockState !== 'expired').map((l) => l.SnapshotId);
  return ids.filter((id) => !locked.includes(id));
}

/**
 * `evidence-snapshots-provenance` (issue 11): the case's evidence is what Firebreak created, read from EC2 by the IDs
 * the ledger recorded, never found by tags. For every volume of the twin, the ledger names a member snapshot, its
 * transit copy and the security account's copy, linked by their recorded sources; read back by ID: the member
 * snapshot is of that volume, owned by the member account, encrypted as the volume is (DescribeVolumes); the transit
 * copy is owned by the member account under the transit key. An unencrypted volume has no transit copy at all (none
 * recorded, none in the member account tagged with the case): the final copy descends from the member snapshot, whose
 * create-volume permissions list the security account only. The final copy is owned by the security account under
 * the evidence key; each started after the case opened (to the second: EC2 reports StartTime in seconds). The
 * manifest's snapshot chain and the security account's snapshots tagged with the case and stage `evidence` must be
 * exactly those IDs, so a swapped or extra evidence snapshot fails the check. Each final copy must be under an EBS
 * snapshot lock in force (DescribeLockedSnapshots, issue 16).
 */
export async function evidenceProvenanceCheck(
  env: LocalEnvironment,
  volumeIds: readonly string[],
  record: Record<string, NativeAttributeValue> | undefined,
): Promise<Check> {
  const name = 'evidence-snapshots-provenance';
  if (!record) return check(name, false, 'no case in the ledger');
  const evidence = (record.evidence ?? {}) as Record<string, unknown>;
  const recorded = Object.entries(evidence)
    .filter(([k]) => k.startsWith('snapshot#'))
    .map(([, v]) => v as LedgerSnapshot);
  const opened = Math.floor(Date.parse(record.createdAt as string) / 1000) * 1000;
  const byId = async (ec2: EC2Client, ids: string[]) =>
    ids.length ? ((await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'snapshot-id', Values: ids }] }))).Snapshots ?? []) : [];
  const of = (stage: string) => volumeIds.map((v) => recorded.find((r) => r.stage === stage && r.volumeId === v));
  const [source, transit, final] = [of('source'), of('transit'), of('evidence')];
  const problems: string[] = [];
  const ids = (rs: (LedgerSnapshot | undefined)[]) => rs.filter((r): r is LedgerSnapshot => !!r).map((r) => r.snapshotId);
  const [memberSnaps, securitySnaps, volumes, tagged] = await Promise.all([
    byId(env.member.ec2, [...ids(source), ...ids(transit)]),
    byId(env.security.ec2, ids(final)),
    volumeIds.length
      ? env.member.ec2
          .send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [...volumeIds] }] }))
          .then((o) => o.Volumes ?? [])
      : Promise.resolve([]),
    evidenceSnapshots(env, record.caseId as string),
  ]);
  const [memberTransit, permissions] = await Promise.all([
    transitSnapshotsOf(env, record.caseId as string),
    Promise.all(source.map((r) => (r ? sharedWith(env, r.snapshotId) : Promise.resolve(undefined)))),
  ]);
  volumeIds.forEach((volumeId, i) => {
    const vol = volumes.find((v) => v.VolumeId === volumeId);
    const ctx = { env, opened, memberSnaps, securitySnaps, memberTransit, vol, sharedWith: permissions[i] };
    problems.push(...volumeChainProblems(ctx, volumeId, [source[i], transit[i], final[i]]));
  });
  const manifestChain = (
    (evidence.snapshots ?? []) as { sourceVolumeId: string; memberSnapshotId: string; transitSnapshotId?: string; snapshotId: string }[]
  )
    .map((m) => `${m.sourceVolumeId}:${m.memberSnapshotId}>${m.transitSnapshotId ?? '-'}>${m.snapshotId}`)
    .sort();
  const ledgerChain = volumeIds
    .map((v, i) => `${v}:${source[i]?.snapshotId}>${transit[i]?.snapshotId ?? '-'}>${final[i]?.snapshotId}`)
    .sort();
  if (JSON.stringify(manifestChain) !== JSON.stringify(ledgerChain))
    problems.push(`the case's manifest chain ${manifestChain.join(' ')} is not the recorded ${ledgerChain.join(' ')}`);
  // Each security account copy is under an EBS snapshot lock in force (issue 16: ShareAndCopySnapshots locks them).
  const unlocked = await unlockedSnapshots(env.security.ec2, ids(final));
  if (unlocked.length) problems.push(`security-account copies not under EBS snapshot lock: ${unlocked.join(',')}`);
  const taggedIds = tagged.map((s) => s.SnapshotId!).sort();
  if (JSON.stringify(taggedIds) !== JSON.stringify(ids(final).sort()))
    problems.push(`security-account snapshots tagged with the case: ${taggedIds.join(',')}, recorded: ${ids(final).join(',')}`);
  return check(
    name,
    problems.length === 0,
    problems.length ? problems.join('; ') : `${volumeIds.length} volume(s): ${ledgerChain.join(' ')}`,
  );
}

/**
 * Reads an instance back and checks that every ENI is on its VPC's isolation group only (an instance
 * without a twin world: one contained by a chained run, or a sandbox game day's canary).
 * @param name - the check's name. @default `chained-instance-isolated:<instance ID>`
 */
export async function instanceIsolatedCheck(
  ec2: EC2Client,
  instanceId: string,
  name = `chained-instance-isolated:${instanceId}`,
): Promise<Check> {
  const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
  if (!instance?.VpcId) return check(name, false, 'instance not found');
  const iso = await isolationGroupsOf(ec2, instance);
  const enis = instance.NetworkInterfaces ?? [];
  const groups = enis.map((e) => (e.Groups ?? []).map((g) => g.GroupId));
  const empty = iso.length === 1 && (iso[0].IpPermissions ?? []).length === 0 && (iso[0].IpPermissionsEgress ?? []).length === 0;
  const passed = empty && enis.length > 0 && groups.every((g) => g.length === 1 && g[0] === iso[0].GroupId);
  return check(name, passed, enis.map((e, i) => `${e.NetworkInterfaceId}=${groups[i].join(',')}`).join(' ') || 'no ENI');
}

/** The twin's ENIs as they are now, and the security groups they are on and had (filters: nothing missing is an error). */
async function readTwinNetwork(ec2: EC2Client, twin: Pick<TwinWorld, 'networkInterfaceIds' | 'originalGroupsByEni'>) {
  const enis =
    (
      await ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: twin.networkInterfaceIds }] }),
      )
    ).NetworkInterfaces ?? [];
  const groupIds = [
    ...new Set([...enis.flatMap((e) => (e.Groups ?? []).map((g) => g.GroupId!)), ...Object.values(twin.originalGroupsByEni).flat()]),
  ];
  const groups = groupIds.length
    ? ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: groupIds }] }))).SecurityGroups ?? [])
    : [];
  return { enis, groups };
}

/**
 * No ENI is more open than before the run (issue 10): for every ENI of the twin, the rules of the groups
 * it is on now grant nothing that the rules of its original groups did not (each (direction, protocol,
 * ports, source) tuple, {@link ruleTuples}). An ENI on the isolation group passes (it grants nothing), on
 * its own groups passes, on the allow-all untrack group fails. Read back from the emulator.
 */
export async function networkNotWiderChecks(
  ec2: EC2Client,
  twin: Pick<TwinWorld, 'networkInterfaceIds' | 'originalGroupsByEni'>,
): Promise<Check[]> {
  const { enis, groups } = await readTwinNetwork(ec2, twin);
  const tuples = new Map(groups.map((g) => [g.GroupId!, ruleTuples(g)]));
  const granted = (ids: string[]) => new Set(ids.flatMap((id) => tuples.get(id) ?? [`(group ${id} not found)`]));
  return twin.networkInterfaceIds.map((id) => {
    const eni = enis.find((e) => e.NetworkInterfaceId === id);
    if (!eni) return check(`eni-not-wider:${id}`, true, 'ENI no longer exists');
    const now = (eni.Groups ?? []).map((g) => g.GroupId!);
    const before = granted(twin.originalGroupsByEni[id] ?? []);
    const wider = [...granted(now)].filter((t) => !before.has(t));
    return check(
      `eni-not-wider:${id}`,
      wider.length === 0,
      `on ${now.join(',') || '(no group)'}${wider.length ? `; grants what its own groups did not: ${wider.slice(0, 4).join(' ')}` : ''}`,
    );
  });
}

/**
 * Where each ENI of the twin ended, read back (`eni-isolated:<eni>` or `eni-unchanged:<eni>`): `isolated` is on
 * one group alone, one of Firebreak's isolation groups of its VPC (tagged, no rules); `unchanged` is on exactly the
 * groups it had before the run. A drill states which a failure must leave (e.g. a denial between the two moves:
 * isolated by the failure path; a denial of every move: unchanged).
 */
export async function eniPlacementChecks(
  ec2: EC2Client,
  twin: Pick<TwinWorld, 'networkInterfaceIds' | 'originalGroupsByEni' | 'vpcId'>,
  want: 'isolated' | 'unchanged',
): Promise<Check[]> {
  const { enis, groups } = await readTwinNetwork(ec2, twin);
  return twin.networkInterfaceIds.map((id) => {
    const eni = enis.find((e) => e.NetworkInterfaceId === id);
    const now = (eni?.Groups ?? []).map((g) => g.GroupId!);
    const original = twin.originalGroupsByEni[id] ?? [];
    const passed =
      !!eni &&
      (want === 'unchanged'
        ? now.length === original.length && now.every((g) => original.includes(g))
        : now.length === 1 && groups.some((g) => g.GroupId === now[0] && isFirebreakGroup(g, 'isolation', twin.vpcId)));
    return check(
      `eni-${want}:${id}`,
      passed,
      eni ? `on ${now.join(',') || '(no group)'}; its own groups: ${original.join(',')}` : 'ENI no longer exists',
    );
  });
}

/**
 * Verifies that an instance was left exactly as built (nothing contained): its ENIs keep their original groups,
 * termination protection is off, no snapshot of its volumes is tagged for a case, and its instance profile is still
 * associated. The four reads are made together.
 */
export async function verifyUntouched(env: LocalEnvironment, twin: TwinWorld): Promise<Check[]> {
  const ec2 = env.member.ec2;
  const [described, term, snaps, profiles] = await Promise.all([
    ec2.send(new DescribeInstancesCommand({ InstanceIds: [twin.instanceId] })),
    ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: twin.instanceId, Attribute: 'disableApiTermination' })),
    ec2
      .send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: [TAG.caseId] }] }))
      .then((out) => out.Snapshots ?? []),
    ec2
      .send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [twin.instanceId] }] }))
      .then((out) => out.IamInstanceProfileAssociations ?? []),
  ]);
  const instance = described.Reservations?.[0]?.Instances?.[0];
  const checks: Check[] = [];
  const same = (instance?.NetworkInterfaces ?? []).every((e) => {
    const want = twin.originalGroupsByEni[e.NetworkInterfaceId!] ?? [];
    const have = (e.Groups ?? []).map((g) => g.GroupId!);
    return want.length === have.length && want.every((g) => have.includes(g));
  });
  checks.push(
    check(
      'security-groups-unchanged',
      !!instance && same,
      (instance?.NetworkInterfaces ?? [])
        .map((e) => `${e.NetworkInterfaceId}:${(e.Groups ?? []).map((g) => g.GroupId).join('+')}`)
        .join(' '),
    ),
  );
  checks.push(
    check(
      'termination-protection-unchanged',
      term.DisableApiTermination?.Value === false,
      `DisableApiTermination=${term.DisableApiTermination?.Value}`,
    ),
  );
  const mine = snaps.filter((s) => twin.volumeIds.includes(s.VolumeId ?? ''));
  checks.push(check('no-evidence-snapshots', mine.length === 0, `${mine.length} snapshot(s) of its volumes`));
  checks.push(
    check(
      'instance-profile-kept',
      profiles.some((p) => p.State === 'associated'),
      `${profiles.length} association(s)`,
    ),
  );
  return checks;
}

/** Counts what containment creates, to prove a re-run created nothing. */
export async function countCreatedResources(env: LocalEnvironment): Promise<Record<string, number>> {
  const [sgs, memberSnaps, securitySnaps, objects] = await Promise.all([
    env.member.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: `tag-key`, Values: [TAG.role] }] })),
    env.member.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: [TAG.caseId] }] })),
    env.security.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: [TAG.caseId] }] })),
    countObjectVersions(env),
  ]);
  return {
    securityGroups: sgs.SecurityGroups?.length ?? 0,
    memberSnapshots: memberSnaps.Snapshots?.length ?? 0,
    securitySnapshots: securitySnaps.Snapshots?.length ?? 0,
    evidenceObjectVersions: objects,
  };
}

async function countObjectVersions(env: LocalEnvironment): Promise<number> {
  let n = 0;
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    // Case evidence only: the events Normalize stores as received (received-events/) are a record of each delivery,
    // like the ledger's timeline, and a repeat of a finding is a new event (lib/runtime/evidence/vault.ts storeReceivedEvent).
    const out = await env.security.s3.send(
      new ListObjectVersionsCommand({ Bucket: env.evidenceBucket, Prefix: 'cases/', KeyMarker: keyMarker, VersionIdMarker: versionMarker }),
    );
    n += out.Versions?.length ?? 0;
    keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
    versionMarker = out.IsTruncated ? out.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return n;
}

async function readBody(env: LocalEnvironment, bucket: string, key: string): Promise<Buffer> {
  const out = await env.security.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/**
 * Verifies credential revocation from the emulator's state (issue #3): for an IAM user, the
 * finding's key Inactive (or deleted before containment), the user's other key still Active, and the
 * deny-all policy on the user;
 * for a role, the session-revocation policy with a cutoff within `maxSkewSeconds` of `runStartedAt`.
 */
export async function verifyRevocationState(
  env: LocalEnvironment,
  twin: CredentialTwin,
  runStartedAt: number,
  maxSkewSeconds = 30,
): Promise<Check[]> {
  const iam = env.member.iam;
  const checks: Check[] = [];
  if (twin.userName) {
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: twin.userName }))).AccessKeyMetadata ?? [];
    const status = (id?: string) => keys.find((k) => k.AccessKeyId === id)?.Status;
    // A finding's key deleted before containment (a drill's delete-resource access-key) cannot be deactivated:
    // what counts is that it is gone and that the deny-all policy (below) holds the user.
    if (status(twin.accessKeyId) === undefined)
      checks.push(check('finding-key-deleted', true, `${twin.accessKeyId}: no longer a key of ${twin.userName}`));
    else
      checks.push(
        check('finding-key-inactive', status(twin.accessKeyId) === 'Inactive', `${twin.accessKeyId}: ${status(twin.accessKeyId)}`),
      );
    checks.push(
      check(
        'other-key-still-active',
        status(twin.otherAccessKeyId) === 'Active',
        `${twin.otherAccessKeyId}: ${status(twin.otherAccessKeyId)}`,
      ),
    );
    const attached = ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: twin.userName }))).AttachedPolicies ?? []).map(
      (p) => p.PolicyArn!,
    );
    checks.push(check('deny-all-policy-on-user', attached.some(isAwsDenyAllPolicyArn), `attached: ${attached.join(', ') || 'none'}`));
  }
  if (twin.roleName) {
    const policy = await iam
      .send(new GetRolePolicyCommand({ RoleName: twin.roleName, PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME }))
      .catch(() => undefined);
    const doc = policy?.PolicyDocument
      ? (parsePolicyDocument(policy.PolicyDocument) as {
          Statement?: { Effect?: string; Condition?: { DateLessThan?: Record<string, string> } }[];
        })
      : undefined;
    const cutoff = doc?.Statement?.[0]?.Condition?.DateLessThan?.['aws:TokenIssueTime'];
    const skew = cutoff ? Math.abs(Date.parse(cutoff) - runStartedAt) / 1000 : Infinity;
    checks.push(
      check(
        'session-revocation-policy-on-role',
        doc?.Statement?.[0]?.Effect === 'Deny' && !!cutoff,
        cutoff ? `cutoff ${cutoff}` : 'absent',
      ),
    );
    checks.push(
      check(
        'session-cutoff-is-time-of-action',
        skew <= maxSkewSeconds,
        `cutoff ${cutoff ?? '-'} is ${Number.isFinite(skew) ? skew.toFixed(1) : '∞'} s from the run`,
      ),
    );
  }
  return checks;
}

/**
 * A case item and its timeline, read straight from the ledger table (the read-back of drills and replays).
 * @returns `item` undefined when the case does not exist; `timeline` in key order (oldest first).
 */
export async function readCaseRecord(
  env: LocalEnvironment,
  caseId: string,
): Promise<{ item?: Record<string, NativeAttributeValue>; timeline: Record<string, NativeAttributeValue>[] }> {
  const { ddb } = env.security;
  const item = (await ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } }))).Item;
  const timeline =
    (
      await ddb.send(
        new QueryCommand({
          TableName: env.ledgerTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :t)',
          ExpressionAttributeValues: { ':pk': `CASE#${caseId}`, ':t': 'TL#' },
        }),
      )
    ).Items ?? [];
  return { item, timeline };
}
