import { PublishCommand } from '@aws-sdk/client-sns';
import type * as z from 'zod';
import { ClaimLost } from '../../../core/errors';
import type { CaseRecord, CaseStatus, TimelineEntry } from '../../ledger/ledger';
import { isMutatingOperation } from '../../telemetry';
import type { StepDeps } from '../deps-base';
import { CaseIdSchema, FailureInputSchema } from '../../../core/contracts/state';
import { snsSubject } from '../sns-subject';
import '../../clients/sns';
import { caseCard, ChatbotCard, withCard } from '../../../core/chat-card';

/**
 * RecordFailure for the release playbook: the shared `record-failure` step (lib/runtime/playbook/shared/record-failure.ts)
 * hands a release state here, so that its Lambda carries this module and none of release's steps.
 */

/** The runbook of the release playbook, named in its notifications. */
export const RELEASE_RUNBOOK = 'runbooks/release/runbook.md';

/** The services whose calls change a member account (as opposed to the ledger, SNS or STS). */
const MEMBER_SERVICES = ['EC2.', 'IAM.', 'AutoScaling.', 'ElasticLoadBalancingV2.', 'CloudTrail.'];

/** Whether the timeline shows a call that changes a member account made by this execution (attempted, failed ones included). */
function changedMemberAccount(timeline: readonly TimelineEntry[], executionName: string | undefined): boolean {
  if (!executionName) return false;
  return timeline
    .filter((t) => t.executionName === executionName)
    .some((t) => Object.keys(t.apiCalls ?? {}).some((op) => MEMBER_SERVICES.some((s) => op.startsWith(s)) && isMutatingOperation(op)));
}

/** The chat card of a failed release (event `failed`), with the case's status after the failure. */
function failedReleaseCard(record: CaseRecord, caseStatus: string | undefined): ChatbotCard {
  return caseCard({
    event: 'failed',
    caseId: record.caseId,
    playbook: 'release',
    account: record.incident.account,
    region: record.incident.region,
    resourceId: record.incident.resource.id,
    note: `Release failed; case status ${caseStatus ?? 'unknown'}.`,
  });
}

/**
 * RecordFailure / RecordResourceGone of the release playbook (the shared `record-failure` step hands
 * a release state here): puts the error on the case's timeline (when the case exists), notifies, and
 * changes the case's status only when it is true to:
 * - nothing changed in the member account (LoadCase refused, ReleaseBlocked, a failure before the first
 *   mutating call): the status stays as it was, so a refused release of a NOTIFIED case touches nothing;
 * - the release changed something and then failed: the case becomes FAILED (its claim too), so the next
 *   finding on the resource contains it again and `firebreak release` can be run again;
 * - RESOURCE_GONE: the resource no longer exists; the case becomes RESOURCE_GONE.
 * A case already RELEASED (e.g. NotifyRelease failed after CloseRelease) keeps its status.
 * @returns the case (when it exists), its status now, and whether it was notified.
 */
export async function recordReleaseFailure(
  input: z.infer<typeof FailureInputSchema>,
  deps: StepDeps,
): Promise<{ caseId?: string; status: string; caseStatus?: string; notified: boolean }> {
  const { state, outcome } = input;
  const request = state.release ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const requested = text(request.caseId);
  const operator = text(request.operator);
  const reason = text(request.reason);
  const executionName = state.run?.executionName ?? input.executionName;
  const error = { name: state.error.Error, message: (state.error.Cause ?? '').slice(0, 4000) };
  const record = requested && CaseIdSchema.safeParse(requested).success ? await deps.ledger.getCase(requested) : undefined;
  let caseStatus: string | undefined = record?.status;
  if (record) {
    await deps.ledger.appendTimeline(record.caseId, {
      at: deps.now().toISOString(),
      step: outcome === 'RESOURCE_GONE' ? 'RecordResourceGone' : 'RecordFailure',
      status: 'FAILED',
      executionName,
      trigger: 'manual',
      operator,
      error,
      details: { playbook: 'release', reason },
    });
    // `state.case` is there once LoadCase accepted the case; before that, nothing was attempted.
    const accepted = state.case !== undefined && record.status !== 'RELEASED';
    const changed = accepted && changedMemberAccount(await deps.ledger.timeline(record.caseId), executionName);
    const next: Exclude<CaseStatus, 'IN_PROGRESS'> | undefined = !accepted
      ? undefined
      : outcome === 'RESOURCE_GONE'
        ? 'RESOURCE_GONE'
        : changed
          ? 'FAILED'
          : undefined;
    if (next) {
      try {
        await deps.ledger.finish(record.caseId, next, { error, release: { executionName, operator, reason } });
        caseStatus = next;
      } catch (err) {
        // The resource's claim belongs to another case now: leave both as they are.
        if (!(err instanceof ClaimLost)) throw err;
      }
    }
  }
  const c = state.case;
  await deps.clients.security().sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: snsSubject(`[Firebreak] ${requested ?? '(no case)'} release FAILED: ${c?.resourceId ?? '(no case)'}`),
      // The chat card for AWS Chatbot (`https`, event `failed`) and this JSON, unchanged, for every other subscriber
      // (`default`); without a case (refused before LoadCase found one), the JSON alone.
      ...withCard(
        JSON.stringify(
          {
            kind: 'release-failed',
            caseId: record?.caseId ?? requested,
            operator,
            reason,
            error,
            caseStatus,
            playbook: c?.playbook,
            runbook: RELEASE_RUNBOOK,
          },
          null,
          2,
        ),
        record && failedReleaseCard(record, caseStatus),
      ),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'release-failed' },
        ...(record ? { caseId: { DataType: 'String', StringValue: record.caseId } } : {}),
      },
    }),
  );
  return { caseId: record?.caseId, status: outcome, caseStatus, notified: true };
}
