import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  CreateLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { AttachInstancesCommand, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateTargetGroupCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { randomBytes } from 'node:crypto';
import { hasAwsCode } from '../../runtime/aws-errors';
import type { GuardDutyEvent } from '../../core/incident/schema';
import type { HarnessClients } from './harness-clients';
import { InvalidInput } from '../../core/errors';

/** Extra resources a drill can ask the twin world to have around the instance. */
export interface TwinExtras {
  /** Put the instance in an Auto Scaling group. @default false */
  readonly autoScalingGroup?: boolean;
  /** Register the instance in an ELB target group. @default false */
  readonly targetGroup?: boolean;
  /**
   * ENIs attached to the instance beyond those the event names (a world fact, not a field of the
   * event): each in the first ENI's subnet with its security groups, at the next device indexes.
   * @default 0
   */
  readonly extraNetworkInterfaces?: number;
  /**
   * Which of the instance's two volumes are created encrypted (under the account's default EBS key), a world fact:
   * their evidence goes through the transit copy, the unencrypted ones' does not.
   * @default [] (both unencrypted)
   */
  readonly encryptedVolumes?: readonly ('root' | 'data')[];
}

/** The twin of an event's resources, built in the emulator's member account. */
export interface TwinWorld {
  readonly instanceId: string;
  readonly vpcId: string;
  /** ENI IDs in device-index order. */
  readonly networkInterfaceIds: string[];
  readonly volumeIds: string[];
  readonly instanceProfileArn: string;
  readonly autoScalingGroupName?: string;
  readonly targetGroupArn?: string;
  /** ID in the event → twin ID. */
  readonly idMap: Record<string, string>;
  /** ENI ID → its security groups at creation (what release must restore). */
  readonly originalGroupsByEni: Record<string, string[]>;
}

/**
 * Builds a twin of a GuardDuty EC2 finding's resources in the member account of the emulator,
 * since moto picks its own IDs (DESIGN.md §5): a VPC (with an IPv6 block when any ENI has IPv6),
 * one subnet per subnet in the event, the event's security groups, an instance profile, an
 * instance with a root and a data volume and the event's tags, one ENI per ENI in the event
 * (IPv6 where the event has it), and an Elastic IP per ENI that has a public IP.
 * Independent creates are sent together, in rounds of what each needs: first the network, the instance
 * profile, the image lookup and the Elastic IP allocations; then the instance; then its further ENIs (attached
 * one by one, in device-index order), each Elastic IP's association once its ENI exists, the Auto Scaling group
 * and the target group.
 * @param event - a validated GuardDuty finding event with `instanceDetails`.
 * @param member - harness clients of the member account.
 * @returns the twin's IDs and the ID map for remapping the event.
 */
export async function buildTwinWorld(event: GuardDutyEvent, member: HarnessClients, extras: TwinExtras = {}): Promise<TwinWorld> {
  const details = event.detail.resource.instanceDetails!;
  const enis = details.networkInterfaces;
  if (enis.length === 0) throw new InvalidInput('the event has no network interfaces to twin');
  const idMap: Record<string, string> = {};
  const [network, instanceProfileArn, image, eips] = await Promise.all([
    twinNetwork(member, details, idMap),
    // Not `firebreak-…`: a role of that name is one of Firebreak's own, which DenyInstanceCredentials never touches.
    twinInstanceProfile(member, details.iamInstanceProfile?.arn?.split('/').pop() ?? 'twin-instance-profile'),
    member.ec2
      .send(new DescribeImagesCommand({ Filters: [{ Name: 'root-device-type', Values: ['ebs'] }] }))
      .then((out) => out.Images?.find((i) => i.Platform !== 'Windows') ?? { ImageId: 'ami-12c6146b' }),
    Promise.all(enis.map((e) => (e.publicIp ? member.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' })) : undefined))),
  ]);
  const instance = await runTwinInstance(member, details, image.ImageId!, instanceProfileArn, idMap, extras.encryptedVolumes ?? []);
  const associate = (n: number, eniId: string) => {
    const eip = eips[n];
    if (!eip) return Promise.resolve();
    idMap[enis[n].publicIp!] = eip.PublicIp!;
    return member.ec2
      .send(new AssociateAddressCommand({ AllocationId: eip.AllocationId, NetworkInterfaceId: eniId }))
      .then(() => undefined);
  };
  const [{ networkInterfaceIds, originalGroupsByEni }, fleet, described] = await Promise.all([
    attachTwinInterfaces(member, details, instance, idMap, extras, associate),
    twinFleet(member, extras, {
      instanceId: instance.instanceId,
      imageId: image.ImageId!,
      vpcId: network.vpcId,
      subnetId: idMap[enis[0].subnetId ?? 'subnet-default'],
    }),
    member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance.instanceId] })),
  ]);
  return {
    instanceId: instance.instanceId,
    vpcId: network.vpcId,
    networkInterfaceIds,
    instanceProfileArn,
    volumeIds: (described.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings ?? []).map((b) => b.Ebs!.VolumeId!),
    ...fleet,
    idMap,
    originalGroupsByEni,
  };
}

