import { CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { randomBytes } from 'node:crypto';
import type { GuardDutyEvent } from '../../core/incident/schema';
import type { HarnessClients } from './harness-clients';

/** The twin of a credential finding's principal, built in the emulator's member account. */
export interface CredentialTwin {
  readonly userType: string;
  /** IAM user (IAMUser findings). */
  readonly userName?: string;
  /** The twin of the finding's key, and a second key of the same user. */
  readonly accessKeyId?: string;
  readonly otherAccessKeyId?: string;
  /** IAM role (AssumedRole findings). */
  readonly roleName?: string;
  /** The twin of the instance the role's credentials were issued to (instance credential findings). */
  readonly instanceId?: string;
  /** ID in the event → twin ID. */
  readonly idMap: Record<string, string>;
}

const suffix = () => randomBytes(3).toString('hex');

/**
 * Builds a twin of a GuardDuty AccessKey finding's principal in the member account:
 * - IAMUser: a user named after the finding's user (with a unique suffix, so replays don't collide),
 *   an unrelated inline policy, and two access keys; the first stands for the finding's key;
 * - AssumedRole: a role (with an instance profile) named after the finding's role; for instance
 *   credential findings, a twin instance running with that profile, whose ID replaces the session
 *   name in the event;
 * - Root and other types: nothing to build.
 * @returns the twin and the ID map for remapping the event.
 */
export async function buildCredentialTwin(event: GuardDutyEvent, member: HarnessClients): Promise<CredentialTwin> {
  const k = event.detail.resource.accessKeyDetails!;
  const idMap: Record<string, string> = {};
  if (k.userType === 'IAMUser' && k.userName) {
    const userName = `${k.userName}-${suffix()}`;
    await member.iam.send(new CreateUserCommand({ UserName: userName }));
    await member.iam.send(
      new PutUserPolicyCommand({
        UserName: userName,
        PolicyName: 'deploy',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::deploy-bucket/*' }],
        }),
      }),
    );
    const first = (await member.iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
    const second = (await member.iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
    idMap[k.accessKeyId] = first.AccessKeyId!;
    idMap[k.userName] = userName;
    return { userType: k.userType, userName, accessKeyId: first.AccessKeyId, otherAccessKeyId: second.AccessKeyId, idMap };
  }
  if (k.userType === 'AssumedRole' && k.userName) {
    const roleName = `${k.userName}-${suffix()}`;
    await member.iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    idMap[k.userName] = roleName;
    const session = k.principalId?.split(':')[1];
    let instanceId: string | undefined;
    if (session && /^i-[0-9a-f]+$/.test(session)) {
      const profileName = `${roleName}-profile`;
      const profile = await member.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: profileName }));
      await member.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: profileName, RoleName: roleName }));
      const vpc = await member.ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
      const subnet = await member.ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: '10.9.1.0/24' }));
      const image = (await member.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'root-device-type', Values: ['ebs'] }] })))
        .Images?.[0]?.ImageId;
      const run = await member.ec2.send(
        new RunInstancesCommand({
          ImageId: image,
          MinCount: 1,
          MaxCount: 1,
          InstanceType: 't3.micro',
          SubnetId: subnet.Subnet!.SubnetId,
          IamInstanceProfile: { Arn: profile.InstanceProfile!.Arn },
        }),
      );
      instanceId = run.Instances![0].InstanceId!;
      idMap[session] = instanceId;
    }
    return { userType: k.userType, roleName, instanceId, idMap };
  }
  return { userType: k.userType, idMap };
}
