import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { LocalEnvironment } from '../../lib/harness/local/seed';

/**
 * Independent read-back of an instance's containment state from the emulator, written directly
 * against the SDK so the playbook tests do not rely on lib/harness/local/checks.ts.
 */
export async function readContainment(env: LocalEnvironment, instanceId: string, vpcId: string) {
  const ec2 = env.member.ec2;
  const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances![0];
  const groups =
    (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).SecurityGroups ?? [];
  const isolation = groups.filter((g) => g.GroupName === `firebreak-isolation-${vpcId}`);
  const termination = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' }));
  const shutdown = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' }),
  );
  const profiles =
    (await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] })))
      .IamInstanceProfileAssociations ?? [];
  return {
    instance,
    enis: (instance.NetworkInterfaces ?? []).map((e) => ({
      id: e.NetworkInterfaceId!,
      groups: (e.Groups ?? []).map((g) => g.GroupId!),
      ipv6: (e.Ipv6Addresses ?? []).length,
    })),
    isolation,
    firebreakGroups: groups.filter((g) => g.GroupName?.startsWith('firebreak-')),
    terminationProtection: termination.DisableApiTermination?.Value,
    shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value,
    deleteOnTermination: (instance.BlockDeviceMappings ?? []).map((b) => b.Ebs?.DeleteOnTermination),
    activeProfiles: profiles.filter((p) => p.State === 'associated'),
  };
}

/** Snapshots tagged with a case, by account and stage. */
export async function caseSnapshots(env: LocalEnvironment, caseId: string) {
  const q = (c: LocalEnvironment['member']) =>
    c.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:firebreak:case-id', Values: [caseId] }] }));
  const [member, security] = await Promise.all([q(env.member), q(env.security)]);
  return { member: member.Snapshots ?? [], security: security.Snapshots ?? [] };
}

/** The case item, its claim count and its timeline from the ledger. */
export async function readCase(env: LocalEnvironment, caseId: string) {
  const item = (await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } })))
    .Item;
  const timeline =
    (
      await env.security.ddb.send(
        new QueryCommand({
          TableName: env.ledgerTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :t)',
          ExpressionAttributeValues: { ':pk': `CASE#${caseId}`, ':t': 'TL#' },
        }),
      )
    ).Items ?? [];
  return { item, timeline };
}

/** Every case item in the ledger for one instance. */
export async function casesForResource(env: LocalEnvironment, resourceId: string) {
  const out = await env.security.ddb.send(
    new ScanCommand({
      TableName: env.ledgerTable,
      FilterExpression: 'sk = :s AND resourceId = :r',
      ExpressionAttributeValues: { ':s': 'CASE', ':r': resourceId },
    }),
  );
  return out.Items ?? [];
}

/** Object versions under a case's evidence prefix. */
export async function evidenceVersions(env: LocalEnvironment, caseId: string) {
  const out = await env.security.s3.send(
    new ListObjectVersionsCommand({ Bucket: env.evidenceBucket, Prefix: `cases/${env.memberAccount}/${caseId}/` }),
  );
  return out.Versions ?? [];
}

/** SHA-256 (hex) of an object's bytes, recomputed here. */
export async function objectSha256(env: LocalEnvironment, bucket: string, key: string): Promise<string> {
  const out = await env.security.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return createHash('sha256')
    .update(Buffer.from(await out.Body!.transformToByteArray()))
    .digest('hex');
}