type InstanceDetails = NonNullable<GuardDutyEvent['detail']['resource']['instanceDetails']>;

/**
 * The twin's network: a VPC (with an IPv6 block when any ENI has IPv6), one subnet per subnet in the event (in the
 * event's zone when it is in the clients' region), and the event's security groups, each allowing 443 from
 * anywhere; the subnets and the groups are created together once the VPC exists. Adds the event's IDs → the twin's
 * to `idMap`.
 */
async function twinNetwork(member: HarnessClients, details: InstanceDetails, idMap: Record<string, string>): Promise<{ vpcId: string }> {
  const enis = details.networkInterfaces;
  const ipv6 = enis.some((e) => e.ipv6Addresses.length > 0);
  // The clients' own region: the home region's, or the event's when the local world has it (replay.ts, inRegionOf).
  const region = await member.ec2.config.region();
  const az = details.availabilityZone?.startsWith(region) ? details.availabilityZone : `${region}a`;
  const vpc = (await member.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', AmazonProvidedIpv6CidrBlock: ipv6 }))).Vpc!;
  const vpcId = vpc.VpcId!;
  const v6Block = vpc.Ipv6CidrBlockAssociationSet?.[0]?.Ipv6CidrBlock;
  for (const e of enis) if (e.vpcId) idMap[e.vpcId] = vpcId;
  const subnetIds = [...new Set(enis.map((e) => e.subnetId ?? 'subnet-default'))];
  const groups = new Map<string, string>();
  for (const e of enis) for (const g of e.securityGroups) groups.set(g.groupId, g.groupName ?? g.groupId);
  const [subnets, groupIds] = await Promise.all([
    Promise.all(
      subnetIds.map((_, n) =>
        member.ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: `10.0.${n + 1}.0/24`,
            AvailabilityZone: az,
            Ipv6CidrBlock: ipv6 && v6Block ? ipv6Subnet(v6Block, n) : undefined,
          }),
        ),
      ),
    ),
    Promise.all([...groups].map(([id, name]) => twinSecurityGroup(member, vpcId, id, name, ipv6))),
  ]);
  subnetIds.forEach((id, n) => (idMap[id] = subnets[n].Subnet!.SubnetId!));
  [...groups.keys()].forEach((id, n) => (idMap[id] = groupIds[n]));
  return { vpcId };
}

/** A twin of one of the event's security groups: allows 443 from anywhere (IPv6 too when the twin has IPv6). @returns its ID */
async function twinSecurityGroup(member: HarnessClients, vpcId: string, id: string, name: string, ipv6: boolean): Promise<string> {
  const sg = await member.ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `${name}-${randomBytes(3).toString('hex')}`, Description: `twin of ${id}`, VpcId: vpcId }),
  );
  await member.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sg.GroupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }],
          Ipv6Ranges: ipv6 ? [{ CidrIpv6: '::/0' }] : undefined,
        },
      ],
    }),
  );
  return sg.GroupId!;
}

/**
 * The event's instance profile (by name) with a role EC2 may assume, the role and the profile created together;
 * one that exists already is reused. @returns its ARN
 */
