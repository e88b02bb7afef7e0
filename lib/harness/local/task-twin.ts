import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { randomBytes } from 'node:crypto';
import type { GuardDutyEvent } from '../../core/incident/schema';
import type { HarnessClients } from './harness-clients';

/** The twin of an ECS finding's task, built in the emulator's member account. */
export interface TaskTwin {
  readonly cluster: string;
  readonly taskArn: string;
  /** The service the task belongs to (`group` `service:<name>`). */
  readonly service: string;
  /** The task ARN in the event → the twin's. */
  readonly idMap: Record<string, string>;
}

/** A string at a path of an object GuardDuty gives, or `undefined`. */
function at(o: unknown, ...path: string[]): string | undefined {
  let v: unknown = o;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' && v ? v : undefined;
}

/** Whether a finding names an ECS task ecs-task-compromise acts on (`ecsClusterDetails.taskDetails.arn`). */
export function namesTask(event: GuardDutyEvent): boolean {
  return (
    event.detail.resource.resourceType === 'ECSCluster' &&
    at(event.detail.resource, 'ecsClusterDetails', 'taskDetails', 'arn') !== undefined
  );
}

/**
 * Builds a twin of an ECS finding's task in the member account: the finding's cluster (its name kept: CreateCluster of an
 * existing name returns it), a VPC with DNS hostnames, a subnet and a security group, a Fargate task definition of the
 * finding's family with one container (an environment value that stands for a secret), a service of that family, and a
 * RUNNING Fargate task of that service (awsvpc: its ENI in the subnet), started by the finding's `startedBy`. The
 * finding's task ARN maps to the twin's (a new task ID: replays do not collide, one case per task).
 * @returns the twin, or `undefined` when the finding names no task.
 */
export async function buildTaskTwin(event: GuardDutyEvent, member: HarnessClients): Promise<TaskTwin | undefined> {
  const r = event.detail.resource;
  const taskArn = at(r, 'ecsClusterDetails', 'taskDetails', 'arn');
  const cluster = at(r, 'ecsClusterDetails', 'name') ?? taskArn?.split('/')[1];
  if (!taskArn || !cluster) return undefined;
  const family = (at(r, 'ecsClusterDetails', 'taskDetails', 'definitionArn') ?? 'task-definition/app:1').split('/').pop()!.split(':')[0];
  const image =
    at((r.ecsClusterDetails as { taskDetails?: { containers?: unknown[] } }).taskDetails?.containers?.[0], 'image') ?? 'app:latest';
  const vpc = (await member.ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }))).Vpc!.VpcId!;
  // DNS hostnames on, as in a default VPC (moto's RunTask reads the ENI's private DNS name, set only then).
  await member.ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsHostnames: { Value: true } }));
  const subnet = (await member.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.77.1.0/24' }))).Subnet!.SubnetId!;
  const suffix = randomBytes(3).toString('hex');
  const sg = (await member.ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: `task-${suffix}`, Description: 'task' })))
    .GroupId!;
  await member.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const definition = (
    await member.ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: family,
            image,
            essential: true,
            memory: 512,
            environment: [{ name: 'DB_PASSWORD', value: `not-for-evidence-${suffix}` }],
          },
        ],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;
  const service = `${family}-${suffix}`;
  await member.ecs.send(new CreateServiceCommand({ cluster, serviceName: service, taskDefinition: definition, desiredCount: 0 }));
  const task = (
    await member.ecs.send(
      new RunTaskCommand({
        cluster,
        taskDefinition: definition,
        launchType: 'FARGATE',
        group: `service:${service}`,
        startedBy: at(r, 'ecsClusterDetails', 'taskDetails', 'startedBy') ?? 'firebreak-twin',
        networkConfiguration: { awsvpcConfiguration: { subnets: [subnet], securityGroups: [sg] } },
        tags: [{ key: 'team', value: 'workers' }],
      }),
    )
  ).tasks![0];
  return { cluster, taskArn: task.taskArn!, service, idMap: { [taskArn]: task.taskArn! } };
}
