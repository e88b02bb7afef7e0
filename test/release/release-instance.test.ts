import {
  AssociateAddressCommand,
  AssociateIamInstanceProfileCommand,
  DeleteSecurityGroupCommand,
  DescribeSnapshotsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReleaseAddressCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DeleteInstanceProfileCommand, RemoveRoleFromInstanceProfileCommand } from '@aws-sdk/client-iam';
import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { ResourceGone } from '../../lib/core/errors';
import { LOCAL_MEMBER_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients, HarnessClients } from '../../lib/harness/local/harness-clients';
import { ReleaseBlocked } from '../../lib/runtime/release/errors';
import { ensureInstanceReleased, verifyInstanceReleased } from '../../lib/runtime/release/release-instance';
import { useEmulator } from '../support/emulator';
import {
  buildWorld,
  caseSnapshot,
  contain,
  firebreakGroups,
  instrumentedMember,
  MemberDeps,
  mutating,
  readState,
  recordCalls,
  World,
} from './world';

describe('ensureInstanceReleased', () => {
  const emulator = useEmulator();
  let h: HarnessClients;
  let deps: MemberDeps;
  let n = 0;
  const nextCase = () => `case-release-${++n}`;

  beforeAll(() => {
    h = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT);
    deps = instrumentedMember(emulator.endpoint);
  });

  /** A world, its state before containment, and the prior states containment recorded. */
  async function containedWorld() {
    const world = await buildWorld(h);
    const before = await readState(h, world);
    const caseId = nextCase();
    const prior = await contain(world, deps, caseId);
    return { world, before, caseId, prior };
  }

  /** Asserts the world reads back as contained (so a release that did nothing cannot pass). */
  async function expectContained(world: World) {
    const state = await readState(h, world);
    const fb = await firebreakGroups(h, world);
    const isolation = fb[`firebreak-isolation-${world.vpcId}`];
    expect(state.groupsByEni).toEqual({ [world.primaryEni]: [isolation], [world.secondaryEni]: [isolation] });
    expect(state.profiles).toEqual([]);
    expect(state.eip).toBeUndefined();
    expect(state.terminationProtection).toBe(true);
    expect(state.shutdownBehavior).toBe('stop');
    expect(state.asgMembership).toEqual([]);
    expect(state.targets).toEqual([]);
    expect(state.tags['firebreak:status']).toBe('isolated');
  }

  it("puts back every ENI's groups, the profile, the Elastic IP, the attributes, the target group and the Auto Scaling membership", async () => {
    const { world, before, caseId, prior } = await containedWorld();
    const snapshotId = await caseSnapshot(h, world, caseId);
    await expectContained(world);
    const groupsAfterContainment = await firebreakGroups(h, world);

    const { result, error, calls } = await recordCalls(() =>
      ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps),
    );
    expect(error).toBeUndefined();

    const after = await readState(h, world);
    // Exactly the groups each ENI had before containment, per ENI.
    expect(after.groupsByEni).toEqual({
      [world.primaryEni]: [world.groups.web, world.groups.app].sort(),
      [world.secondaryEni]: [world.groups.admin],
    });
    expect(after.profiles).toEqual([world.profileArn]);
    expect(after.eip).toEqual({ networkInterfaceId: world.secondaryEni, privateIp: world.secondaryPrivateIp });
    expect(after.terminationProtection).toBe(false);
    expect(after.shutdownBehavior).toBe('terminate');
    expect(after.deleteOnTermination).toEqual({ '/dev/xvda': true, '/dev/sdf': false });
    expect(after.targets).toEqual([{ id: world.instanceId, port: 8080 }]);
    expect(after.asgMembership).toEqual([world.autoScalingGroup]);
    // The status tag goes; the case tag stays as the record; other tags are untouched.
    expect(after.tags).toEqual({ Owner: 'team-release', 'firebreak:case-id': caseId });
    // Everything else reads back as before containment, but for the group's capacity (see below).
    expect({ ...after, asgDesired: undefined, asgInstances: undefined, tags: undefined }).toEqual({
      ...before,
      asgDesired: undefined,
      asgInstances: undefined,
      tags: undefined,
    });

    // Desired capacity: 1 before; containment kept it (the group launched a replacement); the
    // attach adds one and release does not lower it, so the replacement keeps running.
    expect(before.asgDesired).toBe(1);
    expect(after.asgDesired).toBe(2);
    expect(after.asgInstances).toHaveLength(2);
    expect(after.asgInstances).toContain(world.instanceId);

    // Evidence and Firebreak's groups are kept; nothing is deleted but the status tag.
    expect(await firebreakGroups(h, world)).toEqual(groupsAfterContainment);
    const snaps = await h.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    expect(snaps.Snapshots).toHaveLength(1);
    expect(mutating(calls).filter((op) => /\.(Delete|Terminate|Release|Deregister|Detach|Disassociate)/.test(op))).toEqual([
      'EC2.DeleteTags',
    ]);

    expect(result!.notRestored).toEqual([]);
    expect(result!.actions.map((a) => a.operation).sort()).toEqual([
      'AutoScaling.AttachInstances',
      'EC2.AssociateAddress',
      'EC2.AssociateIamInstanceProfile',
      'EC2.DeleteTags',
      'EC2.ModifyInstanceAttribute',
      'EC2.ModifyInstanceAttribute',
      'EC2.ModifyInstanceAttribute',
      'EC2.ModifyNetworkInterfaceAttribute',
      'EC2.ModifyNetworkInterfaceAttribute',
      'ElasticLoadBalancingV2.RegisterTargets',
    ]);
    // The Auto Scaling attach comes last, after the target group, after the network.
    const ops = result!.actions.map((a) => a.operation);
    expect(ops.indexOf('AutoScaling.AttachInstances')).toBe(ops.length - 1);
    expect(ops.indexOf('ElasticLoadBalancingV2.RegisterTargets')).toBe(ops.length - 2);
    const order = mutating(calls);
    expect(order[order.length - 1]).toBe('AutoScaling.AttachInstances');
    expect(await verifyInstanceReleased({ instanceId: world.instanceId, ...prior }, deps)).toEqual([]);
  });

  it('changes nothing when run a second time', async () => {
    const { world, prior } = await containedWorld();
    await ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps);
    const once = await readState(h, world);

    const { result, error, calls } = await recordCalls(() =>
      ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps),
    );

    expect(error).toBeUndefined();
    expect(mutating(calls)).toEqual([]);
    expect(calls.length).toBeGreaterThan(0);
    expect(result!.actions).toEqual([]);
    expect(result!.unchanged.map((u) => u.item)).toEqual(
      expect.arrayContaining([
        'security-groups',
        'instance-profile',
        'elastic-ip',
        'termination-protection',
        'shutdown-behavior',
        'delete-on-termination',
        'target-group',
        'auto-scaling-group',
        'tags',
      ]),
    );
    expect(await readState(h, world)).toEqual(once);
  });

  it('plans without a mutating call, and verify lists what is still contained', async () => {
    const { world, prior } = await containedWorld();

    const { result, error, calls } = await recordCalls(() =>
      ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'plan' }, deps),
    );

    expect(error).toBeUndefined();
    expect(mutating(calls)).toEqual([]);
    expect(result!.mode).toBe('plan');
    expect(result!.actions.map((a) => a.operation)).toEqual(
      expect.arrayContaining([
        'EC2.ModifyNetworkInterfaceAttribute',
        'EC2.AssociateIamInstanceProfile',
        'EC2.AssociateAddress',
        'EC2.ModifyInstanceAttribute',
        'EC2.DeleteTags',
        'ElasticLoadBalancingV2.RegisterTargets',
        'AutoScaling.AttachInstances',
      ]),
    );
    expect(
      result!.actions
        .filter((a) => a.operation === 'EC2.ModifyNetworkInterfaceAttribute')
        .map((a) => a.target)
        .sort(),
    ).toEqual([world.primaryEni, world.secondaryEni].sort());
    await expectContained(world);

    const problems = await verifyInstanceReleased({ instanceId: world.instanceId, ...prior }, deps);
    expect(problems).toHaveLength(result!.actions.length);
    expect(problems.join('\n')).toContain(world.secondaryEni);
  });

  it('changes only what differs from the recorded state', async () => {
    const { world, prior } = await containedWorld();
    // Someone already put back the primary ENI's groups and termination protection by hand.
    await h.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: world.primaryEni, Groups: [world.groups.web, world.groups.app] }),
    );
    await h.ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: world.instanceId, DisableApiTermination: { Value: false } }));

    const { result, calls } = await recordCalls(() =>
      ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps),
    );

    expect(result!.actions.filter((a) => a.operation === 'EC2.ModifyNetworkInterfaceAttribute').map((a) => a.target)).toEqual([
      world.secondaryEni,
    ]);
    expect(result!.actions.some((a) => a.change.startsWith('DisableApiTermination'))).toBe(false);
    expect(mutating(calls).filter((op) => op === 'EC2.ModifyNetworkInterfaceAttribute')).toHaveLength(1);
    expect(result!.unchanged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ item: 'security-groups', target: world.primaryEni }),
        expect.objectContaining({ item: 'termination-protection', target: world.instanceId }),
      ]),
    );
    expect((await readState(h, world)).groupsByEni[world.secondaryEni]).toEqual([world.groups.admin]);
  });

  it('throws ResourceGone with no mutating call when the instance does not exist or was terminated', async () => {
    const { world, prior } = await containedWorld();
    const missing = await recordCalls(() => ensureInstanceReleased({ instanceId: 'i-0123456789abcdef0', ...prior, mode: 'apply' }, deps));
    expect(missing.error).toBeInstanceOf(ResourceGone);
    expect((missing.error as ResourceGone).code).toBe('RESOURCE_GONE');
    expect(mutating(missing.calls)).toEqual([]);

    await h.ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: world.instanceId, DisableApiTermination: { Value: false } }));
    await h.ec2.send(new TerminateInstancesCommand({ InstanceIds: [world.instanceId] }));
    const terminated = await recordCalls(() => ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps));
    expect(terminated.error).toBeInstanceOf(ResourceGone);
    expect(mutating(terminated.calls)).toEqual([]);
    await expect(verifyInstanceReleased({ instanceId: world.instanceId, ...prior }, deps)).rejects.toBeInstanceOf(ResourceGone);
  });

  it('throws ReleaseBlocked and changes nothing when a recorded security group was deleted', async () => {
    const { world, prior } = await containedWorld();
    await h.ec2.send(new DeleteSecurityGroupCommand({ GroupId: world.groups.admin }));

    for (const mode of ['plan', 'apply'] as const) {
      const { error, calls } = await recordCalls(() => ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode }, deps));
      expect(error).toBeInstanceOf(ReleaseBlocked);
      const blocked = error as ReleaseBlocked;
      expect(blocked.code).toBe('RELEASE_BLOCKED');
      expect(blocked.name).toBe('ReleaseBlocked');
      expect(blocked.blockers).toEqual([`${world.secondaryEni}: recorded security group(s) ${world.groups.admin} no longer exist`]);
      expect(mutating(calls)).toEqual([]);
    }
    // Not even the primary ENI, whose groups still exist, was touched.
    await expectContained(world);
    expect(await verifyInstanceReleased({ instanceId: world.instanceId, ...prior }, deps)).toEqual(
      expect.arrayContaining([expect.stringContaining(world.groups.admin)]),
    );
  });

  it('throws ReleaseBlocked when an ENI is isolated and no groups were recorded for it', async () => {
    const { world, prior } = await containedWorld();
    const isolate = { ...prior.isolate, securityGroupsByEni: {} };

    const { error, calls } = await recordCalls(() =>
      ensureInstanceReleased({ instanceId: world.instanceId, preserve: prior.preserve, isolate, mode: 'apply' }, deps),
    );

    expect(error).toBeInstanceOf(ReleaseBlocked);
    expect((error as ReleaseBlocked).blockers).toHaveLength(2);
    expect(mutating(calls)).toEqual([]);
    await expectContained(world);
  });

  it('reports an Elastic IP released since containment as not restored, and restores the rest', async () => {
    const { world, prior } = await containedWorld();
    await h.ec2.send(new ReleaseAddressCommand({ AllocationId: world.allocationId }));

    const result = await ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps);

    expect(result.notRestored).toEqual([
      expect.objectContaining({ item: 'elastic-ip', detail: 'the address is no longer allocated to the account' }),
    ]);
    expect(result.actions.some((a) => a.operation === 'EC2.AssociateAddress')).toBe(false);
    const after = await readState(h, world);
    expect(after.groupsByEni[world.secondaryEni]).toEqual([world.groups.admin]);
    expect(after.profiles).toEqual([world.profileArn]);
    expect(after.asgMembership).toEqual([world.autoScalingGroup]);
    expect(await verifyInstanceReleased({ instanceId: world.instanceId, ...prior }, deps)).toEqual([]);
  });

  it('does not take an Elastic IP back from where it is associated now', async () => {
    const { world, prior } = await containedWorld();
    // After containment, someone put the address on the primary ENI.
    await h.ec2.send(new AssociateAddressCommand({ AllocationId: world.allocationId, NetworkInterfaceId: world.primaryEni }));

    const result = await ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps);

    expect(result.notRestored).toEqual([
      expect.objectContaining({ item: 'elastic-ip', detail: `now associated with ${world.primaryEni}; not moved` }),
    ]);
    expect((await readState(h, world)).eip?.networkInterfaceId).toBe(world.primaryEni);
  });

  it('replaces an instance profile associated since containment with the recorded one', async () => {
    const { world, prior } = await containedWorld();
    await h.ec2.send(
      new AssociateIamInstanceProfileCommand({ InstanceId: world.instanceId, IamInstanceProfile: { Arn: world.otherProfileArn } }),
    );

    const result = await ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps);

    expect(result.actions).toEqual(
      expect.arrayContaining([expect.objectContaining({ operation: 'EC2.ReplaceIamInstanceProfileAssociation' })]),
    );
    expect((await readState(h, world)).profiles).toEqual([world.profileArn]);
  });

  it('does not attach the instance to a group at its maximum size, and restores the rest', async () => {
    const { world, prior } = await containedWorld();
    await h.autoScaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: world.autoScalingGroup, MaxSize: 1 }));

    const { result, calls } = await recordCalls(() =>
      ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps),
    );

    expect(result!.notRestored).toEqual([
      expect.objectContaining({
        item: 'auto-scaling-group',
        target: world.autoScalingGroup,
        detail: expect.stringContaining('maximum size'),
      }),
    ]);
    expect(mutating(calls)).not.toContain('AutoScaling.AttachInstances');
    const after = await readState(h, world);
    expect(after.asgMembership).toEqual([]);
    expect(after.asgDesired).toBe(1);
    expect(after.targets).toEqual([{ id: world.instanceId, port: 8080 }]);
    expect(after.groupsByEni[world.primaryEni]).toEqual([world.groups.web, world.groups.app].sort());
  });
  it('reports a deleted instance profile as not restored, without attempting the association', async () => {
    const { world, prior } = await containedWorld();
    const profileName = world.profileArn.split('/').pop()!;
    await h.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: profileName, RoleName: `${profileName}-role` }));
    await h.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: profileName }));

    const { result, error, calls } = await recordCalls(() =>
      ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps),
    );

    expect(error).toBeUndefined();
    expect(result!.notRestored).toEqual([
      expect.objectContaining({ item: 'instance-profile', detail: `recorded instance profile ${world.profileArn} no longer exists` }),
    ]);
    expect(mutating(calls)).not.toContain('EC2.AssociateIamInstanceProfile');
    const after = await readState(h, world);
    expect(after.profiles).toEqual([]);
    expect(after.groupsByEni[world.secondaryEni]).toEqual([world.groups.admin]);
  });

  it("restores a stopped instance's network and attributes, and reports the target group and Auto Scaling group", async () => {
    const { world, prior } = await containedWorld();
    await h.ec2.send(new StopInstancesCommand({ InstanceIds: [world.instanceId] }));

    const { result, calls } = await recordCalls(() =>
      ensureInstanceReleased({ instanceId: world.instanceId, ...prior, mode: 'apply' }, deps),
    );

    expect(result!.notRestored.map((i) => i.item).sort()).toEqual(['auto-scaling-group', 'target-group']);
    expect(result!.notRestored.every((i) => i.detail.includes('stopped'))).toBe(true);
    expect(mutating(calls)).not.toEqual(expect.arrayContaining(['AutoScaling.AttachInstances']));
    expect(mutating(calls)).not.toEqual(expect.arrayContaining(['ElasticLoadBalancingV2.RegisterTargets']));
    const after = await readState(h, world);
    expect(after.groupsByEni).toEqual({
      [world.primaryEni]: [world.groups.web, world.groups.app].sort(),
      [world.secondaryEni]: [world.groups.admin],
    });
    expect(after.profiles).toEqual([world.profileArn]);
    expect(after.terminationProtection).toBe(false);
    expect(after.shutdownBehavior).toBe('terminate');
    expect(after.asgMembership).toEqual([]);
    expect(after.targets).toEqual([]);
  });
});