async function twinInstanceProfile(member: HarnessClients, profileName: string): Promise<string> {
  const roleName = `${profileName}-role`;
  const [, profile] = await Promise.all([
    ignoreExists(
      member.iam.send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          }),
        }),
      ),
    ),
    member.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: profileName })).catch((err: unknown) => {
      if (!hasAwsCode(err, 'EntityAlreadyExists')) throw err;
      return undefined;
    }),
  ]);
  if (!profile) return `arn:aws:iam::${member.accountId}:instance-profile/${profileName}`;
  await member.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: profileName, RoleName: roleName }));
  return profile.InstanceProfile!.Arn!;
}

const groupsOf = (e: InstanceDetails['networkInterfaces'][number], idMap: Record<string, string>) =>
  e.securityGroups.map((g) => idMap[g.groupId]);
const subnetOf = (e: InstanceDetails['networkInterfaces'][number], idMap: Record<string, string>) => idMap[e.subnetId ?? 'subnet-default'];

/**
 * The twin instance: the event's type and tags (not `aws:` ones), a root and a data volume, shutdown behaviour
 * `terminate` (not the default: Preserve must change it), on the first ENI's subnet and groups.
 * @returns its ID and its primary ENI's
 */
async function runTwinInstance(
  member: HarnessClients,
  details: InstanceDetails,
  imageId: string,
  profileArn: string,
  idMap: Record<string, string>,
  encryptedVolumes: readonly ('root' | 'data')[],
): Promise<{ instanceId: string; primaryEni: string }> {
  const encrypted = (v: 'root' | 'data') => (encryptedVolumes.includes(v) ? { Encrypted: true } : {});
  const first = details.networkInterfaces[0];
  const tags = (details.tags ?? []).filter((t) => !t.key.startsWith('aws:')).map((t) => ({ Key: t.key, Value: t.value }));
  const run = await member.ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: (details.instanceType as never) ?? 't3.micro',
      SubnetId: subnetOf(first, idMap),
      SecurityGroupIds: groupsOf(first, idMap),
      Ipv6AddressCount: first.ipv6Addresses.length || undefined,
      IamInstanceProfile: { Arn: profileArn },
      InstanceInitiatedShutdownBehavior: 'terminate',
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, DeleteOnTermination: true, VolumeType: 'gp3', ...encrypted('root') } },
        { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20, DeleteOnTermination: true, VolumeType: 'gp3', ...encrypted('data') } },
      ],
      TagSpecifications: tags.length ? [{ ResourceType: 'instance', Tags: tags }] : undefined,
    }),
  );
  const instance = run.Instances![0];
  const instanceId = instance.InstanceId!;
  idMap[details.instanceId] = instanceId;
  const primaryEni = instance.NetworkInterfaces?.[0]?.NetworkInterfaceId ?? '';
  idMap[first.networkInterfaceId] = primaryEni;
  return { instanceId, primaryEni };
}

/**
 * The instance's further ENIs: one per further ENI in the event, then the extra ENIs the drill asks for, each created
 * and attached in turn at the next device index (so the instance lists them in the event's order); `associate(n, eni)`
 * is called for the event's `n`-th ENI as soon as it exists (its Elastic IP), while the next ones are attached.
 */
