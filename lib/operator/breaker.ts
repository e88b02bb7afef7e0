import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Breaker } from '../core/brakes';
import { InvalidInput } from '../core/errors';
import { liveCases } from '../runtime/brakes/breaker';
import type { HeldCase, TimelineEntry } from '../runtime/ledger/ledger';
import { answerApproval } from './approval';
import type { Connection } from './connection';

/**
 * The blast-radius breaker, operated (issue 14: `firebreak breaker status`, `firebreak breaker reset --reason`), over the
 * breaker items of the ledger (lib/runtime/brakes/breaker.ts has their layout).
 */

/** One breaker item as `firebreak breaker status` shows it. */
export interface BreakerItemStatus {
  /** `account` or `organization`. */
  readonly scope: string;
  /** The item's key: `BREAKER#account#<account>` or `BREAKER#organization`. */
  readonly key: string;
  /** Automatic containments counted within the window now. */
  readonly count: number;
  /** The limit of this item and the window, as the last count wrote them (absent before any count). */
  readonly limit?: number;
  readonly windowSeconds?: number;
  /** The cases counted within the window (case ID → when). */
  readonly cases: Record<string, string>;
  /** When the current trip was paged. */
  readonly trippedAt?: string;
}

/** What `firebreak breaker status` shows. */
export interface BreakerStatus {
  readonly items: BreakerItemStatus[];
  /** The cases the breaker holds, with whether each waits for an approval now. */
  readonly held: (HeldCase & { readonly caseStatus?: string; readonly waiting: boolean })[];
}

/** A window the item's recorded limits do not give: the deployment's default (lib/core/brakes.ts). */
const DEFAULT_WINDOW_SECONDS = 3600;

const limitOf = (scope: string, limits: Breaker | undefined) =>
  limits ? (scope === 'organization' ? limits.perOrganization : limits.perAccount) : undefined;

/**
 * The breaker items (counts within their window, limits, trip) and the cases they hold.
 * @returns the status; no items when nothing was ever counted or held.
 */
export async function breakerStatus(conn: Pick<Connection, 'ledger'>, now = new Date()): Promise<BreakerStatus> {
  const { items, held } = await conn.ledger.breaker.list();
  const cases = await Promise.all(held.map((h) => conn.ledger.getCase(h.caseId)));
  return {
    items: items
      .map((i) => {
        const scope = i.scope ?? (i.pk === 'BREAKER#organization' ? 'organization' : 'account');
        const live = liveCases(i, now, i.limits?.windowSeconds ?? DEFAULT_WINDOW_SECONDS);
        return {
          scope,
          key: i.pk,
          count: Object.keys(live).length,
          limit: limitOf(scope, i.limits),
          windowSeconds: i.limits?.windowSeconds,
          cases: live,
          trippedAt: i.trippedAt,
        };
      })
      .sort((a, b) => a.key.localeCompare(b.key)),
    held: held.map((h, n) => ({
      ...h,
      caseStatus: cases[n]?.status,
      waiting: !!cases[n]?.approval?.taskToken && !cases[n]?.approval?.answer,
    })),
  };
}

/** What `firebreak breaker reset` did. */
export interface BreakerReset {
  readonly by: string;
  readonly reason: string;
  /** The breaker items cleared. */
  readonly cleared: string[];
  /** Held cases whose approval was answered `approve` (they proceed). */
  readonly approved: string[];
  /** Held cases already answered (by `firebreak approve` / `deny`, or the timeout): only released from the breaker. */
  readonly answered: string[];
  /** Held cases not waiting for an approval yet (their execution has not reached RequestApproval): still held. */
  readonly notYetWaiting: string[];
}

/**
 * Resets the breaker: clears every item's window and trip (its own timeline records who and why), then lets each held
 * case proceed by answering its pending approval `approve` as the caller with the reason (`answerApproval`:
 * SendTaskSuccess; RecordApproval then puts who and why on the case), with a `BreakerReset` entry on the case's timeline.
 * A held case that is not waiting yet stays held (run the reset again, or approve it); one answered already is released.
 * @param reason - why (required).
 * @throws {InvalidInput} without a reason (before any AWS call).
 */
export async function resetBreaker(conn: Connection, reason: string): Promise<BreakerReset> {
  const why = reason?.trim();
  if (!why) throw new InvalidInput('breaker reset needs --reason TEXT: it goes on the breaker timeline and on each held case');
  const by = (await conn.sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'unknown';
  const { items, held } = await conn.ledger.breaker.list();
  const at = new Date().toISOString();
  const entry = (details: Record<string, unknown>): TimelineEntry => ({
    at,
    step: 'BreakerReset',
    status: 'INFO',
    trigger: 'manual',
    operator: by,
    details,
  });
  await Promise.all(
    items.map((i) => conn.ledger.breaker.clear(i, entry({ reason: why, cleared: Object.keys(i.cases ?? {}).length, held: held.length }))),
  );
  const out: BreakerReset = { by, reason: why, cleared: items.map((i) => i.pk), approved: [], answered: [], notYetWaiting: [] };
  for (const h of held) {
    const record = await conn.ledger.getCase(h.caseId);
    const pending = record?.approval;
    if (!pending?.taskToken || pending.requestedAt < h.heldAt) {
      out.notYetWaiting.push(h.caseId);
      continue;
    }
    if (pending.answer || !(await approveHeld(conn, h, `breaker reset: ${why}`))) out.answered.push(h.caseId);
    else {
      await conn.ledger.appendTimeline(h.caseId, entry({ reason: why, breaker: h.breaker, action: 'approve' }));
      out.approved.push(h.caseId);
    }
    await conn.ledger.breaker.release(h);
  }
  return out;
}

/** Answers a held case's approval `approve`; false when it is no longer open (timed out, execution ended: `InvalidInput`). */
async function approveHeld(conn: Connection, h: HeldCase, reason: string): Promise<boolean> {
  try {
    await answerApproval(conn, h.caseId, 'approve', reason);
    return true;
  } catch (err) {
    if (err instanceof InvalidInput) return false;
    throw err;
  }
}
