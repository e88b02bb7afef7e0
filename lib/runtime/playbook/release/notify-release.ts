import { PublishCommand } from '@aws-sdk/client-sns';
import type { StepDeps } from '../deps-base';
import { runStep } from '../run-step';
import { ReleaseState } from '../../../core/contracts/state';
import { snsSubject } from '../sns-subject';
import { RELEASE_RUNBOOK } from './failure';
import { releaseTarget, restoreOf } from './common';
import '../../clients/sns';
import { caseCard, withCard } from '../../../core/chat-card';
import { putCaseEvent, CaseEventRecord } from '../../case-events';
import { caseFindingIdentifiers } from '../security-hub-findings';
import { updateFindingWorkflow, WorkflowUpdateRecord } from '../../securityhub/workflow';

/**
 * NotifyRelease: publishes the release to SNS once per case (`notifications.released`): who released
 * what, why, what was restored and what was not (e.g. a console password, an address released since).
 */
export async function notifyRelease(
  state: ReleaseState,
  deps: StepDeps,
): Promise<{ published: boolean; messageId?: string; securityHub?: WorkflowUpdateRecord; caseEvent?: CaseEventRecord }> {
  const restore = restoreOf(state);
  return runStep('NotifyRelease', releaseTarget(state, deps), async () => {
    const record = await deps.ledger.getCase(state.case.caseId);
    // Security Hub: every GuardDuty finding of the case RESOLVED (config `securityHubWorkflow`), read first, forward only.
    const securityHub = record
      ? await updateFindingWorkflow(() => deps.clients.security().securityHub, {
          mode: deps.config.securityHubWorkflow,
          event: 'released',
          caseId: record.caseId,
          identifiers: caseFindingIdentifiers(record.incident, record.findingIds ?? []),
        })
      : undefined;
    const withHub = <T extends object>(r: T) => (securityHub ? { ...r, securityHub } : r);
    if (record?.notifications?.released) return withHub({ published: false });
    const c = state.case;
    const out = await deps.clients.security().sns.send(
      new PublishCommand({
        TopicArn: deps.config.topicArn,
        Subject: snsSubject(`[Firebreak] ${c.caseId} released: ${c.resourceId} (${c.playbook})`),
        // The chat card for AWS Chatbot (`https`) and this JSON, unchanged, for every other subscriber (`default`).
        ...withCard(
          JSON.stringify(
            {
              kind: 'released',
              caseId: c.caseId,
              playbook: c.playbook,
              account: c.account,
              region: c.region,
              resourceId: c.resourceId,
              operator: state.release.operator,
              reason: state.release.reason,
              previousStatus: c.previousStatus,
              restored: restore.actions ?? [],
              notRestored: restore.notRestored ?? [],
              nothing: restore.nothing,
              evidence: record?.evidence ?? {},
              runbook: RELEASE_RUNBOOK,
            },
            null,
            2,
          ),
          caseCard({
            event: 'released',
            caseId: c.caseId,
            playbook: c.playbook,
            account: c.account,
            region: c.region,
            resourceId: c.resourceId,
            note: `Restored ${(restore.actions ?? []).length} change(s); ${(restore.notRestored ?? []).length} not restored.`,
          }),
        ),
        MessageAttributes: { caseId: { DataType: 'String', StringValue: c.caseId }, kind: { DataType: 'String', StringValue: 'released' } },
      }),
    );
    // The `Firebreak Case` event with the page (never failing the step: its outcome is recorded).
    const caseEvent = await putCaseEvent(() => deps.clients.security().events, deps.config.eventBusName, {
      event: 'released',
      caseId: c.caseId,
      outcome: 'released',
      playbook: c.playbook,
      account: c.account,
      region: c.region,
      ...(record ? { finding: { id: record.incident.finding.id, type: record.incident.finding.type } } : {}),
      resource: { type: record?.incident.resource.type ?? 'Unknown', id: c.resourceId },
    });
    await deps.ledger.markNotified(c.caseId, 'released');
    return withHub({ published: true, messageId: out.MessageId, caseEvent });
  });
}
