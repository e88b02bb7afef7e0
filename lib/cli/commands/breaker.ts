import { breakerStatus, BreakerStatus, resetBreaker } from '../../operator/breaker';
import { connect, ConnectOptions } from '../../operator/connection';
import { InvalidInput } from '../../core/errors';
import { ExitCode, Output } from '../output';

/** Options of `firebreak breaker status` and `reset`. */
export interface BreakerCommandOptions extends ConnectOptions {
  readonly reason?: string;
  readonly json?: boolean;
}

/** The status as lines: each breaker item (count / limit in its window, trip), then the held cases. */
export function renderBreakerStatus(s: BreakerStatus): string[] {
  if (!s.items.length && !s.held.length) return ['No automatic containment counted yet: the breaker has no items.'];
  const lines = s.items.map((i) => {
    const limit = i.limit === undefined ? '' : ` of ${i.limit}`;
    const window = i.windowSeconds === undefined ? '' : ` in the last ${i.windowSeconds} s`;
    return `${i.key}: ${i.count}${limit}${window}${i.trippedAt ? `, TRIPPED (paged ${i.trippedAt})` : ''}`;
  });
  lines.push(s.held.length ? `Held cases (${s.held.length}):` : 'Held cases: none');
  for (const h of s.held)
    lines.push(
      `  ${h.caseId}  ${h.playbook} ${h.resourceId} in ${h.account}  held ${h.heldAt}  ${h.waiting ? 'waits for approval' : `status ${h.caseStatus ?? '?'}`}`,
    );
  return lines;
}

/**
 * `firebreak breaker status`: the breaker items and the cases they hold (lib/operator/breaker.ts).
 * @returns 0.
 */
export async function breakerStatusCommand(o: BreakerCommandOptions, output: Output): Promise<number> {
  const status = await breakerStatus(await connect(o));
  if (o.json) output.out(JSON.stringify(status, null, 2));
  else for (const line of renderBreakerStatus(status)) output.out(line);
  return ExitCode.Ok;
}

/**
 * `firebreak breaker reset --reason TEXT`: clears the breaker and lets the held cases proceed, approved as the caller.
 * @returns 0.
 * @throws {InvalidInput} without `--reason` (before any AWS call).
 */
export async function breakerResetCommand(o: BreakerCommandOptions, output: Output): Promise<number> {
  if (!o.reason?.trim()) throw new InvalidInput('breaker reset needs --reason TEXT: it goes on the breaker timeline and on each held case');
  const done = await resetBreaker(await connect(o), o.reason);
  if (o.json) output.out(JSON.stringify(done, null, 2));
  else {
    output.out(`Reset the breaker as ${done.by}: ${done.cleared.length} item(s) cleared, ${done.approved.length} held case(s) approved.`);
    for (const c of done.approved) output.out(`  approved ${c}: containment goes ahead`);
    for (const c of done.answered) output.out(`  ${c}: already answered, released from the breaker`);
    for (const c of done.notYetWaiting) output.out(`  ${c}: not waiting for approval yet, still held (reset again, or approve it)`);
  }
  return ExitCode.Ok;
}
