import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { createHash } from 'node:crypto';

import { LOCAL_MEMBER_ACCOUNT, LOCAL_REGION, LOCAL_SECURITY_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients, HarnessClients } from '../../lib/harness/local/harness-clients';
import { ensureTaskPreserved } from '../../lib/runtime/ecs/preserve';
import { ensureTaskStopped, TaskPrior, TaskPriorRecorder, verifyTaskStopped } from '../../lib/runtime/ecs/stop';
import { taskTargetOf, TaskTarget } from '../../lib/runtime/ecs/task';
import { useEmulator } from '../support/emulator';
import { InvalidInput } from '../../lib/core/errors';

const CLUSTER = 'payments';
const SECRET_VALUE = 'hunter2-not-for-the-evidence';

/** A first-record-wins recorder, as the ledger's `recordPriorState`. */
function recorder(): { record: TaskPriorRecorder; records: Map<string, TaskPrior> } {
  const records = new Map<string, TaskPrior>();
  return {
    records,
    record: async (key, value) => {
      if (!records.has(key)) records.set(key, value);
      return records.get(key)!;
    },
  };
}

/** A client whose `send` fails right after the `n`-th call of `command` succeeded (a crash after a mutating call). */
function crashingAfter<C extends { send: (c: never) => Promise<unknown> }>(
  client: C,
  command: new (...a: never[]) => unknown,
  n: number,
): C {
  let calls = 0;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return async (c: never) => {
        const out = await target.send(c);
        if ((c as object) instanceof command && ++calls === n) throw new Error(`crash after call ${n}`);
        return out;
      };
    },
  });
}

/** Counts the calls of each command name a client sends. */
function counting<C extends { send: (c: never) => Promise<unknown> }>(client: C, seen: string[]): C {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return (c: never) => {
        seen.push((c as object).constructor.name);
        return target.send(c);
      };
    },
  });
}

/**
 * ECS task preservation and containment (lib/runtime/ecs) against the emulator: a Fargate task in a service, its ENI,
 * the evidence in the security account's bucket read back with its hashes, StopTask read back with DescribeTasks.
 */
