import { Address, DescribeNetworkInterfacesCommand, EC2Client, Instance, NetworkInterface } from '@aws-sdk/client-ec2';
import '../clients/ec2';

/** One ENI as Firebreak acts on it. */
export interface AttachedEni {
  readonly networkInterfaceId: string;
  readonly vpcId?: string;
  /** Its security group IDs, as read. */
  readonly groups: string[];
}

/** The ENIs of an instance, read from two sides, and the finding's. */
export interface EniSurvey {
  /** The union of every source, with the freshest groups read (DescribeNetworkInterfaces wins). */
  readonly enis: AttachedEni[];
  /** ENI IDs in the instance's own list (DescribeInstances `NetworkInterfaces`). */
  readonly fromInstance: string[];
  /** ENI IDs attached to the instance (DescribeNetworkInterfaces, filter `attachment.instance-id`). */
  readonly fromAttachment: string[];
  /** ENI IDs the finding names (`instanceDetails.networkInterfaces`) that are attached to the instance now. */
  readonly fromFinding: string[];
}

/** DescribeNetworkInterfaces with one filter, every page. */
export async function describeEnis(ec2: EC2Client, filter: { Name: string; Values: string[] }): Promise<NetworkInterface[]> {
  const out: NetworkInterface[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [filter], NextToken }));
    out.push(...(page.NetworkInterfaces ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/**
 * Reads the ENIs of an instance from two sides, because one read can miss one (EC2 is eventually
 * consistent, and a containment that trusts one list can leave an ENI open): the instance's own list
 * (DescribeInstances), the ENIs whose `attachment.instance-id` is the instance (DescribeNetworkInterfaces,
 * "DescribeNetworkInterfaces", Amazon EC2 API Reference), and the ENIs the finding names
 * (`detail.resource.instanceDetails.networkInterfaces[].networkInterfaceId`), kept when they are attached
 * to the instance now. Filters are used, not IDs, so that an ENI that no longer exists is absent rather
 * than an error.
 * @param ec2 - EC2 client in the member account.
 * @param instance - the instance as DescribeInstances returned it.
 * @param findingEniIds - the ENI IDs the finding names (may be empty).
 * @returns the union and each side's IDs.
 */
export async function surveyEnis(ec2: EC2Client, instance: Instance, findingEniIds: readonly string[] = []): Promise<EniSurvey> {
  const instanceId = instance.InstanceId!;
  const [attached, named] = await Promise.all([
    describeEnis(ec2, { Name: 'attachment.instance-id', Values: [instanceId] }),
    findingEniIds.length ? describeEnis(ec2, { Name: 'network-interface-id', Values: [...findingEniIds] }) : Promise.resolve([]),
  ]);
  return mergeEniSurvey(instance, attached, named);
}

/** The union {@link surveyEnis} makes of what it read: the instance's list, the ENIs attached to it, the finding's (kept when attached). */
export function mergeEniSurvey(instance: Instance, attached: readonly NetworkInterface[], named: readonly NetworkInterface[]): EniSurvey {
  const instanceId = instance.InstanceId!;
  const byId = new Map<string, AttachedEni>();
  const add = (id: string | undefined, vpcId: string | undefined, groups: { GroupId?: string }[] | undefined) => {
    if (!id) return;
    byId.set(id, {
      networkInterfaceId: id,
      vpcId: vpcId ?? byId.get(id)?.vpcId,
      groups: (groups ?? []).map((g) => g.GroupId!).filter(Boolean),
    });
  };
  for (const n of instance.NetworkInterfaces ?? []) add(n.NetworkInterfaceId, n.VpcId, n.Groups);
  const namedAttached = named.filter((n) => n.Attachment?.InstanceId === instanceId);
  for (const n of [...attached, ...namedAttached]) add(n.NetworkInterfaceId, n.VpcId, n.Groups);
  return {
    enis: [...byId.values()],
    fromInstance: (instance.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId!).filter(Boolean),
    fromAttachment: attached.map((n) => n.NetworkInterfaceId!).filter(Boolean),
    fromFinding: namedAttached.map((n) => n.NetworkInterfaceId!).filter(Boolean),
  };
}

/**
 * The Elastic IP associations of ENIs as DescribeNetworkInterfaces returned them, one per association ID, in the shape
 * DescribeAddresses answers (`AllocationId`, `AssociationId`, `PublicIp`, `NetworkInterfaceId`, `PrivateIpAddress`):
 * an ENI's `Association` (its primary private address) and each `PrivateIpAddresses[].Association` carry the allocation
 * and association IDs of an Elastic IP ("NetworkInterfaceAssociation", Amazon EC2 API Reference: `allocationId`,
 * `associationId`, `publicIp`), so the ENI describe answers what DescribeAddresses would, without another call. A public
 * address that is not an Elastic IP (no association ID) is not one.
 * @param enis - the ENIs as described.
 * @returns the associations, each with the ENI and private address it is bound to.
 */
export function elasticIpsOf(enis: readonly NetworkInterface[]): Address[] {
  const byAssociation = new Map<string, Address>();
  for (const n of enis) {
    const bound = [
      { privateIp: n.PrivateIpAddress, association: n.Association },
      ...(n.PrivateIpAddresses ?? []).map((p) => ({ privateIp: p.PrivateIpAddress, association: p.Association })),
    ];
    for (const { privateIp, association } of bound) {
      if (!association?.AssociationId || byAssociation.has(association.AssociationId)) continue;
      byAssociation.set(association.AssociationId, {
        AllocationId: association.AllocationId,
        AssociationId: association.AssociationId,
        PublicIp: association.PublicIp,
        NetworkInterfaceId: n.NetworkInterfaceId,
        PrivateIpAddress: privateIp,
      });
    }
  }
  return [...byAssociation.values()];
}
