import {
  Address,
  AssociateAddressCommand,
  AssociateIamInstanceProfileCommand,
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  Instance,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceIamInstanceProfileAssociationCommand,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import type { IsolatePriorState } from '../ec2/isolate';
import { isolationGroupName, untrackGroupName } from '../../core/tags';
import { hasAwsCode } from '../aws-errors';
import { emptyAssessment, ReleaseAssessment, sameSet } from './plan';
import '../clients/ec2';
import '../clients/iam';

/**
 * Assesses the security groups of every ENI of the instance against `isolate.securityGroupsByEni`
 * (read only). An ENI whose groups differ gets one `ModifyNetworkInterfaceAttribute` (per ENI,
 * since `ModifyInstanceAttribute --groups` fails on instances with several ENIs) that sets exactly
 * the recorded list.
 *
 * Blockers (the release must not start):
 * - a recorded group no longer exists (DescribeSecurityGroups with a `group-id` filter, so that a
 *   missing group is seen by its absence, not as an error);
 * - an attached ENI is on a Firebreak group (one of `firebreakGroupIds`, the groups the case recorded; without
 *   them, a group named exactly `firebreak-isolation-<vpc>` / `firebreak-untrack-<vpc>`) and has no recorded groups: Isolate records `{}` when its first look already found Firebreak's
 *   groups, so there is nothing to return to.
 *
 * A recorded ENI that is no longer attached to the instance is reported as not restored (it is left
 * alone); an attached ENI that was not recorded and is not on a Firebreak group is left as it is.
 * @param instance - the instance as DescribeInstances returned it.
 * @param isolate - the prior state recorded by Isolate.
 * @param ec2 - EC2 client in the member account.
 * @param firebreakGroupIds - the IDs of the groups Isolate recorded on the case.
 * @returns the assessment (changes in phase 1).
 */
export async function assessSecurityGroups(
  instance: Instance,
  isolate: IsolatePriorState,
  ec2: EC2Client,
  firebreakGroupIds?: readonly string[],
): Promise<ReleaseAssessment> {
  const out = emptyAssessment();
  const recorded = isolate.securityGroupsByEni ?? {};
  const enis = (instance.NetworkInterfaces ?? []).filter((n) => n.NetworkInterfaceId);
  const attached = new Set(enis.map((n) => n.NetworkInterfaceId!));
  const toRestore: { eniId: string; current: string[]; wanted: string[] }[] = [];

  for (const eni of enis) {
    const eniId = eni.NetworkInterfaceId!;
    const current = (eni.Groups ?? []).map((g) => g.GroupId!);
    // Firebreak's groups are those the case recorded (by ID); a name can be anyone's.
    const baseNames = new Set([isolationGroupName(eni.VpcId ?? ''), untrackGroupName(eni.VpcId ?? '')]);
    const onFirebreakGroup = (eni.Groups ?? []).some((g) =>
      firebreakGroupIds ? firebreakGroupIds.includes(g.GroupId ?? '') : baseNames.has(g.GroupName ?? ''),
    );
    const wanted = recorded[eniId];
    if (!wanted) {
      if (onFirebreakGroup)
        out.blockers.push(`${eniId}: on Firebreak's isolation group and no security groups were recorded for it at containment`);
      else
        out.unchanged.push({
          item: 'security-groups',
          target: eniId,
          detail: `not recorded at containment; left as it is (${current.join(',')})`,
        });
      continue;
    }
    if (wanted.length === 0) {
      out.blockers.push(`${eniId}: the recorded security group list is empty`);
      continue;
    }
    if (sameSet(current, wanted)) out.unchanged.push({ item: 'security-groups', target: eniId, detail: wanted.join(',') });
    else toRestore.push({ eniId, current, wanted });
  }
  for (const eniId of Object.keys(recorded)) {
    if (!attached.has(eniId)) {
      out.notRestored.push({
        item: 'security-groups',
        target: eniId,
        detail: `no longer attached to ${instance.InstanceId}; left alone (recorded: ${recorded[eniId].join(',')})`,
      });
    }
  }

  const needed = [...new Set(toRestore.flatMap((r) => r.wanted))];
  const found = needed.length ? await describeExistingGroups(ec2, needed) : new Set<string>();
  for (const r of toRestore) {
    const missing = r.wanted.filter((g) => !found.has(g));
    if (missing.length) {
      out.blockers.push(`${r.eniId}: recorded security group(s) ${missing.join(', ')} no longer exist`);
      continue;
    }
    out.changes.push({
      phase: 1,
      action: {
        operation: 'EC2.ModifyNetworkInterfaceAttribute',
        target: r.eniId,
        change: `groups ${r.current.join(',') || '(none)'} → ${r.wanted.join(',')}`,
      },
      run: () => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: r.eniId, Groups: r.wanted })),
    });
  }
  return out;
}

async function describeExistingGroups(ec2: EC2Client, groupIds: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  let token: string | undefined;
  do {
    const page = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: groupIds }], NextToken: token }));
    for (const g of page.SecurityGroups ?? []) if (g.GroupId) found.add(g.GroupId);
    token = page.NextToken;
  } while (token);
  return found;
}

/**
 * Assesses the instance profile against `isolate.instanceProfileArn` (read only):
 * none associated → `AssociateIamInstanceProfile`; a different one associated →
 * `ReplaceIamInstanceProfileAssociation`; the recorded one → unchanged; none recorded → nothing.
 * When an IAM client is given, the recorded profile is first looked up (`GetInstanceProfile`): a
 * deleted profile is reported as not restored instead of failing part way. Both calls need
 * `iam:PassRole` on the profile's role.
 * @param instance - the instance as DescribeInstances returned it.
 * @param isolate - the prior state recorded by Isolate.
 * @param deps - `ec2`, and optionally `iam` (member account).
 * @returns the assessment (changes in phase 1).
 */
