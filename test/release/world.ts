import {
  AttachInstancesCommand,
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  CreateLaunchTemplateCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { randomBytes } from 'node:crypto';
import type { IsolatePriorState } from '../../lib/runtime/ec2/isolate';
import { ensureInstanceContained } from '../../lib/runtime/ec2/contain';
import type { PreservePriorState } from '../../lib/runtime/ec2/preserve';
import type { ApiCallRecord } from '../../lib/runtime/telemetry';
import { subscribeApiCalls } from '../../lib/runtime/telemetry';
import { instrumentClient } from '../../lib/runtime/clients';
import { LOCAL_MEMBER_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients, HarnessClients } from '../../lib/harness/local/harness-clients';

/**
 * A world for the release tests, built in the emulator's member account with the harness's own
 * (uninstrumented) clients: an instance with two ENIs (primary on two groups, secondary on a third),
 * an instance profile, an Elastic IP on the secondary ENI, a root volume deleted on termination and a
 * data volume kept, shutdown behaviour `terminate`, an Auto Scaling group, a target group (port 8080),
 * and a tag of its owner. The values differ from what containment sets, so a release that did
 * nothing would fail the read-back.
 */
export interface World {
  readonly instanceId: string;
  readonly vpcId: string;
  readonly primaryEni: string;
  readonly secondaryEni: string;
  readonly groups: { readonly web: string; readonly app: string; readonly admin: string };
  readonly profileArn: string;
  /** Another instance profile, never associated by the world. */
  readonly otherProfileArn: string;
  readonly allocationId: string;
  readonly secondaryPrivateIp: string;
  readonly autoScalingGroup: string;
  readonly targetGroupArn: string;
}

/** Clients for code under test: same emulator account, instrumented so their calls are counted. */
export interface MemberDeps {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly iam: IAMClient;
}

/** Builds instrumented member-account clients (calls reach {@link subscribeApiCalls}). */
export function instrumentedMember(endpoint: string): MemberDeps {
  const c = harnessClients(endpoint, LOCAL_MEMBER_ACCOUNT);
  instrumentClient(c.ec2, 'EC2', LOCAL_MEMBER_ACCOUNT);
  instrumentClient(c.autoScaling, 'AutoScaling', LOCAL_MEMBER_ACCOUNT);
  instrumentClient(c.elbv2, 'ElasticLoadBalancingV2', LOCAL_MEMBER_ACCOUNT);
  instrumentClient(c.iam, 'IAM', LOCAL_MEMBER_ACCOUNT);
  return { ec2: c.ec2, autoScaling: c.autoScaling, elbv2: c.elbv2, iam: c.iam };
}

/** Runs `fn` and returns its result (or error) with every API call made meanwhile. */
export async function recordCalls<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; calls: ApiCallRecord[] }> {
  const calls: ApiCallRecord[] = [];
  const stop = subscribeApiCalls((r) => calls.push(r));
  try {
    return { result: await fn(), calls };
  } catch (error) {
    return { error, calls };
  } finally {
    stop();
  }
}

const suffix = () => randomBytes(3).toString('hex');

async function createProfile(h: HarnessClients, name: string): Promise<string> {
  await h.iam.send(
    new CreateRoleCommand({
      RoleName: `${name}-role`,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  const p = await h.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
  await h.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: `${name}-role` }));
  return p.InstanceProfile!.Arn!;
}

