import { PublishCommand } from '@aws-sdk/client-sns';
import type * as z from 'zod';
import { describeResource, triageCommands } from '../../../core/incident/describe';
import { workloadCommands } from '../../../core/incident/workload-commands';
import type { NotifyInputSchema } from '../../../core/contracts/state';
import type { CaseRecord, CaseStatus } from '../../ledger/ledger';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { findingNoticeKey, noticeKey, runbookOf, subject, summaryOf, updateLine } from '../notice';
import '../../clients/sns';
import { withCard } from '../../../core/chat-card';
import { cardOf, caseEventOf } from '../chat-cards';
import { putCaseEvent, CaseEventRecord } from '../../case-events';
import { incidentFindingIdentifiers } from '../security-hub-findings';
import { updateFindingWorkflow, WorkflowUpdateRecord } from '../../securityhub/workflow';
import { containmentTimes } from '../../../core/metrics';

/**
 * Notify: publish the case summary to SNS once per case and kind (at least once, deduplicated by the ledger); the
 * notification marks and the step's timeline entry are one write (`CaseLedger.markNotifications`). With `close`
 * (ec2-compromise, issue 13: "one TransactWrite to close a case"), that write also sets the claim's and the case's final
 * status (`CaseLedger.close` with the marks: what CloseCase did as a step of its own), published or not this time: a
 * notification is never skipped, and the case ends exactly as CloseCase ended it (`ClaimLost` when the claim was
 * taken over, the marks written all the same).
 * With the page go its chat card (lib/core/chat-card.ts, in the same Publish) and its `Firebreak Case` event
 * (lib/runtime/case-events.ts); before it, the Security Hub workflow status of the finding (lib/runtime/securityhub/workflow.ts).
 * @returns whether this run published (and the message ID), with `close` the case as closed, and the outcomes of the
 *   Security Hub update and the case event (recorded on the timeline; neither fails the step).
 * @throws {ClaimLost} with `close`, when the claim belongs to another execution now.
 */
export async function notify(
  input: z.infer<typeof NotifyInputSchema>,
  deps: StepDeps,
): Promise<{
  published: boolean;
  messageId?: string;
  closed?: { caseId: string; status: CaseStatus };
  securityHub?: WorkflowUpdateRecord;
  caseEvent?: CaseEventRecord;
}> {
  const state = input.state;
  return runStep('Notify', caseTarget(state, deps.ledger), async (run) => {
    const record = await deps.ledger.getCase(state.case.caseId);
    // Security Hub's workflow status (config `securityHubWorkflow`): read, then a forward change only, so a rerun converges
    // whether or not the page was sent before; never in a dry run; never fails the step (its outcome is on the timeline).
    const securityHub = state.incident.dryRun
      ? undefined
      : await updateFindingWorkflow(() => deps.clients.security().securityHub, {
          mode: deps.config.securityHubWorkflow,
          event: input.kind,
          caseId: state.case.caseId,
          identifiers: incidentFindingIdentifiers(state.incident),
        });
    const withHub = <T extends object>(r: T) => (securityHub ? { ...r, securityHub } : r);
    // `contained` is told once per case; `notify-only` once per finding (a later finding that escalates a
    // notify-only case and still cannot be contained, e.g. root credentials at High, is told too). An update that adds
    // resources to the case (an attack sequence's, `case.update`) is told once per update.
    const key = noticeKey(input.kind === 'notify-only' ? `${input.kind}#${state.incident.finding.id}` : input.kind, state.case.update);
    const marks = [key, findingNoticeKey(state.incident.finding.id)];
    const told = withHub(record?.notifications?.[key] ? { published: false } : await publish(input, record, deps));
    if (input.close) {
      const result = { ...told, closed: { caseId: state.case.caseId, status: input.close } };
      // The marks, the claim, the case and the timeline entry in one TransactWriteItems.
      const newMarks = told.published ? marks : [];
      await deps.ledger.close(state.incident, state.case.caseId, input.close, state.run.executionName, run.fold(result), newMarks);
      return result;
    }
    if (!told.published) return told;
    // Both marks and the timeline entry in one write (the first mark of each stays).
    await deps.ledger.markNotifications(state.case.caseId, marks, run.fold(told));
    return told;
  });
}

/**
 * The contained case's time to isolate and time to contain (lib/core/metrics.ts `containmentTimes`), from the case's
 * `createdAt` and its timeline as recorded so far (one Query; this step's own entry is not written yet). Undefined when
 * the timeline cannot be read: the metrics then count the case without its times, and the page is not held up.
 */
async function timesOf(record: CaseRecord | undefined, deps: StepDeps): Promise<{ isolate?: number; contain?: number } | undefined> {
  if (!record) return undefined;
  try {
    return containmentTimes(record.createdAt, await deps.ledger.timeline(record.caseId));
  } catch {
    return undefined;
  }
}

/** Publishes the case summary (SNS Publish); the case record gives the evidence and the prior state. */
async function publish(
  input: z.infer<typeof NotifyInputSchema>,
  record: CaseRecord | undefined,
  deps: StepDeps,
): Promise<{ published: true; messageId?: string; caseEvent: CaseEventRecord }> {
  const state = input.state;
  const out = await deps.clients.security().sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: subject(input.kind, state.incident, state.case.caseId),
      // The chat card for AWS Chatbot (`https`) and this JSON, unchanged, for every other subscriber (`default`).
      ...withCard(
        JSON.stringify(
          {
            kind: input.kind,
            caseId: state.case.caseId,
            summary:
              updateLine(state.case.update, input.kind === 'contained' ? 'chained' : 'named, nothing chained') +
              summaryOf(state.incident, input.kind, state.judgement?.route === 'notify' ? state.judgement.reason : state.decision?.reason),
            ...(state.case.update ? { update: state.case.update, sequenceChains: state.sequenceChains } : {}),
            resource: describeResource(state.incident),
            runbook: runbookOf(state.incident),
            runbookEntry: state.incident.triage?.runbook,
            triage: [...triageCommands(state.incident, state.case.caseId), ...workloadCommands(state.incident)],
            incident: state.incident,
            revocation: state.revocation,
            // ec2-compromise: the instance role's deny scoped to the instance, or why there is none (a protected role, no profile; issue 15).
            instanceCredentials: state.instanceCredentials,
            // lambda-compromise: the reserved concurrency before, the role revoked or why not (shared: the other functions).
            functionContainment: state.functionContainment,
            // cloudtrail-tamper: whether the change reduced logging, and why the case went where it did (issue 14).
            judgement: state.judgement,
            evidence: record?.evidence ?? {},
            priorState: record?.priorState ?? {},
          },
          null,
          2,
        ),
        cardOf(input.kind === 'contained' ? 'contained' : 'opened', state),
      ),
      MessageAttributes: {
        caseId: { DataType: 'String', StringValue: state.case.caseId },
        kind: { DataType: 'String', StringValue: input.kind },
      },
    }),
  );
  // The `Firebreak Case` event with the page (at least once, as the page; never failing the step: its outcome is recorded).
  const event = input.kind === 'contained' ? 'contained' : 'opened';
  const caseEvent = await putCaseEvent(
    () => deps.clients.security().events,
    deps.config.eventBusName,
    caseEventOf(event, state, input.kind),
    event === 'contained' ? await timesOf(record, deps) : undefined,
  );
  return { published: true, messageId: out.MessageId, caseEvent };
}
