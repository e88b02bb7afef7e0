import { CreateTrailCommand, StartLoggingCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import type { ApiCallEvent } from '../../core/incident/schema';
import type { HarnessClients } from './harness-clients';
import type { CredentialTwin } from './credential-twin';

/** The twin of an API call's target and actor, built in the emulator's member account. */
export interface ApiCallTwin extends CredentialTwin {
  /** The twin trail (CloudTrail events), left in the state the call put it in. */
  readonly trailName?: string;
}

const suffix = () => randomBytes(3).toString('hex');

/**
 * Builds a twin of a CloudTrail-delivered API call's world in the member account:
 * - the trail it names (CloudTrail events), with its bucket, logging and then in the state the call
 *   left it (stopped after `StopLogging`; absent after `DeleteTrail`);
 * - the actor: an IAM user with two access keys (the first stands for the event's key), or the role
 *   behind an assumed-role session; root needs nothing.
 * @returns the twin and the ID map for remapping the event.
 */
export async function buildApiCallTwin(event: ApiCallEvent, member: HarnessClients): Promise<ApiCallTwin> {
  const d = event.detail;
  const idMap: Record<string, string> = {};
  let trailName: string | undefined;
  const params = (d.requestParameters ?? {}) as Record<string, unknown>;
  // UpdateTrail, StopLogging, DeleteTrail name the trail `name`; PutEventSelectors `trailName` (CloudTrail API Reference).
  const named = typeof params.name === 'string' ? params.name : typeof params.trailName === 'string' ? params.trailName : undefined;
  if (d.eventSource === 'cloudtrail.amazonaws.com' && named) {
    const original = named.split('/').pop()!;
    trailName = `${original}-${suffix()}`;
    idMap[original] = trailName;
    if (d.eventName !== 'DeleteTrail') {
      const { cloudtrail } = member;
      const bucket = `${trailName}-logs`;
      await member.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await cloudtrail.send(new CreateTrailCommand({ Name: trailName, S3BucketName: bucket, IsMultiRegionTrail: true }));
      await cloudtrail.send(new StartLoggingCommand({ Name: trailName }));
      if (d.eventName === 'StopLogging') await cloudtrail.send(new StopLoggingCommand({ Name: trailName }));
    }
  }
  const u = d.userIdentity;
  if (u.type === 'IAMUser' && u.userName) {
    const userName = `${u.userName}-${suffix()}`;
    await member.iam.send(new CreateUserCommand({ UserName: userName }));
    const first = (await member.iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
    const second = (await member.iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
    if (u.accessKeyId) idMap[u.accessKeyId] = first.AccessKeyId!;
    idMap[u.userName] = userName;
    return { userType: u.type, userName, accessKeyId: first.AccessKeyId, otherAccessKeyId: second.AccessKeyId, trailName, idMap };
  }
  const roleName = u.type === 'AssumedRole' ? u.sessionContext?.sessionIssuer?.userName : undefined;
  if (roleName) {
    const twinRole = `${roleName}-${suffix()}`;
    await member.iam.send(
      new CreateRoleCommand({
        RoleName: twinRole,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${member.accountId}:root` }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    idMap[roleName] = twinRole;
    return { userType: u.type, roleName: twinRole, trailName, idMap };
  }
  return { userType: u.type, trailName, idMap };
}
