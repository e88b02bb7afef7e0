import { InvalidInput } from '../../core/errors';
import type { LocalStack } from '../../harness/local/stack';
import { ExitCode, Output } from '../output';
import { loadHarness } from './load-harness';

/** Options of `firebreak local up`. */
export interface LocalUpOptions {
  readonly port?: string;
  readonly endpoint?: string;
}

/**
 * `firebreak local up`: starts a local stack (lib/harness/local/stack.ts), prints its endpoint, its demo
 * world and the commands to try, and serves until interrupted (Ctrl-C / SIGTERM).
 * @param until - resolves when the stack should stop. @default the first SIGINT or SIGTERM
 * @returns 0 after a clean stop.
 * @throws {InvalidInput} for a malformed `--port` (before starting anything).
 */
export async function localUpCommand(
  o: LocalUpOptions,
  output: Output,
  until: (stack: LocalStack) => Promise<void> = untilSignal,
): Promise<number> {
  const port = o.port === undefined ? 4599 : Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidInput(`--port ${o.port} is not a port number`);
  }
  const { startLocalStack } = await loadHarness(() => import('../../harness/local/stack'));
  const stack = await startLocalStack({ port, endpoint: o.endpoint, log: output.err });
  const w = stack.world;
  for (const line of [
    `Local stack ready at ${stack.endpoint} (recorded in .firebreak/local-stack.json for --local)`,
    `  member account ${w.account}, region ${w.region}`,
    `  instance ${w.instanceId} (two ENIs), in Auto Scaling group ${w.autoScalingGroupName} and target group ${w.targetGroupArn}`,
    `  IAM user ${w.userName} with keys ${w.accessKeyId} and ${w.otherAccessKeyId}`,
    'Try, in another terminal:',
    `  ./firebreak run ec2-compromise --instance ${w.instanceId} --reason "suspected C2" --local --wait`,
    '  ./firebreak cases list --local',
    '  ./firebreak doctor --local',
    `  ./firebreak run credential-compromise --access-key ${w.accessKeyId} --user ${w.userName} --reason "key in a public repo" --local --wait`,
    'Ctrl-C stops the stack (its state goes with it).',
  ])
    output.out(line);
  try {
    await until(stack);
  } finally {
    await stack.close();
  }
  return ExitCode.Ok;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
