import type { GuardDutyEvent } from '../../core/incident/schema';
import { buildCredentialTwin, CredentialTwin } from './credential-twin';
import type { HarnessClients } from './harness-clients';
import { buildTwinWorld, TwinExtras, TwinWorld } from './twin';

/** A resource of `detail.service.detection.sequence.resources` as the twins read it ("ResourceV2", GuardDuty API Reference). */
interface SequenceResource {
  readonly uid?: string;
  readonly resourceType?: string;
  readonly data?: {
    readonly accessKey?: { readonly principalId?: string; readonly userName?: string; readonly userType?: string };
    readonly ec2Instance?: {
      readonly instanceType?: string;
      readonly availabilityZone?: string;
      readonly ec2NetworkInterfaceUids?: string[];
    };
    readonly ec2NetworkInterface?: {
      readonly subNetId?: string;
      readonly vpcId?: string;
      readonly securityGroups?: { groupId: string; groupName?: string }[];
      readonly privateIpAddresses?: { privateIpAddress?: string }[];
    };
  };
}

/** The twins of an attack sequence's resources: its first IAM-user access key and its first instance. */
export interface SequenceTwins {
  readonly twin?: TwinWorld;
  readonly credentialTwin?: CredentialTwin;
}

function sequenceResources(event: GuardDutyEvent): SequenceResource[] {
  const sequence = event.detail.service.detection?.sequence as { resources?: unknown } | undefined;
  return Array.isArray(sequence?.resources) ? (sequence.resources as SequenceResource[]) : [];
}

/** The instance details of an EC2_INSTANCE resource, with its network interface from the sequence's EC2_NETWORK_INTERFACE resource. */
function instanceDetailsOf(instance: SequenceResource, resources: readonly SequenceResource[]) {
  const eniId = instance.data?.ec2Instance?.ec2NetworkInterfaceUids?.[0] ?? 'eni-0000000000000000f';
  const eni = resources.find((r) => r.resourceType === 'EC2_NETWORK_INTERFACE' && r.uid === eniId)?.data?.ec2NetworkInterface;
  return {
    instanceId: instance.uid!.split('/').pop()!,
    instanceType: instance.data?.ec2Instance?.instanceType,
    availabilityZone: instance.data?.ec2Instance?.availabilityZone,
    networkInterfaces: [
      {
        networkInterfaceId: eniId,
        subnetId: eni?.subNetId,
        vpcId: eni?.vpcId,
        privateIpAddress: eni?.privateIpAddresses?.[0]?.privateIpAddress,
        ipv6Addresses: [],
        securityGroups: eni?.securityGroups ?? [],
      },
    ],
  };
}

/**
 * Twins built beside given ones (an update's instance beside the first finding's key), keyed by the given twin, so that
 * a later replay given that twin again (a drill's `sameWorld` keeps the first injection's world) finds the same ones.
 */
const builtBeside = new WeakMap<object, SequenceTwins>();

/**
 * Builds, in the emulator's member account, twins of the resources an attack sequence names that Firebreak chains into
 * a playbook: the first ACCESS_KEY of an IAM user (a user with two keys, as for an AccessKey finding) and the first
 * EC2_INSTANCE (a twin world, its network from the sequence's EC2_NETWORK_INTERFACE resource). Their ID maps put the
 * event on them. Other resources (and a second key or instance) stay as they are: the chained runs for them find nothing.
 * @param have - twins an earlier replay built (a drill's `sameWorld`: the update of a sequence that names an instance
 *   too): each given one is kept, and only the missing ones are built (once per given twin: a replay given it again
 *   gets the same ones).
 * @returns the twins, each absent when the sequence names no such resource.
 */
export async function buildSequenceTwins(
  event: GuardDutyEvent,
  member: HarnessClients,
  extras?: TwinExtras,
  have: SequenceTwins = {},
): Promise<SequenceTwins> {
  const resources = sequenceResources(event);
  const key = resources.find((r) => r.resourceType === 'ACCESS_KEY' && r.uid && r.data?.accessKey?.userType === 'IAMUser');
  const instance = resources.find((r) => r.resourceType === 'EC2_INSTANCE' && r.uid);
  const asFinding = (resource: Record<string, unknown>) =>
    ({ ...event, detail: { ...event.detail, resource: { resourceType: 'twin', ...resource } } }) as unknown as GuardDutyEvent;
  const anchor = have.credentialTwin ?? have.twin;
  const earlier = anchor ? builtBeside.get(anchor) : undefined;
  const credentialTwin =
    have.credentialTwin ??
    earlier?.credentialTwin ??
    (key
      ? await buildCredentialTwin(
          asFinding({ accessKeyDetails: { accessKeyId: key.uid!, ...key.data!.accessKey, userType: 'IAMUser' } }),
          member,
        )
      : undefined);
  const twin =
    have.twin ??
    earlier?.twin ??
    (instance ? await buildTwinWorld(asFinding({ instanceDetails: instanceDetailsOf(instance, resources) }), member, extras) : undefined);
  if (anchor) builtBeside.set(anchor, { twin, credentialTwin });
  return { twin, credentialTwin };
}
