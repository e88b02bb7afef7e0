import { PublishCommand } from '@aws-sdk/client-sns';
import type * as z from 'zod';
import { describeResource, triageCommands } from '../../../core/incident/describe';
import type { NotifyInputSchema } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { findingNoticeKey, runbookOf, subject, summaryOf } from '../notice';
import '../../clients/sns';

/**
 * Notify: publish the case summary to SNS once per case and kind (at least once, deduplicated by the ledger); the
 * notification marks and the step's timeline entry are one write (`CaseLedger.markNotifications`).
 */
export async function notify(
  input: z.infer<typeof NotifyInputSchema>,
  deps: StepDeps,
): Promise<{ published: boolean; messageId?: string }> {
  const state = input.state;
  return runStep('Notify', caseTarget(state, deps.ledger), async (run) => {
    const record = await deps.ledger.getCase(state.case.caseId);
    // `contained` is told once per case; `notify-only` once per finding (a later finding that escalates a
    // notify-only case and still cannot be contained, e.g. root credentials at High, is told too).
    const key = input.kind === 'notify-only' ? `${input.kind}#${state.incident.finding.id}` : input.kind;
    if (record?.notifications?.[key]) return { published: false };
    const out = await deps.clients.security().sns.send(
      new PublishCommand({
        TopicArn: deps.config.topicArn,
        Subject: subject(input.kind, state.incident, state.case.caseId),
        Message: JSON.stringify(
          {
            kind: input.kind,
            caseId: state.case.caseId,
            summary: summaryOf(state.incident, input.kind, state.decision?.reason),
            resource: describeResource(state.incident),
            runbook: runbookOf(state.incident),
            runbookEntry: state.incident.triage?.runbook,
            triage: triageCommands(state.incident, state.case.caseId),
            incident: state.incident,
            revocation: state.revocation,
            evidence: record?.evidence ?? {},
            priorState: record?.priorState ?? {},
          },
          null,
          2,
        ),
        MessageAttributes: {
          caseId: { DataType: 'String', StringValue: state.case.caseId },
          kind: { DataType: 'String', StringValue: input.kind },
        },
      }),
    );
    const result = { published: true, messageId: out.MessageId };
    // Both marks and the timeline entry in one write (the first mark of each stays).
    await deps.ledger.markNotifications(state.case.caseId, [key, findingNoticeKey(state.incident.finding.id)], run.fold(result));
    return result;
  });
}
