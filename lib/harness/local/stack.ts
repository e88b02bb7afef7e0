import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GuardDutyEvent } from '../../core/incident/schema';
import { buildCredentialTwin } from './credential-twin';
import { readEventFile } from './replay';
import { LocalSession, openLocalSession } from './session';
import { buildTwinWorld } from './twin';
import { standInDeployment } from './deployment-stand-ins';
import { doctorExpectations } from '../doctor-expectations';
import { LOCAL_STACK_FILE } from '../../operator/local-stack';
import { PROJECT_ROOT } from '../../core/project-root';

export { LOCAL_STACK_FILE };

/** The demo world a local stack builds, to act on by hand. */
export interface LocalStackWorld {
  /** The twin of the two-ENI EC2 fixture: an instance with two ENIs, in an Auto Scaling group and a target group. */
  readonly instanceId: string;
  /** The Auto Scaling group the instance is in (containment detaches it; release puts it back). */
  readonly autoScalingGroupName: string;
  /** The ELB target group the instance is registered in (containment deregisters it; release registers it again). */
  readonly targetGroupArn: string;
  /** An IAM user with two access keys (the twin of the IAM-user fixture). */
  readonly userName: string;
  readonly accessKeyId: string;
  readonly otherAccessKeyId: string;
  /** The member account and region the world is in. */
  readonly account: string;
  readonly region: string;
}

/** A running local stack. */
export interface LocalStack {
  /** The one endpoint of the stack (Step Functions, and the emulator behind it). */
  readonly endpoint: string;
  readonly world: LocalStackWorld;
  readonly session: LocalSession;
  /** Stops the stack and removes {@link LOCAL_STACK_FILE}. */
  close(): Promise<void>;
}

/**
 * Starts a local stack for the operator commands (`firebreak local up`): the emulator (or the one at
 * `endpoint`), the seeded accounts, the playbooks of the synthesized template behind a local Step
 * Functions endpoint, and a demo world to act on. Records the endpoint in {@link LOCAL_STACK_FILE}
 * under `cwd`, so `--local` finds it.
 * @param options.port - the stack's port. @default a free port
 * @throws {EmulatorUnavailable} when the emulator cannot be started.
 */
export async function startLocalStack(
  options: { port?: number; endpoint?: string; cwd?: string; log?: (line: string) => void } = {},
): Promise<LocalStack> {
  const session = await openLocalSession({ endpoint: options.endpoint, port: options.port, log: options.log });
  try {
    const root = PROJECT_ROOT;
    const twin = await buildTwinWorld(
      readEventFile(path.join(root, 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json')) as unknown as GuardDutyEvent,
      session.env.member,
      { autoScalingGroup: true, targetGroup: true },
    );
    const user = await buildCredentialTwin(
      readEventFile(path.join(root, 'fixtures/events/guardduty-iamuser-anomalous.json')) as unknown as GuardDutyEvent,
      session.env.member,
    );
    // What `firebreak doctor --local` reads: the member stack's own role policies and trust, the bus, GuardDuty's admin.
    const { env } = session;
    await standInDeployment(env, doctorExpectations({ securityAccount: env.securityAccount, region: env.region, partition: 'aws' }));
    const world: LocalStackWorld = {
      instanceId: twin.instanceId,
      autoScalingGroupName: twin.autoScalingGroupName!,
      targetGroupArn: twin.targetGroupArn!,
      userName: user.userName!,
      accessKeyId: user.accessKeyId!,
      otherAccessKeyId: user.otherAccessKeyId!,
      account: session.env.memberAccount,
      region: session.env.region,
    };
    session.sfn.describeWorld({ ...world });
    const file = path.join(options.cwd ?? process.cwd(), LOCAL_STACK_FILE);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      `${JSON.stringify({ endpoint: session.sfn.endpoint, pid: process.pid, startedAt: new Date().toISOString(), world }, null, 2)}\n`,
    );
    return {
      endpoint: session.sfn.endpoint,
      world,
      session,
      close: async () => {
        fs.rmSync(file, { force: true });
        await session.close();
      },
    };
  } catch (err) {
    await session.close();
    throw err;
  }
}
