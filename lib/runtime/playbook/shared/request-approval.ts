import { PublishCommand } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { PlaybookStateSchema } from '../../../core/contracts/state';
import { snsSubject } from '../sns-subject';
import { describeResource } from '../../../core/incident/describe';
import { terminalSafe } from '../../../core/text';
import { timeoutAction } from './approval';
import '../../clients/sns';

/** RequestApproval's input: the Lambda integration's `Payload`. */
export const RequestApprovalInputSchema = z.object({ state: PlaybookStateSchema, taskToken: z.string().check(z.minLength(1)) });

/**
 * RequestApproval: records the pending approval (task token, deadline) on the case, so the CLI can
 * answer it, and notifies once with the case and the exact commands. A re-run (new execution after a
 * crash) records its own token: only the latest one can be answered.
 * @param timeoutSeconds - the task's TimeoutSeconds (the deployment's `approvalTimeoutSeconds`).
 * @returns `{ requested: true, expiresAt }` (the task then waits for the token).
 */
export async function requestApproval(
  input: z.infer<typeof RequestApprovalInputSchema>,
  deps: StepDeps,
): Promise<{ requested: true; expiresAt: string }> {
  const { state, taskToken } = input;
  const caseId = state.case.caseId;
  return runStep('RequestApproval', caseTarget(state, deps.ledger), async () => {
    const now = deps.now();
    const expiresAt = new Date(now.getTime() + deps.config.approvalTimeoutSeconds * 1000).toISOString();
    const onTimeout = timeoutAction(state, deps);
    await deps.ledger.putApprovalRequest(caseId, {
      taskToken,
      executionName: state.run.executionName,
      requestedAt: now.toISOString(),
      expiresAt,
      onTimeout,
    });
    if (await deps.ledger.markNotified(caseId, 'approval-request')) {
      const i = state.incident;
      await deps.clients.security().sns.send(
        new PublishCommand({
          TopicArn: deps.config.topicArn,
          Subject: snsSubject(`[Firebreak] ${caseId} approval needed: ${describeResource(i)} (${i.finding.type})`),
          // Plain text, not JSON: what the member account shaped (the resource ID, the finding type) is escaped as the CLI does.
          Message: terminalSafe(
            [
              `Case ${caseId} (${i.playbook}) waits for approval before containing ${i.resource.id} in ${i.account}/${i.region}.`,
              `Finding: ${i.finding.type}${i.finding.severity !== undefined ? `, severity ${i.finding.severity}` : ''} (${i.finding.id}).`,
              ...(state.judgement ? [`Why: ${state.judgement.reason}.`] : []),
              `Approve:  firebreak approve ${caseId} --reason "..."`,
              `Deny:     firebreak deny ${caseId} --reason "..."`,
              `Without an answer by ${expiresAt}, the case is ${onTimeout === 'notify' ? 'notify-only' : state.judgement ? 'restored (logging restarted, nobody revoked)' : 'contained'}.`,
              `Runbook: runbooks/${i.playbook}/runbook.md`,
            ].join('\n'),
          ),
          MessageAttributes: {
            caseId: { DataType: 'String', StringValue: caseId },
            kind: { DataType: 'String', StringValue: 'approval-request' },
          },
        }),
      );
    }
    return { requested: true as const, expiresAt };
  });
}