describe('ECS task: preserve, then stop (emulator read-back)', () => {
  const emulator = useEmulator();
  let member: HarnessClients;
  let security: HarnessClients;
  let keyArn: string;
  let subnetId: string;
  let sgId: string;
  let definitionArn: string;
  const bucket = 'ecs-task-evidence';
  let n = 0;

  beforeAll(async () => {
    member = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT);
    security = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT);
    keyArn = (await security.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    await security.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    const vpc = (await member.ec2.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }))).Vpc!.VpcId!;
    // DNS hostnames on, as in a default VPC: moto's RunTask reads the ENI's private DNS name, which it sets only then.
    await member.ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsHostnames: { Value: true } }));
    subnetId = (await member.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.8.1.0/24' }))).Subnet!.SubnetId!;
    sgId = (await member.ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: 'web', Description: 'web' }))).GroupId!;
    await member.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    definitionArn = (
      await member.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'web',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [
            {
              name: 'app',
              image: 'public.ecr.aws/nginx/nginx:latest',
              essential: true,
              // moto sums the containers' memory to place a task (its run_task needs it; ECS accepts it on Fargate too).
              memory: 512,
              environment: [{ name: 'DB_PASSWORD', value: SECRET_VALUE }],
              secrets: [{ name: 'API_KEY', valueFrom: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:api-key' }],
            },
          ],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    await member.ecs.send(
      new CreateServiceCommand({ cluster: CLUSTER, serviceName: 'web', taskDefinition: definitionArn, desiredCount: 0 }),
    );
  });

  /** A running Fargate task of the `web` service, and where its case's evidence goes. */
  async function runningTask(group = 'service:web'): Promise<{ target: TaskTarget; prefix: string }> {
    const task = (
      await member.ecs.send(
        new RunTaskCommand({
          cluster: CLUSTER,
          taskDefinition: definitionArn,
          launchType: 'FARGATE',
          group,
          startedBy: 'ecs-svc/1234567890123456789',
          networkConfiguration: { awsvpcConfiguration: { subnets: [subnetId], securityGroups: [sgId] } },
          tags: [{ key: 'team', value: 'payments' }],
        }),
      )
    ).tasks![0];
    const target = taskTargetOf(task.taskArn, { partition: 'aws', account: LOCAL_MEMBER_ACCOUNT, region: LOCAL_REGION, cluster: CLUSTER });
    return { target, prefix: `cases/${LOCAL_MEMBER_ACCOUNT}/fb-ecs-${++n}/` };
  }

  const evidence = (prefix: string, s3: S3Client = security.s3) => ({ s3, bucket, prefix, kmsKeyId: keyArn });
  const memberClients = (ecs: ECSClient = member.ecs) => ({ ecs, ec2: member.ec2 });

  /** The task as the emulator describes it (read independently of the code under test). */
  async function described(t: TaskTarget) {
    return (await member.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [t.taskArn] }))).tasks![0];
  }

  async function objectBytes(key: string): Promise<Buffer> {
    const out = await security.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  async function versionCount(prefix: string): Promise<number> {
    return ((await security.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }))).Versions ?? []).length;
  }

  it('takes the ARN only in the finding account and region, and of its cluster', () => {
    const f = { partition: 'aws', account: LOCAL_MEMBER_ACCOUNT, region: LOCAL_REGION, cluster: CLUSTER };
    const arn = `arn:aws:ecs:us-east-1:${LOCAL_MEMBER_ACCOUNT}:task/${CLUSTER}/0123456789abcdef0123456789abcdef`;
    expect(taskTargetOf(arn, f)).toMatchObject({ cluster: CLUSTER, taskId: '0123456789abcdef0123456789abcdef' });
    expect(() => taskTargetOf(arn.replace(LOCAL_MEMBER_ACCOUNT, '333333333333'), f)).toThrow(/not in the finding's account/);
    expect(() => taskTargetOf(arn.replace('us-east-1', 'eu-west-1'), f)).toThrow(/not in the finding's account/);
    expect(() => taskTargetOf(arn, { ...f, cluster: 'other' })).toThrow(/not in the finding's cluster/);
    expect(() => taskTargetOf('arn:aws:ecs:us-east-1:111111111111:task-definition/web:1', f)).toThrow(/not an ECS task ARN/);
    expect(() => taskTargetOf(undefined, f)).toThrow(/not an ECS task ARN/);
    // The old ARN format names no cluster: the finding's is used.
    expect(taskTargetOf(`arn:aws:ecs:us-east-1:${LOCAL_MEMBER_ACCOUNT}:task/0123456789abcdef`, f).cluster).toBe(CLUSTER);
  });

  it("takes a cluster from the finding only when it is a cluster name (an ARN there would name another account's or a protected cluster)", () => {
    const old = `arn:aws:ecs:us-east-1:${LOCAL_MEMBER_ACCOUNT}:task/0123456789abcdef`;
    const f = { partition: 'aws', account: LOCAL_MEMBER_ACCOUNT, region: LOCAL_REGION };
    // DescribeTasks and StopTask take a cluster's name or ARN: with the old task ARN format the finding's cluster is the
    // only cluster, so an ARN (of another account, or spelled so that protection patterns on cluster/<name> miss it),
    // a path or a wildcard there is not a cluster name and names nothing Firebreak may act on.
    for (const cluster of [
      'arn:aws:ecs:us-east-1:333333333333:cluster/payments',
      `arn:aws:ecs:us-east-1:${LOCAL_MEMBER_ACCOUNT}:cluster/payments`,
      'payments/../prod',
      'prod*',
      ' payments',
      'x'.repeat(256),
    ]) {
      expect(() => taskTargetOf(old, { ...f, cluster })).toThrow(InvalidInput);
    }
    expect(taskTargetOf(old, { ...f, cluster: 'Pay_ments-1' }).cluster).toBe('Pay_ments-1');
  });

  it('preserves the task, definition, ENI and service with hashes, environment values redacted; nothing stopped', async () => {
    const { target, prefix } = await runningTask();
    const out = await ensureTaskPreserved(memberClients(), target, 'apply', evidence(prefix));
    expect(out).toMatchObject({ lastStatus: 'RUNNING', launchType: 'FARGATE', service: 'web' });
    expect(out.networkInterfaceIds).toHaveLength(1);
    expect(out.artifacts.map((a) => a.name)).toEqual(['task.json', 'task-definition.json', 'network-interfaces.json', 'service.json']);
    for (const a of out.artifacts) {
      const bytes = await objectBytes(a.key);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(a.sha256);
      expect(bytes.toString('utf8')).not.toContain(SECRET_VALUE);
    }
    const def = JSON.parse((await objectBytes(`${prefix}task/task-definition.json`)).toString('utf8'));
    const app = def.taskDefinition.containerDefinitions[0];
    expect(app.environment).toEqual([{ name: 'DB_PASSWORD', value: { sha256: createHash('sha256').update(SECRET_VALUE).digest('hex') } }]);
    expect(app.secrets[0].valueFrom).toMatch(/secret:api-key$/);
    const enis = JSON.parse((await objectBytes(`${prefix}task/network-interfaces.json`)).toString('utf8'));
    expect(enis.networkInterfaces[0]).toMatchObject({ SubnetId: subnetId, Groups: [expect.objectContaining({ GroupId: sgId })] });
    const svc = JSON.parse((await objectBytes(`${prefix}task/service.json`)).toString('utf8'));
    expect(svc.services[0]).toMatchObject({ serviceName: 'web' });
    const task = JSON.parse((await objectBytes(`${prefix}task/task.json`)).toString('utf8'));
    expect(task.task).toMatchObject({
      startedBy: 'ecs-svc/1234567890123456789',
      group: 'service:web',
      tags: [{ key: 'team', value: 'payments' }],
    });
    expect(await described(target)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    // A second run keeps the first copies (no new version).
    await ensureTaskPreserved(memberClients(), target, 'apply', evidence(prefix));
    expect(await versionCount(prefix)).toBe(4);
  });

  it('a group the workload wrote that is no service name (RunTask --group) is not described: preservation and the stop go on', async () => {
    // RunTask takes any `group`: `service:<ARN of another account's service>` would make DescribeServices fail
    // (AccessDenied: the responder reads this account's services only) and with it the preservation, so the task would
    // never be stopped. Such a group is kept in task.json as evidence, and no service is read.
    for (const group of ['service:arn:aws:ecs:us-east-1:333333333333:service/other/web', 'service:web/../x', 'service:']) {
      const { target, prefix } = await runningTask(group);
      const seen: string[] = [];
      const out = await ensureTaskPreserved(memberClients(counting(member.ecs, seen)), target, 'apply', evidence(prefix));
      expect(out.service).toBeUndefined();
      expect(seen).not.toContain('DescribeServicesCommand');
      const task = JSON.parse((await objectBytes(`${prefix}task/task.json`)).toString('utf8'));
      expect(task.task.group).toBe(group);
      const svc = JSON.parse((await objectBytes(`${prefix}task/service.json`)).toString('utf8'));
      expect(svc).toMatchObject({ service: null, services: [] });
    }
  });

  it('stops the task with a reason naming the case, records the prior statuses first; a re-run sends nothing', async () => {
    const { target } = await runningTask();
    const { record, records } = recorder();
    const seen: string[] = [];
    const ecs = counting(member.ecs, seen);
    const out = await ensureTaskStopped(ecs, target, 'fb-case-1', 'apply', record);
    expect(out).toMatchObject({ outcome: 'stopped', prior: { lastStatus: 'RUNNING', desiredStatus: 'RUNNING' } });
    expect(records.get('task')).toMatchObject({ lastStatus: 'RUNNING' });
    const after = await described(target);
    expect(after).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    expect(after.stoppedReason).toMatch(/^Firebreak case fb-case-1: /);
    expect(await verifyTaskStopped(member.ecs, target)).toMatchObject({ desiredStatus: 'STOPPED' });
    const again = await ensureTaskStopped(ecs, target, 'fb-case-1', 'apply', record);
    expect(again).toMatchObject({ outcome: 'already-stopped' });
    expect(seen.filter((c) => c === 'StopTaskCommand')).toHaveLength(1);
    expect(records.get('task')).toMatchObject({ lastStatus: 'RUNNING' });
  });

  it('a task stopped by someone else is not an error and is not stopped again', async () => {
    const { target } = await runningTask();
    await member.ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: target.taskArn, reason: 'operator' }));
    const seen: string[] = [];
    const out = await ensureTaskStopped(counting(member.ecs, seen), target, 'fb-case-2', 'apply', recorder().record);
    expect(out.outcome).toBe('already-stopped');
    expect(seen).toEqual(['DescribeTasksCommand']);
    expect((await described(target)).stoppedReason).toBe('operator');
  });

  it('two runs at once converge: the task stopped, one prior record', async () => {
    const { target } = await runningTask();
    const { record, records } = recorder();
    const outs = await Promise.all([
      ensureTaskStopped(member.ecs, target, 'fb-case-3', 'apply', record),
      ensureTaskStopped(member.ecs, target, 'fb-case-3', 'apply', record),
    ]);
    for (const o of outs) expect(['stopped', 'already-stopped']).toContain(o.outcome);
    expect(await described(target)).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    expect(records.get('task')).toMatchObject({ lastStatus: 'RUNNING' });
  });

  it('converges after a crash after StopTask: the re-run finds it stopped and keeps the first prior record', async () => {
    const { target } = await runningTask();
    const { record, records } = recorder();
    await expect(ensureTaskStopped(crashingAfter(member.ecs, StopTaskCommand, 1), target, 'fb-case-4', 'apply', record)).rejects.toThrow(
      /crash/,
    );
    expect(await described(target)).toMatchObject({ desiredStatus: 'STOPPED' });
    expect(await ensureTaskStopped(member.ecs, target, 'fb-case-4', 'apply', record)).toMatchObject({
      outcome: 'already-stopped',
    });
    expect(records.get('task')).toMatchObject({ lastStatus: 'RUNNING' });
  });

  it.each([1, 2, 3, 4])('converges after a crash after evidence write %i: the re-run completes, one version each', async (k) => {
    const { target, prefix } = await runningTask();
    await expect(
      ensureTaskPreserved(memberClients(), target, 'apply', evidence(prefix, crashingAfter(security.s3, PutObjectCommand, k))),
    ).rejects.toThrow(/crash/);
    const out = await ensureTaskPreserved(memberClients(), target, 'apply', evidence(prefix));
    expect(out.artifacts).toHaveLength(4);
    for (const a of out.artifacts)
      expect(
        createHash('sha256')
          .update(await objectBytes(a.key))
          .digest('hex'),
      ).toBe(a.sha256);
    expect(await versionCount(prefix)).toBe(4);
    expect(await described(target)).toMatchObject({ lastStatus: 'RUNNING' });
  });

  it('plan mode makes zero mutating calls and names the StopTask', async () => {
    const { target, prefix } = await runningTask();
    const seenEcs: string[] = [];
    const seenS3: string[] = [];
    const ecs = counting(member.ecs, seenEcs);
    const s3 = counting(security.s3, seenS3);
    const preserved = await ensureTaskPreserved(memberClients(ecs), target, 'plan', evidence(prefix, s3));
    const stop = await ensureTaskStopped(ecs, target, 'fb-case-5', 'plan', async () => {
      throw new Error('plan mode records nothing');
    });
    expect(preserved.artifacts).toEqual([]);
    expect(stop.actions.map((a) => a.operation)).toEqual(['ECS.StopTask']);
    expect(seenEcs.every((c) => /^Describe/.test(c))).toBe(true);
    expect(seenS3).toEqual([]);
    expect(await versionCount(prefix)).toBe(0);
    expect(await described(target)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
  });

  it('a task ECS no longer describes: preservation fails as ResourceGone, stopping finds nothing to stop', async () => {
    const gone = taskTargetOf(`arn:aws:ecs:us-east-1:${LOCAL_MEMBER_ACCOUNT}:task/${CLUSTER}/ffffffffffffffffffffffffffffffff`, {
      partition: 'aws',
      account: LOCAL_MEMBER_ACCOUNT,
      region: LOCAL_REGION,
    });
    await expect(ensureTaskPreserved(memberClients(), gone, 'apply', evidence('cases/x/gone/'))).rejects.toMatchObject({
      name: 'ResourceGone',
    });
    expect(await ensureTaskStopped(member.ecs, gone, 'fb-case-6', 'apply', recorder().record)).toMatchObject({ outcome: 'gone' });
  });
});