export async function assessInstanceProfile(
  instance: Instance,
  isolate: IsolatePriorState,
  deps: { ec2: EC2Client; iam?: IAMClient },
): Promise<ReleaseAssessment> {
  const out = emptyAssessment();
  const wanted = isolate.instanceProfileArn;
  const instanceId = instance.InstanceId!;
  if (!wanted) return out;
  const associations =
    (await deps.ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] })))
      .IamInstanceProfileAssociations ?? [];
  const active = associations.find((a) => a.State === 'associated' || a.State === 'associating');
  if (active?.IamInstanceProfile?.Arn === wanted) {
    out.unchanged.push({ item: 'instance-profile', target: instanceId, detail: wanted });
    return out;
  }
  if (deps.iam && !(await instanceProfileExists(deps.iam, wanted))) {
    out.notRestored.push({ item: 'instance-profile', target: instanceId, detail: `recorded instance profile ${wanted} no longer exists` });
    return out;
  }
  if (active?.AssociationId) {
    const associationId = active.AssociationId;
    out.changes.push({
      phase: 1,
      action: {
        operation: 'EC2.ReplaceIamInstanceProfileAssociation',
        target: instanceId,
        change: `profile ${active.IamInstanceProfile?.Arn} → ${wanted}`,
      },
      run: () =>
        deps.ec2.send(
          new ReplaceIamInstanceProfileAssociationCommand({ AssociationId: associationId, IamInstanceProfile: { Arn: wanted } }),
        ),
    });
  } else {
    out.changes.push({
      phase: 1,
      action: { operation: 'EC2.AssociateIamInstanceProfile', target: instanceId, change: `associate ${wanted}` },
      run: () => deps.ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: instanceId, IamInstanceProfile: { Arn: wanted } })),
    });
  }
  return out;
}

async function instanceProfileExists(iam: IAMClient, arn: string): Promise<boolean> {
  const name = arn.split('/').pop() ?? arn;
  try {
    await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
    return true;
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return false;
    throw err;
  }
}

/**
 * Assesses the Elastic IPs recorded in `isolate.elasticIps` (read only; DescribeAddresses with
 * filters, so a released address is seen by its absence):
 * - still allocated and not associated → `AssociateAddress` to the recorded ENI and private IP, with
 *   `AllowReassociation=false` (never takes an address from something else);
 * - associated with the recorded ENI and private IP → unchanged;
 * - released since containment, now associated elsewhere, or its ENI no longer attached → not
 *   restored, with the reason.
 * @param instance - the instance as DescribeInstances returned it.
 * @param isolate - the prior state recorded by Isolate.
 * @param ec2 - EC2 client in the member account.
 * @returns the assessment (changes in phase 1).
 */
export async function assessElasticIps(instance: Instance, isolate: IsolatePriorState, ec2: EC2Client): Promise<ReleaseAssessment> {
  const out = emptyAssessment();
  const recorded = isolate.elasticIps ?? [];
  if (!recorded.length) return out;
  const attached = new Set((instance.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId));
  const allocationIds = recorded.map((e) => e.allocationId).filter((x): x is string => !!x);
  const publicIps = recorded.filter((e) => !e.allocationId && e.publicIp).map((e) => e.publicIp!);
  const [byAllocation, byIp] = await Promise.all([
    allocationIds.length
      ? ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: allocationIds }] }))
      : Promise.resolve({ Addresses: [] as Address[] }),
    publicIps.length
      ? ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'public-ip', Values: publicIps }] }))
      : Promise.resolve({ Addresses: [] as Address[] }),
  ]);
  const addresses = [...(byAllocation.Addresses ?? []), ...(byIp.Addresses ?? [])];

  for (const eip of recorded) {
    const label = eip.publicIp ?? eip.allocationId ?? '(unknown address)';
    const now = addresses.find((a) => (eip.allocationId ? a.AllocationId === eip.allocationId : a.PublicIp === eip.publicIp));
    if (!now) {
      out.notRestored.push({ item: 'elastic-ip', target: label, detail: 'the address is no longer allocated to the account' });
      continue;
    }
    if (now.AssociationId) {
      const same =
        now.NetworkInterfaceId === eip.networkInterfaceId && (!eip.privateIpAddress || now.PrivateIpAddress === eip.privateIpAddress);
      if (same) out.unchanged.push({ item: 'elastic-ip', target: label, detail: `associated with ${eip.networkInterfaceId}` });
      else
        out.notRestored.push({
          item: 'elastic-ip',
          target: label,
          detail: `now associated with ${now.NetworkInterfaceId ?? now.InstanceId}; not moved`,
        });
      continue;
    }
    if (!eip.networkInterfaceId || !attached.has(eip.networkInterfaceId)) {
      out.notRestored.push({
        item: 'elastic-ip',
        target: label,
        detail: `its ENI ${eip.networkInterfaceId ?? '(unrecorded)'} is no longer attached to ${instance.InstanceId}`,
      });
      continue;
    }
    const allocationId = now.AllocationId;
    out.changes.push({
      phase: 1,
      action: {
        operation: 'EC2.AssociateAddress',
        target: label,
        change: `associate with ${eip.networkInterfaceId}${eip.privateIpAddress ? ` (${eip.privateIpAddress})` : ''}`,
      },
      run: () =>
        ec2.send(
          new AssociateAddressCommand({
            AllocationId: allocationId,
            PublicIp: allocationId ? undefined : now.PublicIp,
            NetworkInterfaceId: eip.networkInterfaceId,
            PrivateIpAddress: eip.privateIpAddress,
            AllowReassociation: false,
          }),
        ),
    });
  }
  return out;
}
