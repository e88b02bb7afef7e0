import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  ModifyInstanceAttributeCommand,
  SecurityGroup,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { InvalidInput } from '../../core/errors';
import { hasAwsCode } from '../../runtime/aws-errors';
import { ApiCallEventSchema, GuardDutyEventSchema } from '../../core/incident/schema';
import { isSampleFinding } from '../../core/incident/normalize';
import type { EventEnvelope } from '../local/replay';
import type { LocalSession } from '../local/session';
import { CONTAINER_RESOURCE_TYPES } from '../../core/catalog/catalog';
import { buildTwinWorld, TwinExtras, TwinWorld } from '../local/twin';
import { buildCredentialTwin, CredentialTwin } from '../local/credential-twin';
import { buildApiCallTwin } from '../local/api-call-twin';
import { buildSequenceTwins } from '../local/sequence-twin';
import type { Fault } from './faults';
import type { Check } from '../local/checks';
import { BucketTwin, buildBucketTwin, namesBucket } from '../local/bucket-twin';
import { buildFunctionTwin, FunctionTwin, namesFunction } from '../local/function-twin';
import { buildTaskTwin, namesTask, TaskTwin } from '../local/task-twin';
import { buildDbTwin, DbTwin, deleteDbTwin } from '../local/db-twin';
import { isolationGroupName, untrackGroupName } from '../../core/tags';

/** The twin world one injection acts on (what `replayEvent` takes as `twin` / `credentialTwin`). */
export interface InjectionWorld {
  readonly twin?: TwinWorld;
  readonly credentialTwin?: CredentialTwin;
  /** The twin of an S3 finding's bucket (s3-compromise). */
  readonly bucketTwin?: BucketTwin;
  /** The twin of a Lambda finding's function (lambda-compromise). */
  readonly functionTwin?: FunctionTwin;
  /** The twin of an ECS finding's task (ecs-task-compromise). */
  readonly taskTwin?: TaskTwin;
  /** The twin of an RDS finding's DB instance (rds-compromise). */
  readonly dbTwin?: DbTwin;
  /** Groups squatting on Firebreak's group names (`world.squatFirebreakGroupNames`), as they were before the event. */
  readonly squatters?: SecurityGroup[];
}

/** What a drill's world adds to the twin's extras. */
export interface InjectionExtras extends TwinExtras {
  /** Create untagged groups with Firebreak's isolation and untrack group names in the twin VPC first ({@link squatFirebreakGroupNames}). */
  readonly squatFirebreakGroupNames?: boolean;
}

const API_CALL_DETAIL_TYPES = ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'];

/**
 * Builds the twin world of an event ahead of the replay, as `replayEvent` (lib/harness/local/replay.ts)
 * would: an EC2 finding's instance world, a credential finding's principal, an attack sequence's key and instance,
 * an API call's trail and actor. Drills build it first when several runs must share it (concurrent repeats) or when a fault
 * changes it before the event arrives (a resource deleted beforehand).
 */
export async function buildInjectionWorld(session: LocalSession, event: EventEnvelope, extras: InjectionExtras): Promise<InjectionWorld> {
  const member = session.env.member;
  if (event.source === 'aws.guardduty') {
    const gd = GuardDutyEventSchema.parse(event);
    if (isSampleFinding(gd)) return {};
    const r = gd.detail.resource;
    // As replayEvent's twins: a pod or task finding that names its node's instance (catalog container-node-*) is
    // twinned on that instance, and an ECS task finding on its task as well.
    if ((r.resourceType === 'Instance' || (CONTAINER_RESOURCE_TYPES as readonly string[]).includes(r.resourceType)) && r.instanceDetails) {
      const twin = await buildTwinWorld(gd, member, extras);
      return {
        twin,
        ...(namesTask(gd) ? { taskTwin: await buildTaskTwin(gd, member) } : {}),
        ...(extras.squatFirebreakGroupNames ? { squatters: await squatFirebreakGroupNames(session, twin.vpcId) } : {}),
      };
    }
    const bucketTwin = namesBucket(gd) ? await buildBucketTwin(gd, member, session.env.memberAccount) : undefined;
    if (r.resourceType === 'AccessKey' && r.accessKeyDetails) return { credentialTwin: await buildCredentialTwin(gd, member), bucketTwin };
    if (r.resourceType === 'AttackSequence') return buildSequenceTwins(gd, member, extras);
    if (namesFunction(gd)) return { functionTwin: await buildFunctionTwin(gd, member) };
    if (namesTask(gd)) return { taskTwin: await buildTaskTwin(gd, member) };
    if (r.resourceType === 'RDSDBInstance') return { dbTwin: await buildDbTwin(gd, member) };
    return bucketTwin ? { bucketTwin } : {};
  }
  if (API_CALL_DETAIL_TYPES.includes(event['detail-type']))
    return { credentialTwin: await buildApiCallTwin(ApiCallEventSchema.parse(event), member) };
  return {};
}

/**
 * Someone else's groups on Firebreak's names: untagged groups named `firebreak-isolation-<vpc>` (with an SSH
 * ingress rule from a documentation range, 203.0.113.0/24) and `firebreak-untrack-<vpc>` (empty) in the VPC,
 * made with the harness clients. Contain must create its own tagged groups and leave these as they are.
 * @returns the two groups as they are now (for {@link squatterChecks}).
 */
