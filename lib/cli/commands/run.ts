import { z } from 'zod';
import { PLAYBOOKS } from '../../core/catalog/catalog';
import { InvalidInput } from '../../core/errors';
import type { ManualTarget } from '../../core/incident/schema';
import { parseOrThrow } from '../../core/incident/normalize';
import { connect, ConnectOptions } from '../../operator/connection';
import { planRun, RunRequest, startRun } from '../../operator/run';
import { Output } from '../output';
import { style } from '../render';
import { finishStarted, ReasonSchema } from './started';

/** Options of `firebreak run`, as commander gives them. */
export interface RunCommandOptions extends ConnectOptions {
  readonly instance?: string;
  readonly accessKey?: string;
  readonly user?: string;
  readonly role?: string;
  readonly account?: string;
  readonly reason?: string;
  readonly dryRun?: boolean;
  readonly wait?: boolean;
  readonly json?: boolean;
}

/** The playbooks a security engineer can start by hand on a named target. */
export const MANUAL_PLAYBOOKS = ['ec2-compromise', 'credential-compromise'] as const;

const RunOptionsSchema = z.object({
  playbook: z.enum(PLAYBOOKS).refine((p) => (MANUAL_PLAYBOOKS as readonly string[]).includes(p), { message: `only ${MANUAL_PLAYBOOKS.join(' and ')} run on a named target` }),
  reason: ReasonSchema,
});

/**
 * Reads the target options: exactly one of `--instance`, `--access-key` (with `--user`), `--role`.
 * @throws {InvalidInput} naming what is missing or contradictory.
 */
export function targetOf(o: RunCommandOptions, account: string, region: string): ManualTarget {
  const given = [o.instance && '--instance', o.accessKey && '--access-key', o.role && '--role'].filter(Boolean);
  if (given.length === 0) throw new InvalidInput('a target is required: --instance ID, --access-key ID --user NAME, or --role NAME');
  if (given.length > 1) throw new InvalidInput(`one target only; got ${given.join(' and ')}`);
  if (o.user && !o.accessKey) throw new InvalidInput('--user goes with --access-key');
  if (o.instance) return { kind: 'instance', instanceId: o.instance, account, region };
  if (o.accessKey) {
    if (!o.user) throw new InvalidInput('--access-key needs --user NAME (UpdateAccessKey needs the user name when called with role credentials)');
    return { kind: 'access-key', accessKeyId: o.accessKey, userName: o.user, account, region };
  }
  return { kind: 'role', roleName: o.role!, account, region };
}

/**
 * `firebreak run <playbook>`: validates everything before any AWS call (exit 2 on bad input), then
 * starts the playbook's state machine on the target, or attaches to its open case
 * (lib/operator/run.ts), and with `--wait` follows it state by state.
 * @returns 0 when started or attached (with `--wait`: when the execution succeeded), 1 when the
 *   execution failed.
 */
export async function runCommand(playbook: string, o: RunCommandOptions, output: Output): Promise<number> {
  const { reason } = parseOrThrow(RunOptionsSchema, { playbook, reason: o.reason }, 'options');
  // Validate the target in full before connecting (connecting to AWS already calls STS).
  const placeholder = '000000000000';
  const probe: RunRequest = { playbook: playbook as RunRequest['playbook'], target: targetOf(o, o.account ?? placeholder, o.region ?? 'us-east-1'), reason, dryRun: !!o.dryRun };
  planRun(probe);
  const conn = await connect(o);
  const request: RunRequest = { ...probe, target: targetOf(o, o.account ?? conn.defaultAccount, o.region ?? conn.region) };
  const started = await startRun(conn, request);
  const s = style(output);
  const what = `${playbook} on ${describeTarget(request.target)}`;
  if (!o.json) {
    if (started.action === 'attached') {
      output.out(`${s.bold('Attached')} to ${started.caseId ? `open case ${started.caseId} (${started.caseStatus})` : `execution ${started.executionName} (${started.caseStatus})`}: ${what}; nothing new was started.`);
    } else {
      output.out(`${s.bold('Started')} ${what}${request.dryRun ? ' (dry run: no mutating call)' : ''} as ${started.operator}`);
    }
    output.out(`  execution ${started.executionArn}`);
  }
  return finishStarted(conn, started.executionArn, started, o, output);
}

function describeTarget(t: ManualTarget): string {
  const where = `${t.account}/${t.region}`;
  if (t.kind === 'instance') return `instance ${t.instanceId} (${where})`;
  if (t.kind === 'access-key') return `access key ${t.accessKeyId} of user ${t.userName} (${where})`;
  return `role ${t.roleName} (${where})`;
}
