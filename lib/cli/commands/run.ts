import * as z from 'zod';
import { PLAYBOOKS } from '../../core/catalog/catalog';
import { InvalidInput } from '../../core/errors';
import type { Incident } from '../../core/incident/incident';
import { parseOrThrow } from '../../core/incident/normalize';
import { connect, ConnectOptions } from '../../operator/connection';
import { checkRun, NamedTarget, RunRequest, startRun } from '../../operator/run';
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
  playbook: z.enum(PLAYBOOKS).refine((p) => (MANUAL_PLAYBOOKS as readonly string[]).includes(p), {
    message: `only ${MANUAL_PLAYBOOKS.join(' and ')} run on a named target`,
  }),
  reason: ReasonSchema,
});

/**
 * Reads the target options: exactly one of `--instance`, `--access-key` (with `--user`), `--role`; `--account` and
 * `--region` when given (else the connection's, lib/operator/run.ts `locateTarget`).
 * @throws {InvalidInput} naming what is missing or contradictory.
 */
export function targetOf(o: RunCommandOptions): NamedTarget {
  const given = [o.instance && '--instance', o.accessKey && '--access-key', o.role && '--role'].filter(Boolean);
  if (given.length === 0) throw new InvalidInput('a target is required: --instance ID, --access-key ID --user NAME, or --role NAME');
  if (given.length > 1) throw new InvalidInput(`one target only; got ${given.join(' and ')}`);
  if (o.user && !o.accessKey) throw new InvalidInput('--user goes with --access-key');
  const where = { ...(o.account !== undefined && { account: o.account }), ...(o.region !== undefined && { region: o.region }) };
  if (o.instance) return { kind: 'instance', instanceId: o.instance, ...where };
  if (o.accessKey) {
    if (!o.user)
      throw new InvalidInput('--access-key needs --user NAME (UpdateAccessKey needs the user name when called with role credentials)');
    return { kind: 'access-key', accessKeyId: o.accessKey, userName: o.user, ...where };
  }
  return { kind: 'role', roleName: o.role!, ...where };
}

/**
 * `firebreak run <playbook>`: validates everything before any AWS call (exit 2 on bad input), then
 * starts the playbook's state machine on the target, or attaches to its open case
 * (lib/operator/run.ts), and with `--wait` follows it state by state. The target is built once and the run
 * normalised once (by `startRun`, when the connection has told the target's default account and region).
 * @returns 0 when started or attached (with `--wait`: when the execution succeeded), 1 when the
 *   execution failed.
 * @throws {InvalidInput} for a bad playbook, reason or target (before any AWS call).
 */
export async function runCommand(playbook: string, o: RunCommandOptions, output: Output): Promise<number> {
  const { reason } = parseOrThrow(RunOptionsSchema, { playbook, reason: o.reason }, 'options');
  const request: RunRequest = { playbook: playbook as RunRequest['playbook'], target: targetOf(o), reason, dryRun: !!o.dryRun };
  // Validate the target in full before connecting (connecting to AWS already calls STS).
  checkRun(request);
  const conn = await connect(o);
  const started = await startRun(conn, request);
  const s = style(output);
  const what = `${playbook} on ${describeTarget(request.target, started.incident)}`;
  if (!o.json) {
    if (started.action === 'attached') {
      output.out(
        `${s.bold('Attached')} to ${started.caseId ? `open case ${started.caseId} (${started.caseStatus})` : `execution ${started.executionName} (${started.caseStatus})`}: ${what}; nothing new was started.`,
      );
    } else {
      output.out(`${s.bold('Started')} ${what}${request.dryRun ? ' (dry run: no mutating call)' : ''} as ${started.operator}`);
    }
    output.out(`  execution ${started.executionArn}`);
  }
  return finishStarted(conn, started.executionArn, started, o, output);
}

/** The target in words, where it is as the run's incident says (the connection's defaults filled in). */
function describeTarget(t: NamedTarget, at: Pick<Incident, 'account' | 'region'>): string {
  const where = `${at.account}/${at.region}`;
  if (t.kind === 'instance') return `instance ${t.instanceId} (${where})`;
  if (t.kind === 'access-key') return `access key ${t.accessKeyId} of user ${t.userName} (${where})`;
  return `role ${t.roleName} (${where})`;
}