async function attachTwinInterfaces(
  member: HarnessClients,
  details: InstanceDetails,
  instance: { instanceId: string; primaryEni: string },
  idMap: Record<string, string>,
  extras: TwinExtras,
  associate: (n: number, eniId: string) => Promise<void>,
) {
  const enis = details.networkInterfaces;
  const first = enis[0];
  const networkInterfaceIds = [instance.primaryEni];
  const originalGroupsByEni: Record<string, string[]> = { [instance.primaryEni]: groupsOf(first, idMap) };
  const associations = [associate(0, instance.primaryEni)];
  const attach = async (subnetId: string, groups: string[], description: string, ipv6Count?: number) => {
    const eni = await member.ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: groups, Ipv6AddressCount: ipv6Count, Description: description }),
    );
    const eniId = eni.NetworkInterface!.NetworkInterfaceId!;
    await member.ec2.send(
      new AttachNetworkInterfaceCommand({
        InstanceId: instance.instanceId,
        NetworkInterfaceId: eniId,
        DeviceIndex: networkInterfaceIds.length,
      }),
    );
    networkInterfaceIds.push(eniId);
    originalGroupsByEni[eniId] = groups;
    return eniId;
  };
  for (const [n, e] of enis.entries()) {
    if (n === 0) continue;
    const eniId = await attach(
      subnetOf(e, idMap),
      groupsOf(e, idMap),
      `twin of ${e.networkInterfaceId}`,
      e.ipv6Addresses.length || undefined,
    );
    idMap[e.networkInterfaceId] = eniId;
    associations.push(associate(n, eniId));
  }
  for (let n = 0; n < (extras.extraNetworkInterfaces ?? 0); n++)
    await attach(subnetOf(first, idMap), groupsOf(first, idMap), `extra ENI ${n + 1} of the twin (not in the event)`);
  await Promise.all(associations);
  return { networkInterfaceIds, originalGroupsByEni };
}

/**
 * What the drill asks around the instance: an Auto Scaling group it is attached to, a target group it is registered
 * in (the two built together).
 */
async function twinFleet(
  member: HarnessClients,
  extras: TwinExtras,
  w: { instanceId: string; imageId: string; vpcId: string; subnetId: string },
): Promise<{ autoScalingGroupName?: string; targetGroupArn?: string }> {
  const [autoScalingGroupName, targetGroupArn] = await Promise.all([
    extras.autoScalingGroup ? twinAutoScalingGroup(member, w) : undefined,
    extras.targetGroup ? twinTargetGroup(member, w) : undefined,
  ]);
  return { autoScalingGroupName, targetGroupArn };
}

/** An Auto Scaling group (of a launch template of the image) holding the instance, with exactly its capacity. @returns its name */
async function twinAutoScalingGroup(member: HarnessClients, w: { instanceId: string; imageId: string; subnetId: string }): Promise<string> {
  const name = `twin-asg-${randomBytes(3).toString('hex')}`;
  const lt = await member.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${name}-lt`,
      LaunchTemplateData: { ImageId: w.imageId, InstanceType: 't3.micro' },
    }),
  );
  await member.autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 0,
      LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId, Version: '$Latest' },
      VPCZoneIdentifier: w.subnetId,
    }),
  );
  await member.autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: name, InstanceIds: [w.instanceId] }));
  return name;
}

/** An ELB target group in the VPC with the instance registered. @returns its ARN */
async function twinTargetGroup(member: HarnessClients, w: { instanceId: string; vpcId: string }): Promise<string> {
  const tg = await member.elbv2.send(
    new CreateTargetGroupCommand({
      Name: `twin-tg-${randomBytes(3).toString('hex')}`,
      Protocol: 'HTTP',
      Port: 80,
      VpcId: w.vpcId,
      TargetType: 'instance',
    }),
  );
  const arn = tg.TargetGroups![0].TargetGroupArn!;
  await member.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: w.instanceId, Port: 80 }] }));
  return arn;
}

async function ignoreExists(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!hasAwsCode(err, 'EntityAlreadyExists')) throw err;
  }
}

/**
 * Replaces every ID of the event that has a twin with the twin's ID, everywhere in the event.
 * @returns a new event object.
 */
export function remapEvent<T>(event: T, idMap: Record<string, string>): T {
  let text = JSON.stringify(event);
  for (const [from, to] of Object.entries(idMap).sort(([a], [b]) => b.length - a.length)) {
    text = text.split(from).join(to);
  }
  return JSON.parse(text) as T;
}

/** The `n`-th /64 inside an IPv6 block such as `2600:1f18:4b2:7c00::/56`. */
export function ipv6Subnet(block: string, n: number): string {
  const [addr] = block.split('/');
  const [head, tail = ''] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => BigInt(parseInt(g, 16)));
  let value = groups.reduce((acc, g) => (acc << 16n) | g, 0n);
  value += BigInt(n) << 64n;
  const out: string[] = [];
  for (let i = 7; i >= 0; i--) out.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return `${out.slice(0, 4).join(':')}::/64`;
}
