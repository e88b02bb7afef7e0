import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { answerApproval } from '../../operator/approval';
import { connectLocal, Connection } from '../../operator/connection';
import type { ApprovalRecord } from '../../runtime/ledger/records';
import type { Check } from '../local/checks';
import { verifyUntouched } from '../local/checks';
import type { LocalSession } from '../local/session';
import { taskRunningCheck } from '../local/task-checks';
import type { Injection } from './drill';
import type { InjectionWorld } from './world';

/** What the drill did with one approval request. Times are epoch milliseconds. */
export interface AnsweredApproval {
  readonly caseId: string;
  readonly decision: 'approve' | 'deny';
  /** When the answer was sent (taken just before SendTaskSuccess, after the read-back below). */
  readonly answeredAt: number;
  /** The twin read back while the case waited, each check's name prefixed `awaiting-approval:`. */
  readonly awaiting: Check[];
  /** The injection declared no `approval`: the drill denied the request so the execution could end, and fails the injection. */
  readonly undeclared?: boolean;
  /** Why the answer could not be sent (e.g. the request had timed out). */
  readonly error?: string;
}

/** A running watch: {@link ApprovalWatch.stop} ends it and gives what it answered, in order. */
export interface ApprovalWatch {
  stop(): Promise<AnsweredApproval[]>;
}

/** How often the ledger is read for a new request, in milliseconds: often when the drill expects one. */
const POLL_MS = { declared: 150, undeclared: 1000 } as const;

/**
 * Watches the ledger for approval requests made while an injection runs (a case whose `approval` was requested at or
 * after `since` and has no answer) and answers each once, as a person would with `firebreak approve` / `deny`
 * ({@link answerApproval} through the local stack's endpoint, as its seeded operator): first the twin is read back
 * (the task still running, the instance's groups, profile and snapshots untouched), then the answer is sent.
 * An injection without `approval` that meets a request gets it denied (so the drill does not wait for the approval
 * timeout, an hour by default) and the request is reported `undeclared`, which fails the injection.
 * @param since - ISO-8601 UTC; requests made before it belong to earlier injections.
 * @param world - the injection's twin world, when it is known before the run (the drill builds it first when `approval` is declared).
 */
export function watchApprovals(
  session: LocalSession,
  since: string,
  approval: Injection['approval'],
  world: () => InjectionWorld | undefined,
): ApprovalWatch {
  const answered: AnsweredApproval[] = [];
  const seen = new Set<string>();
  let stopped = false;
  let conn: Promise<Connection> | undefined;
  const answer = async (caseId: string): Promise<AnsweredApproval> => {
    const awaiting = await awaitingChecks(session, world());
    const decision = approval?.decision ?? 'deny';
    const reason = approval?.reason ?? 'the drill declares no approval for this injection: denied so the execution ends';
    try {
      conn ??= connectLocal(session.sfn.endpoint);
      const c = await conn;
      // Taken before the answer is sent: a call the resumed execution makes while SendTaskSuccess returns is after it.
      const answeredAt = Date.now();
      await answerApproval(c, caseId, decision, reason);
      return { caseId, decision, answeredAt, awaiting, undeclared: !approval || undefined };
    } catch (err) {
      return { caseId, decision, answeredAt: Date.now(), awaiting, undeclared: !approval || undefined, error: (err as Error).message };
    }
  };
  const loop = (async () => {
    while (!stopped) {
      // Only the cases of this injection's resource, when the world names it: a watcher outliving its injection (a
      // drill stopped by a test timeout) must never answer another drill's request.
      const own = world()?.taskTwin?.taskArn ?? world()?.twin?.instanceId;
      for (const { caseId, resourceId } of await pendingSince(session, since).catch(() => [])) {
        if (seen.has(caseId) || (own && resourceId !== own)) continue;
        seen.add(caseId);
        answered.push(await answer(caseId));
      }
      await new Promise((r) => setTimeout(r, approval ? POLL_MS.declared : POLL_MS.undeclared).unref());
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return answered;
    },
  };
}

/** Cases with an unanswered approval requested at or after `since` (ISO-8601 UTC), and their resource, read from the ledger table. */
async function pendingSince(session: LocalSession, since: string): Promise<{ caseId: string; resourceId: string }[]> {
  const out: { caseId: string; resourceId: string }[] = [];
  const pages = paginateScan(
    { client: session.env.security.ddb },
    {
      TableName: session.env.ledgerTable,
      FilterExpression: 'sk = :c AND attribute_exists(approval) AND attribute_not_exists(approval.answer)',
      ExpressionAttributeValues: { ':c': 'CASE' },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const a = item.approval as ApprovalRecord | undefined;
      if (a?.taskToken && a.requestedAt >= since) out.push({ caseId: item.caseId as string, resourceId: item.resourceId as string });
    }
  }
  return out;
}

/** The twin read back while its case waits for a person: what an approval mode promises (nothing changed yet). */
async function awaitingChecks(session: LocalSession, world: InjectionWorld | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  if (world?.taskTwin) checks.push(await taskRunningCheck(session.env, world.taskTwin));
  if (world?.twin) checks.push(...(await verifyUntouched(session.env, world.twin)));
  return checks.map((c) => ({ ...c, name: `awaiting-approval:${c.name}` }));
}