export async function squatFirebreakGroupNames(session: LocalSession, vpcId: string): Promise<SecurityGroup[]> {
  const ec2 = session.env.member.ec2;
  const ids: string[] = [];
  for (const [name, rule] of [
    [isolationGroupName(vpcId), true],
    [untrackGroupName(vpcId), false],
  ] as const) {
    const id = (
      await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, VpcId: vpcId, Description: "not Firebreak's (game-day squatter)" }))
    ).GroupId!;
    if (rule)
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: id,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }],
        }),
      );
    ids.push(id);
  }
  return (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ids }))).SecurityGroups ?? [];
}

/**
 * Reads the squatting groups back (`squatter-untouched:<group>`): the same ingress and egress rules and
 * tags as before the event, and no ENI on them.
 */
export async function squatterChecks(session: LocalSession, squatters: readonly SecurityGroup[]): Promise<Check[]> {
  const ec2 = session.env.member.ec2;
  const ids = squatters.map((g) => g.GroupId!);
  const now = ids.length ? ((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ids }))).SecurityGroups ?? []) : [];
  const enis = ids.length
    ? ((await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'group-id', Values: ids }] }))).NetworkInterfaces ?? [])
    : [];
  const shape = (g: SecurityGroup | undefined) =>
    JSON.stringify([
      g?.GroupName,
      g?.IpPermissions ?? [],
      g?.IpPermissionsEgress ?? [],
      (g?.Tags ?? []).map((t) => `${t.Key}=${t.Value}`).sort(),
    ]);
  return squatters.map((before) => {
    const after = now.find((g) => g.GroupId === before.GroupId);
    const on = enis.filter((e) => (e.Groups ?? []).some((g) => g.GroupId === before.GroupId)).map((e) => e.NetworkInterfaceId);
    const same = shape(after) === shape(before);
    return {
      name: `squatter-untouched:${before.GroupId}`,
      passed: !!after && same && on.length === 0,
      details: `${before.GroupName}: ${after ? (same ? 'rules and tags unchanged' : `changed: ${shape(after)} (was ${shape(before)})`) : 'deleted'}; ${on.length ? `ENI(s) on it: ${on.join(', ')}` : 'no ENI on it'}`,
    };
  });
}

/**
 * Deletes a resource of the injection's world (a `delete-resource` fault), as someone outside
 * Firebreak would, with the harness clients, which no fault touches:
 * - `instance`: its termination protection lifted (Contain may have set it), then terminated;
 * - `access-key`: the finding's key of the twin IAM user (DeleteAccessKey), the user's other key left;
 * - `iam-user`: the twin IAM user, after what IAM requires to be gone first (DeleteUser, IAM API
 *   reference): its access keys, inline policies, attached managed policies and console password;
 * - `db-instance`: the twin DB instance of an RDS finding ({@link deleteDbTwin}).
 * @returns what was deleted, e.g. `instance i-0abc (terminated)`, `access key AKIA… of ci-deployer-1a2b3c (deleted)`.
 * @throws {InvalidInput} when the world has no such resource.
 */
export async function deleteWorldResource(
  session: LocalSession,
  world: InjectionWorld,
  fault: Fault & { kind: 'delete-resource' },
): Promise<string> {
  if (fault.resource === 'access-key' || fault.resource === 'iam-user') return deleteWorldPrincipal(session, world, fault.resource);
  if (fault.resource === 'db-instance') {
    if (!world.dbTwin)
      throw new InvalidInput("delete-resource db-instance: the injection's world has no DB instance (the event names none)");
    return deleteDbTwin(session.env.member, world.dbTwin);
  }
  const instanceId = world.twin?.instanceId ?? world.credentialTwin?.instanceId;
  if (!instanceId)
    throw new InvalidInput(`delete-resource ${fault.resource}: the injection's world has no instance (the event names none)`);
  const ec2 = session.env.member.ec2;
  await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: false } }));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  const state = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]?.State
    ?.Name;
  return `instance ${instanceId} (${state ?? 'gone'})`;
}

async function deleteWorldPrincipal(session: LocalSession, world: InjectionWorld, resource: 'access-key' | 'iam-user'): Promise<string> {
  const t = world.credentialTwin;
  const userName = t?.userName;
  if (!userName) throw new InvalidInput(`delete-resource ${resource}: the injection's world has no IAM user (the event names none)`);
  const iam = session.env.member.iam;
  if (resource === 'access-key') {
    if (!t.accessKeyId)
      throw new InvalidInput(`delete-resource access-key: the injection's IAM user ${userName} has no twin of the finding's key`);
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: t.accessKeyId }));
    return `access key ${t.accessKeyId} of ${userName} (deleted)`;
  }
  for (const k of (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? []) {
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: k.AccessKeyId }));
  }
  for (const name of (await iam.send(new ListUserPoliciesCommand({ UserName: userName }))).PolicyNames ?? []) {
    await iam.send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: name }));
  }
  for (const p of (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies ?? []) {
    await iam.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: p.PolicyArn }));
  }
  await iam.send(new DeleteLoginProfileCommand({ UserName: userName })).catch((err: unknown) => {
    if (!hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) throw err;
  });
  await iam.send(new DeleteUserCommand({ UserName: userName }));
  return `IAM user ${userName} (deleted)`;
}
