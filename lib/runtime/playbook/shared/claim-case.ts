import { PublishCommand } from '@aws-sdk/client-sns';
import type { LinkedEvent } from '../../evidence/vault';
import { describeResource, triageCommands } from '../../../core/incident/describe';
import type { PreClaimState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { findingNoticeKey, foundLine, runbookOf, subject } from './notice';
import '../../clients/sns';

/**
 * Claim: one case per (playbook, account, region, instance), by DynamoDB conditional write. A dry
 * run claims nothing and writes nothing.
 * @returns `{ caseId, status }` for `$.case`.
 */
export async function claimCase(
  state: PreClaimState,
  deps: StepDeps,
): Promise<{ caseId: string; status: 'CLAIMED' | 'RESUMED' | 'ALREADY_HANDLED' | 'DRY_RUN' }> {
  if (state.incident.dryRun) return { caseId: `dry-run-${state.incident.finding.id}`, status: 'DRY_RUN' };
  const claim = await deps.ledger.claim(state.incident, state.run.executionName, deps.config.claimLeaseSeconds);
  // The stored event is evidence of the case it reached (also when it attaches to an open case). Written beside the
  // rest: neither write depends on the other (issue 13: one sequential call less before containment).
  const linked = state.event
    ? deps.ledger.linkEvent(claim.caseId, {
        ...state.event,
        findingId: state.incident.finding.id,
        linkedAt: deps.now().toISOString(),
      } satisfies LinkedEvent)
    : Promise.resolve();
  await Promise.all([linked, recordClaim(state, claim, deps)]);
  return { caseId: claim.caseId, status: claim.status };
}

/** The Claim entry on the case's timeline, or, for a finding that attached to an open case, its notice. */
async function recordClaim(
  state: PreClaimState,
  claim: { caseId: string; status: 'CLAIMED' | 'RESUMED' | 'ALREADY_HANDLED' },
  deps: StepDeps,
): Promise<void> {
  if (claim.status !== 'ALREADY_HANDLED') {
    await deps.ledger.appendTimeline(claim.caseId, {
      at: deps.now().toISOString(),
      step: 'Claim',
      status: 'SUCCEEDED',
      executionName: state.run.executionName,
      trigger: state.incident.trigger,
      details: {
        outcome: claim.status,
        findingId: state.incident.finding.id,
        findingType: state.incident.finding.type,
        severity: state.incident.finding.severity,
        eventId: state.incident.eventId,
      },
    });
  } else {
    await notifyAttachedFinding(state, claim.caseId, deps);
  }
}

/**
 * Never silent: a finding that attaches to an open case without running the playbook again (a different
 * finding about the same resource: a Medium finding on an instance whose case is notify-only, a second
 * finding while the first is contained or in progress) is told to a person once, as an `attached`
 * notification on the case. Repeats of a finding the case already told about (GuardDuty raising
 * `service.count`), starts by hand and chained starts publish nothing. At least once: published, then
 * recorded in the ledger; a retry after a crash in between publishes again.
 */
async function notifyAttachedFinding(state: PreClaimState, caseId: string, deps: StepDeps): Promise<void> {
  const i = state.incident;
  if (i.finding.id.startsWith('manual/')) return;
  const record = await deps.ledger.getCase(caseId);
  if (!record || record.incident.finding.id === i.finding.id || record.notifications?.[findingNoticeKey(i.finding.id)]) return;
  const summary =
    `${foundLine(i)}: attached to open case ${caseId} (${record.status}); the playbook did not run again for it. ` +
    `${i.triage && !i.triage.containable ? i.triage.why : 'Review it with the case.'}`;
  await deps.clients.security().sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: subject('attached', i, caseId),
      Message: JSON.stringify(
        {
          kind: 'attached',
          caseId,
          caseStatus: record.status,
          summary,
          resource: describeResource(i),
          runbook: runbookOf(i),
          runbookEntry: i.triage?.runbook,
          triage: triageCommands(i, caseId),
          incident: i,
        },
        null,
        2,
      ),
      MessageAttributes: { caseId: { DataType: 'String', StringValue: caseId }, kind: { DataType: 'String', StringValue: 'attached' } },
    }),
  );
  await deps.ledger.markNotified(caseId, findingNoticeKey(i.finding.id));
  await deps.ledger.appendTimeline(caseId, {
    at: deps.now().toISOString(),
    step: 'Claim',
    status: 'INFO',
    executionName: state.run.executionName,
    trigger: i.trigger,
    details: { notified: 'attached', findingId: i.finding.id, findingType: i.finding.type, severity: i.finding.severity },
  });
}
