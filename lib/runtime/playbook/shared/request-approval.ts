import { PublishCommand } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { PlaybookState, PlaybookStateSchema } from '../../../core/contracts/state';
import { snsSubject } from '../sns-subject';
import { describeResource } from '../../../core/incident/describe';
import { workloadCommands } from '../../../core/incident/workload-commands';
import { terminalSafe } from '../../../core/text';
import type { Hold } from '../../../core/brakes';
import { timeoutAction } from './approval';
import { updateLine } from '../notice';
import '../../clients/sns';
import { withCard } from '../../../core/chat-card';
import { cardOf, caseEventOf } from '../chat-cards';
import { putCaseEvent, CaseEventRecord } from '../../case-events';
import { pageLine } from '../../../core/page';
import { incidentFindingIdentifiers } from '../security-hub-findings';
import { updateFindingWorkflow, WorkflowUpdateRecord } from '../../securityhub/workflow';
import { emitMetrics } from '../../metrics';
import { METRICS, MetricPoint } from '../../../core/metrics';

/** RequestApproval's input: the Lambda integration's `Payload`. */
export const RequestApprovalInputSchema = z.object({ state: PlaybookStateSchema, taskToken: z.string().check(z.minLength(1)) });

/**
 * RequestApproval: records the pending approval (task token, deadline, and the brake's hold when one held an automatic
 * containment: issue 14) on the case, so the CLI can answer it, and notifies once per request (per execution: a
 * notify-only case escalated by a later finding asks, and pages, again) with the case and the exact commands.
 * A case the blast-radius breaker held pages nobody on its own: the breaker's trip is paged once
 * ({@link pageBreakerTrip}), however many cases it holds. A re-run (new execution after a crash) records its own token:
 * only the latest one can be answered. With the approval request's page, the finding's Security Hub workflow status goes
 * NOTIFIED (lib/runtime/securityhub/workflow.ts: config `securityHubWorkflow`, forward only; recorded as `securityHub`).
 * @param timeoutSeconds - the task's TimeoutSeconds (the deployment's `approvalTimeoutSeconds`).
 * @returns `{ requested: true, expiresAt }` (the task then waits for the token).
 */
export async function requestApproval(
  input: z.infer<typeof RequestApprovalInputSchema>,
  deps: StepDeps,
): Promise<{ requested: true; expiresAt: string }> {
  const { state, taskToken } = input;
  const caseId = state.case.caseId;
  const hold = state.decision?.hold;
  // The `Firebreak Case` event put with the page, and the Security Hub update, for the step's timeline entry.
  let caseEvent: CaseEventRecord | undefined;
  let securityHub: WorkflowUpdateRecord | undefined;
  let metricsError: string | undefined;
  return runStep(
    'RequestApproval',
    caseTarget(state, deps.ledger),
    async () => {
      const now = deps.now();
      const expiresAt = new Date(now.getTime() + deps.config.approvalTimeoutSeconds * 1000).toISOString();
      const onTimeout = timeoutAction(state, deps);
      await deps.ledger.putApprovalRequest(caseId, {
        taskToken,
        executionName: state.run.executionName,
        requestedAt: now.toISOString(),
        expiresAt,
        onTimeout,
        ...(hold ? { hold } : {}),
      });
      // One page per request (per execution): a later execution of the case (a notify-only case escalated by a new
      // finding, a re-run) asks again, and a mark per case would leave its request unpaged.
      const mark = `approval-request#${state.run.executionName}`;
      // A held case is counted once its request is recorded and paged (the breaker: its trip, paged once per trip).
      if (hold?.brake === 'breaker') {
        await pageBreakerTrip(state, hold, deps);
        metricsError = emitHeldMetrics(state, hold, deps);
      } else {
        // A person is asked: the finding's Security Hub workflow goes NOTIFIED with the page (config
        // `securityHubWorkflow`; read first, forward only: never over SUPPRESSED or RESOLVED), on every run (a re-run
        // sends only GetFindings); never in a dry run; never fails the step (its outcome is on the timeline).
        securityHub = state.incident.dryRun
          ? undefined
          : await updateFindingWorkflow(() => deps.clients.security().securityHub, {
              mode: deps.config.securityHubWorkflow,
              event: 'approval-requested',
              caseId,
              identifiers: incidentFindingIdentifiers(state.incident),
            });
        if (!(await deps.ledger.getCase(caseId))?.notifications?.[mark]) {
          // Paged, then marked: a publish that fails (throttled) fails the step, and its retry pages again. Marking
          // first would make the retry skip the page, and the case would wait for an answer nobody was asked for.
          caseEvent = await pageApprovalRequest(state, { expiresAt, onTimeout, hold }, deps);
          if (hold) metricsError = emitHeldMetrics(state, hold, deps);
          await deps.ledger.markNotified(caseId, mark);
        }
      }
      return { requested: true as const, expiresAt };
    },
    (r) => ({
      ...r,
      ...(hold ? { hold } : {}),
      ...(caseEvent ? { caseEvent } : {}),
      ...(securityHub ? { securityHub } : {}),
      ...(metricsError ? { metricsError } : {}),
    }),
  );
}