/** Builds the world (see {@link World}). */
export async function buildWorld(h: HarnessClients): Promise<World> {
  const id = suffix();
  const az = 'us-east-1a';
  const vpcId = (await h.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (await h.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: az }))).Subnet!
    .SubnetId!;
  const sg = async (name: string) =>
    (await h.ec2.send(new CreateSecurityGroupCommand({ GroupName: `${name}-${id}`, Description: name, VpcId: vpcId }))).GroupId!;
  const groups = { web: await sg('web'), app: await sg('app'), admin: await sg('admin') };
  const profileArn = await createProfile(h, `release-profile-${id}`);
  const otherProfileArn = await createProfile(h, `other-profile-${id}`);

  const image = (await h.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'root-device-type', Values: ['ebs'] }] }))).Images?.find(
    (i) => i.Platform !== 'Windows',
  );
  const run = await h.ec2.send(
    new RunInstancesCommand({
      ImageId: image?.ImageId ?? 'ami-12c6146b',
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
      SubnetId: subnetId,
      SecurityGroupIds: [groups.web, groups.app],
      IamInstanceProfile: { Arn: profileArn },
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, DeleteOnTermination: true, VolumeType: 'gp3' } },
        { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20, DeleteOnTermination: false, VolumeType: 'gp3' } },
      ],
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Owner', Value: 'team-release' }] }],
    }),
  );
  const instance = run.Instances![0];
  const instanceId = instance.InstanceId!;
  const primaryEni = instance.NetworkInterfaces![0].NetworkInterfaceId!;
  // The Attribute/Value form: moto ignores the InstanceInitiatedShutdownBehavior structure.
  await h.ec2.send(
    new ModifyInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior', Value: 'terminate' }),
  );

  const eni = (
    await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [groups.admin], Description: 'secondary' }))
  ).NetworkInterface!;
  const secondaryEni = eni.NetworkInterfaceId!;
  const secondaryPrivateIp = eni.PrivateIpAddress!;
  await h.ec2.send(new AttachNetworkInterfaceCommand({ InstanceId: instanceId, NetworkInterfaceId: secondaryEni, DeviceIndex: 1 }));
  const eip = await h.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  await h.ec2.send(
    new AssociateAddressCommand({ AllocationId: eip.AllocationId, NetworkInterfaceId: secondaryEni, PrivateIpAddress: secondaryPrivateIp }),
  );

  const autoScalingGroup = `release-asg-${id}`;
  const lt = await h.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${autoScalingGroup}-lt`,
      LaunchTemplateData: { ImageId: image?.ImageId ?? 'ami-12c6146b', InstanceType: 't3.micro' },
    }),
  );
  await h.autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: autoScalingGroup,
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 0,
      LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId, Version: '$Latest' },
      VPCZoneIdentifier: subnetId,
    }),
  );
  await h.autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: autoScalingGroup, InstanceIds: [instanceId] }));

  const tg = await h.elbv2.send(
    new CreateTargetGroupCommand({ Name: `release-tg-${id}`, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }),
  );
  const targetGroupArn = tg.TargetGroups![0].TargetGroupArn!;
  await h.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: instanceId, Port: 8080 }] }));

  return {
    instanceId,
    vpcId,
    primaryEni,
    secondaryEni,
    groups,
    profileArn,
    otherProfileArn,
    allocationId: eip.AllocationId!,
    secondaryPrivateIp,
    autoScalingGroup,
    targetGroupArn,
  };
}

/**
 * Contains the world's instance with the real Contain step's logic (`ensureInstanceContained`), its prior state kept in
 * memory instead of the ledger, returning the prior states it recorded.
 */
export async function contain(
  world: World,
  deps: MemberDeps,
  caseId: string,
): Promise<{ preserve: PreservePriorState; isolate: IsolatePriorState }> {
  const contained = await ensureInstanceContained(
    { instanceId: world.instanceId, caseId },
    {
      ...deps,
      recordPriorState: async (prior) => prior,
      recordGroups: async () => undefined,
      knownFirebreakGroupIds: async () => [],
    },
  );
  return { preserve: contained.preserve.prior, isolate: contained.isolate.prior };
}

/** Snapshot of a data volume tagged with the case, as the evidence steps would tag it. */
export async function caseSnapshot(h: HarnessClients, world: World, caseId: string): Promise<string> {
  const instance = (await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [world.instanceId] }))).Reservations![0].Instances![0];
  const volumeId = instance.BlockDeviceMappings!.find((b) => b.DeviceName === '/dev/sdf')!.Ebs!.VolumeId!;
  const snap = await h.ec2.send(
    new CreateSnapshotCommand({
      VolumeId: volumeId,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'firebreak:case-id', Value: caseId }] }],
    }),
  );
  return snap.SnapshotId!;
}

/** Everything release restores, read back with the harness's own SDK calls. */
export async function readState(h: HarnessClients, world: World) {
  const { instanceId } = world;
  const instance = (await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances![0];
  const [termination, shutdown, profiles, addresses, asgInstances, asg, health] = await Promise.all([
    h.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' })),
    h.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' })),
    h.ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] })),
    h.ec2.send(new DescribeAddressesCommand({ AllocationIds: [world.allocationId] })).catch(() => ({ Addresses: [] })),
    h.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
    h.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [world.autoScalingGroup] })),
    h.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.targetGroupArn })),
  ]);
  const group = asg.AutoScalingGroups?.[0];
  const address = addresses.Addresses?.[0];
  return {
    /** ENI ID → its groups, sorted. */
    groupsByEni: Object.fromEntries(
      (instance.NetworkInterfaces ?? []).map((n) => [n.NetworkInterfaceId!, (n.Groups ?? []).map((g) => g.GroupId!).sort()]),
    ),
    profiles: (profiles.IamInstanceProfileAssociations ?? []).filter((a) => a.State === 'associated').map((a) => a.IamInstanceProfile?.Arn),
    /** Where the world's Elastic IP is associated (undefined: not associated, or released). */
    eip: address?.AssociationId ? { networkInterfaceId: address.NetworkInterfaceId, privateIp: address.PrivateIpAddress } : undefined,
    terminationProtection: termination.DisableApiTermination?.Value,
    shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value,
    deleteOnTermination: Object.fromEntries((instance.BlockDeviceMappings ?? []).map((b) => [b.DeviceName!, b.Ebs?.DeleteOnTermination])),
    asgMembership: (asgInstances.AutoScalingInstances ?? []).map((i) => i.AutoScalingGroupName),
    asgDesired: group?.DesiredCapacity,
    asgInstances: (group?.Instances ?? []).map((i) => i.InstanceId!).sort(),
    targets: (health.TargetHealthDescriptions ?? []).map((d) => ({ id: d.Target?.Id, port: d.Target?.Port })),
    tags: Object.fromEntries((instance.Tags ?? []).filter((t) => !t.Key!.startsWith('aws:')).map((t) => [t.Key!, t.Value!])),
  };
}

/** IDs of Firebreak's groups in the world's VPC. */
export async function firebreakGroups(h: HarnessClients, world: World): Promise<Record<string, string>> {
  const out = await h.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [world.vpcId] }] }));
  return Object.fromEntries(
    (out.SecurityGroups ?? []).filter((g) => g.GroupName!.startsWith('firebreak-')).map((g) => [g.GroupName!, g.GroupId!]),
  );
}

/** Mutating calls among `calls`, by operation. */
export function mutating(calls: readonly ApiCallRecord[]): string[] {
  return calls.filter((c) => c.mutating).map((c) => c.operation);
}
