import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { localStackEndpoint, connectLocal } from '../../lib/operator/connection';
import { LOCAL_STACK_FILE, startLocalStack } from '../../lib/harness/local/stack';
import { localUpCommand } from '../../lib/cli/commands/local';
import { useEmulator } from '../support/emulator';
import { cli } from '../support/cli';

describe('local stack (firebreak local up)', () => {
  const emulator = useEmulator();

  it('serves a demo world behind one endpoint, records it for --local, and removes the record on stop', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-stack-'));
    const stack = await startLocalStack({ endpoint: emulator.endpoint, cwd });
    try {
      expect(localStackEndpoint(cwd)).toBe(stack.endpoint);
      const conn = await connectLocal(stack.endpoint);
      expect(conn).toMatchObject({
        kind: 'local',
        securityAccount: '222222222222',
        defaultAccount: '111111111111',
        world: { instanceId: stack.world.instanceId },
      });
      // The world exists in the emulator, read back with the harness's own clients.
      const { member } = stack.session.env;
      const instance = (await member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [stack.world.instanceId] }))).Reservations?.[0]
        ?.Instances?.[0];
      expect(instance?.NetworkInterfaces).toHaveLength(2);
      // In the Auto Scaling group and the target group it says, read back (containment has something to detach).
      const asg = await member.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [stack.world.instanceId] }));
      expect(asg.AutoScalingInstances?.map((i) => i.AutoScalingGroupName)).toEqual([stack.world.autoScalingGroupName]);
      const health = await member.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: stack.world.targetGroupArn }));
      expect(health.TargetHealthDescriptions?.map((t) => t.Target?.Id)).toEqual([stack.world.instanceId]);
      const keys = (await member.iam.send(new ListAccessKeysCommand({ UserName: stack.world.userName }))).AccessKeyMetadata ?? [];
      expect(keys.map((k) => k.AccessKeyId).sort()).toEqual([stack.world.accessKeyId, stack.world.otherAccessKeyId].sort());
      // It stands in for a healthy deployment: the preflight passes (issue 16; test/cli/doctor.test.ts breaks it).
      const doctor = await cli(['doctor', '--endpoint', stack.endpoint]);
      expect([doctor.code, doctor.stdout.at(-1)]).toEqual([0, '7 passed, 0 failed, 0 skipped']);
    } finally {
      await stack.close();
    }
    expect(fs.existsSync(path.join(cwd, LOCAL_STACK_FILE))).toBe(false);
    expect(() => localStackEndpoint(cwd)).toThrow(/no local stack is running here/);
  }, 120_000);

  it('prints the endpoint, the world and the commands to try, and stops cleanly', async () => {
    const out: string[] = [];
    const code = await localUpCommand(
      { port: '0', endpoint: emulator.endpoint },
      { out: (l) => out.push(l), err: () => undefined },
      async () => undefined,
    );
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^Local stack ready at http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain('  ./firebreak doctor --local');
    expect(out.some((l) => /firebreak run ec2-compromise --instance i-\w+ --reason .* --local --wait/.test(l))).toBe(true);
  }, 120_000);
});
