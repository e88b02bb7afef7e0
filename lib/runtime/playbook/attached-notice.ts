import { PublishCommand } from '@aws-sdk/client-sns';
import { describeResource, triageCommands } from '../../core/incident/describe';
import { workloadCommands } from '../../core/incident/workload-commands';
import type { PreClaimState } from '../../core/contracts/state';
import type { StepDeps } from './deps-base';
import { findingNoticeKey, foundLine, runbookOf, subject } from './notice';
import '../clients/sns';
import { withCard } from '../../core/chat-card';
import { cardOf } from './chat-cards';

/**
 * Never silent: a finding that attaches to an open case without running the playbook again (a different
 * finding about the same resource: a Medium finding on an instance whose case is notify-only, a second
 * finding while the first is contained or in progress) is told to a person once, as an `attached`
 * notification on the case. Repeats of a finding the case already told about (GuardDuty raising
 * `service.count`), starts by hand and chained starts publish nothing. At least once: published, then
 * recorded in the ledger; a retry after a crash in between publishes again.
 */
export async function notifyAttachedFinding(state: PreClaimState, caseId: string, deps: StepDeps): Promise<void> {
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
      // The chat card for AWS Chatbot (`https`) and this JSON, unchanged, for every other subscriber (`default`).
      ...withCard(
        JSON.stringify(
          {
            kind: 'attached',
            caseId,
            caseStatus: record.status,
            summary,
            resource: describeResource(i),
            runbook: runbookOf(i),
            runbookEntry: i.triage?.runbook,
            triage: [...triageCommands(i, caseId), ...workloadCommands(i)],
            incident: i,
          },
          null,
          2,
        ),
        cardOf(
          'attached',
          { incident: i, case: { caseId } },
          `Attached to open case ${caseId} (${record.status}); the playbook did not run again for it.`,
        ),
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
