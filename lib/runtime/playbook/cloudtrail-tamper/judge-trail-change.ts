import type * as z from 'zod';
import { automationPrincipalOf } from '../../../core/automation-principals';
import type { PlaybookState } from '../../../core/contracts/state';
import type { TrailJudgementSchema } from '../../../core/contracts/containment-results';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { readBaseline, readTrail, storeBaseline, trailArnOf, usableBaseline } from './baseline';
import { Judgement, judgeTrailChange } from './judge';
import { apiCall } from './restore';
import { routeOf } from './route';
import '../../clients/assume-role';

/** What JudgeTrailChange returns (`$.judgement`). */
export type TrailJudgement = z.infer<typeof TrailJudgementSchema>;

/** The key of the judgement in the case's `decisions` (fixed once per case). */
export const JUDGEMENT_DECISION = 'tamperJudgement';

/**
 * JudgeTrailChange (cloudtrail-tamper, issue 14): judges whether the call reduces logging (judge.ts) and routes the case:
 * reductions are contained (or, by a known automation principal, restored and notified), increases and no change are
 * notify-only, and what cannot be told goes to a person (approval) and never revokes on its own (route.ts).
 *
 * One round of reads, in parallel: the case (a judgement already recorded on it is reused, so a re-run after a crash
 * routes as the first run did, never against the baseline that run wrote), the trail's stored baseline (baseline.ts) and,
 * for a trail that still exists, its configuration now (GetTrail, GetEventSelectors: read-only in the member account; a
 * trail found gone marks its baseline `gone`, so that a trail re-created under the name is not judged against it).
 * Then the judgement is recorded on the case (first one wins) and, after it, the configuration read becomes the trail's
 * baseline: in that order, so that a crash between the two leaves the judgement to the re-run (in the other order the
 * re-run would find a baseline read after the call, and ask a person).
 * The step's timeline entry holds the judgement and the route. A case routed to notify-only or to approval is taken out
 * of the blast-radius breaker's windows, where Decide counted it (`BreakerLedger.uncount`, lib/runtime/ledger/breaker.ts).
 * @returns the verdict, the changes found, the route and why, and the automation principal the actor matched, if any.
 * @throws the SDK's errors (mapped by the handler) when a read or write fails.
 */
export async function judgeTrailChangeStep(state: PlaybookState, deps: StepDeps): Promise<TrailJudgement> {
  const r = apiCall(state);
  const i = state.incident;
  return runStep('JudgeTrailChange', caseTarget(state, deps.ledger), async () => {
    const { ddb } = deps.clients.security();
    const trail = r.eventSource === 'cloudtrail.amazonaws.com' && r.target ? r.target : undefined;
    const arn = trail ? trailArnOf(trail, i) : undefined;
    const [record, stored, now] = await Promise.all([
      deps.ledger.getCase(state.case.caseId),
      arn ? readBaseline(ddb, deps.config.ledgerTable, arn) : undefined,
      trail ? readTrail(deps.clients.member(i.account, i.region).cloudtrail, trail) : undefined,
    ]);
    const recorded = record?.decisions?.[JUDGEMENT_DECISION] as Judgement | undefined;
    const judgement =
      recorded ??
      (await deps.ledger.recordDecision(
        state.case.caseId,
        JUDGEMENT_DECISION,
        judgeTrailChange(r, usableBaseline(stored, r.callTime, i.eventTime)),
      ));
    const readAt = deps.now().toISOString();
    if (now) await storeBaseline(ddb, deps.config.ledgerTable, now.trailArn, { ...now.config, readAt, caseId: state.case.caseId });
    else if (arn && stored && !stored.gone)
      await storeBaseline(ddb, deps.config.ledgerTable, arn, {
        settings: {},
        selectors: [],
        readAt,
        caseId: state.case.caseId,
        gone: true,
      });
    const automationPrincipal = automationPrincipalOf(deps.config.tamperAutomationPrincipals, r.actor);
    const outcome = state.approvalOutcome;
    const { route, reason } = routeOf(judgement.verdict, automationPrincipal !== undefined, {
      asked: state.approval !== undefined,
      approvedByPerson: outcome?.action === 'contain' && outcome.decision === 'approve' && outcome.by !== 'timeout',
    });
    // Decide counted the case on the blast-radius breaker as a containment; a case routed to notify-only or to a person
    // contains nothing automatically, so it gives its place back (issue 14).
    if (route === 'notify' || route === 'approval') await deps.ledger.breaker.uncount(i.account, state.case.caseId);
    return { ...judgement, route, reason, baselineFound: stored !== undefined, ...(automationPrincipal ? { automationPrincipal } : {}) };
  });
}