/** EMF metadata of a case's metrics: the IDs that must never be dimensions. */
function metadataOf(state: PlaybookState): Record<string, string> {
  const i = state.incident;
  return { caseId: state.case.caseId, account: i.account, region: i.region, resourceId: i.resource.id, findingType: i.finding.type };
}

/**
 * `HeldCases` by brake, once a held case's approval request is recorded and paged (at least once: a RequestApproval that
 * dies after this and is retried counts again);
 * for a breaker hold, whose case puts no `Firebreak Case` event (the trip's page is its only page), `Cases` with outcome
 * `approval-request` too. Never throws (lib/runtime/metrics.ts).
 * @returns the error's message when the metrics could not be emitted.
 */
function emitHeldMetrics(state: PlaybookState, hold: Hold, deps: StepDeps): string | undefined {
  const points: MetricPoint[] = [{ metric: METRICS.heldCases, value: 1, dimensions: { brake: hold.brake } }];
  if (hold.brake === 'breaker')
    points.push({ metric: METRICS.cases, value: 1, dimensions: { playbook: state.incident.playbook, outcome: 'approval-request' } });
  return emitMetrics(deps.config.eventBusName, points, metadataOf(state));
}

/**
 * For a node that hosts the pod or task a finding names (catalog `container-node-high`): the workload, and the kubectl
 * steps for the pod that a person runs whatever the answer (runbooks/findings/runtime.md).
 */
function workloadLines(i: PlaybookState['incident']): string[] {
  const commands = workloadCommands(i);
  // ecs-task-compromise: what a person may do after the stop (the service, the container instance); Firebreak does neither.
  if (i.resource.type === 'EcsTask') return commands.length ? ['The task and, after the stop, by hand:', ...commands] : [];
  if (i.resource.type !== 'Instance' || !i.resource.workload) return [];
  return [
    `Workload: ${describeResource(i)}.`,
    ...(commands.length ? ['The workload, by hand (capture before anything is deleted; never delete the pod first):', ...commands] : []),
  ];
}

/**
 * What a person is asked to approve, and what happens without an answer, in the playbook's own terms. A
 * cloudtrail-tamper case contains no resource: approving restores logging and revokes the change's actor, and an
 * unanswered request (timeout action `contain`) restores logging and revokes nobody; asked before the judgement
 * (catalog `approval` mode), approving lets JudgeTrailChange route it (runbooks/cloudtrail-tamper/runbook.md, the
 * `unknown` row; route.ts). Every other playbook contains the resource.
 * @param where - the resource, in the page's text (`<id> in <account>/<region>`); absent in the chat card, whose note
 * carries Firebreak's words only (the card shows the resource made inert).
 * @returns `before`: what the case waits to do (after "waits for approval before"); `withoutAnswer`: what the case is
 * when nobody answers (after "the case is").
 */
export function approvalWords(
  state: PlaybookState,
  onTimeout: 'contain' | 'notify',
  where?: string,
): { before: string; withoutAnswer: string } {
  const notify = onTimeout === 'notify' ? 'notify-only' : undefined;
  if (state.incident.playbook !== 'cloudtrail-tamper')
    return { before: `containing ${where ?? 'the resource'}`, withoutAnswer: notify ?? 'contained' };
  if (state.judgement)
    return {
      before: `restoring logging${where ? ` on ${where}` : ''} and revoking the change's actor (whether the change reduces logging cannot be told)`,
      withoutAnswer: notify ?? 'restored (logging restarted, nobody revoked)',
    };
  return {
    before: `judging the change${where ? ` to ${where}` : ''} (a change that reduces logging: logging restored, its actor revoked)`,
    withoutAnswer: notify ?? 'judged (a change that reduces logging: logging restored, its actor revoked)',
  };
}

/** The approval request's page (the case, why it waits, and the exact commands) and its `Firebreak Case` event; returns the event's record. */
async function pageApprovalRequest(
  state: PlaybookState,
  r: { expiresAt: string; onTimeout: 'contain' | 'notify'; hold?: Hold },
  deps: StepDeps,
): Promise<CaseEventRecord> {
  const i = state.incident;
  const caseId = state.case.caseId;
  const words = approvalWords(state, r.onTimeout, `${i.resource.id} in ${i.account}/${i.region}`);
  const said = approvalWords(state, r.onTimeout);
  await deps.clients.security().sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: snsSubject(`[Firebreak] ${caseId} approval needed: ${describeResource(i)} (${i.finding.type})`),
      // Plain text, not JSON (e-mail stays readable): what the member account shaped (the resource ID, the finding type) is
      // escaped as the CLI does; the last line says the page's kind and case (lib/core/page.ts).
      // The chat card for AWS Chatbot (`https`) and this text, unchanged, for every other subscriber (`default`).
      ...withCard(
        terminalSafe(
          [
            `Case ${caseId} (${i.playbook}) waits for approval before ${words.before}.`,
            ...(r.hold ? [`Held: ${r.hold.reason}.`] : []),
            ...(state.case.update ? [updateLine(state.case.update, 'waiting for this approval').trim()] : []),
            `Finding: ${i.finding.type}${i.finding.severity !== undefined ? `, severity ${i.finding.severity}` : ''} (${i.finding.id}).`,
            ...(state.judgement ? [`Why: ${state.judgement.reason}.`] : []),
            ...workloadLines(i),
            `Approve:  firebreak approve ${caseId} --reason "..."`,
            `Deny:     firebreak deny ${caseId} --reason "..."`,
            `Without an answer by ${r.expiresAt}, the case is ${words.withoutAnswer}.`,
            `Runbook: runbooks/${i.playbook}/runbook.md`,
            // The kind and the case in the body (lib/core/page.ts): SNS drops the attributes of a carded page.
            pageLine('approval-request', caseId),
          ].join('\n'),
        ),
        cardOf('approval-requested', state, `Waits for approval before ${said.before}, until ${r.expiresAt}; then ${said.withoutAnswer}.`),
      ),
      MessageAttributes: {
        caseId: { DataType: 'String', StringValue: caseId },
        kind: { DataType: 'String', StringValue: 'approval-request' },
      },
    }),
  );
  return putCaseEvent(
    () => deps.clients.security().events,
    deps.config.eventBusName,
    caseEventOf('approval-requested', state, 'approval-request'),
  );
}

/**
 * The blast-radius breaker's page, once per trip (issue 14): the first held case to reach RequestApproval marks the
 * breaker item (`trippedAt`, set only when absent; the next count admitted or a reset removes it) and pages
 * (`kind: breaker-tripped`); every other held case only records its approval token. At least once: a failed publish
 * takes the mark back, and a retry of the marking case whose page was never confirmed (it died between the mark and
 * the page) marks and pages again (`BreakerLedger.markTripped`).
 */
async function pageBreakerTrip(state: PlaybookState, hold: Hold, deps: StepDeps): Promise<void> {
  const trippedAt = await deps.ledger.breaker.markTripped(hold.entry, { rule: hold.rule, reason: hold.reason, caseId: state.case.caseId });
  if (!trippedAt) return;
  try {
    await publishBreakerTrip(state, hold, deps);
  } catch (err) {
    // Unsent (throttled): take the mark back so the step's retry pages; else the trip would never reach a person.
    await deps.ledger.breaker.unmarkTripped(hold.entry, trippedAt);
    throw err;
  }
  // One `BreakerTrips` per trip, with its page (at least once, as the page).
  emitMetrics(deps.config.eventBusName, [{ metric: METRICS.breakerTrips, value: 1, dimensions: {} }], {
    ...metadataOf(state),
    rule: hold.rule,
  });
  // Sent: no retry of this case pages again. A crash before this line leaves the mark this case's retry takes again.
  await deps.ledger.breaker.confirmTripped(hold.entry, trippedAt);
}

/** The breaker trip's page (`kind: breaker-tripped`). */
async function publishBreakerTrip(state: PlaybookState, hold: Hold, deps: StepDeps): Promise<void> {
  const i = state.incident;
  await deps.clients.security().sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: snsSubject(`[Firebreak] blast-radius breaker tripped (${hold.rule}): automatic containment paused`),
      // The held case's approval-requested card for AWS Chatbot (`https`) and this text, unchanged, for every other
      // subscriber (`default`): the trip's page is the only one a held case gets.
      ...withCard(
        terminalSafe(
          [
            `${hold.reason}.`,
            `Case ${state.case.caseId} (${describeResource(i)}, ${i.finding.type} in ${i.account}/${i.region}) and every later one wait for approval; this page is sent once per trip.`,
            `See:      firebreak breaker status`,
            `Resume:   firebreak breaker reset --reason "..."   (approves every held case)`,
            `Or each:  firebreak approve <caseId> / firebreak deny <caseId> --reason "..."`,
            pageLine('breaker-tripped', state.case.caseId),
          ].join('\n'),
        ),
        cardOf(
          'approval-requested',
          state,
          `Blast-radius breaker tripped (${hold.rule}): automatic containment paused; this and every later case wait for approval (firebreak breaker status; firebreak breaker reset --reason "..." approves every held case).`,
        ),
      ),
      MessageAttributes: {
        caseId: { DataType: 'String', StringValue: state.case.caseId },
        kind: { DataType: 'String', StringValue: 'breaker-tripped' },
      },
    }),
  );
}
