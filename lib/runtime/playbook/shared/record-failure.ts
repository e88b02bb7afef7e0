import { PublishCommand } from '@aws-sdk/client-sns';
import type * as z from 'zod';
import type { LinkedEvent } from '../../evidence/vault';
import type { CaseStatus } from '../../ledger/ledger';
import { FailureInputSchema, FailureStateSchema, StoredEventRefSchema } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { snsSubject } from '../sns-subject';
import { recordReleaseFailure } from '../release/failure';
import { failedNoticeKey, networkAfterFailure, runbookOf, subject } from '../notice';
import '../../clients/sns';
import { caseCard, ChatbotCard, withCard } from '../../../core/chat-card';
import { cardOf, caseEventOf } from '../chat-cards';
import { putCaseEvent, CaseEventRecord } from '../../case-events';

/** A JSON object's members, or `undefined` for anything else (the refused input is read untrusted). */
const objectOf = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...v } : undefined;

/**
 * What identifies an event that Normalize refused (the state is still the execution's input, or a start
 * envelope around it): the EventBridge ID and source, and for a GuardDuty finding its ID, type, account,
 * region, severity and resource type. Strings are cut to 256 characters; nothing is trusted or acted on.
 */
function rawEventIdentity(state: z.infer<typeof FailureStateSchema>): Record<string, string | number | undefined> {
  const envelope = objectOf(state.firebreak && typeof state.event === 'object' ? state.event : state);
  const detail = objectOf(envelope?.detail) ?? {};
  const resource = objectOf(detail.resource) ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 256) : undefined);
  return {
    eventId: str(envelope?.id),
    source: str(envelope?.source),
    detailType: str(envelope?.['detail-type']),
    findingId: str(detail.id),
    type: str(detail.type) ?? str(detail.eventName),
    account: str(detail.accountId) ?? str(detail.recipientAccountId) ?? str(envelope?.account),
    region: str(detail.region) ?? str(detail.awsRegion),
    severity: typeof detail.severity === 'number' ? detail.severity : undefined,
    resourceType: str(resource.resourceType),
  };
}

/**
 * RecordFailure / RecordResourceGone: marks the case `FAILED` (resumable at once by a later execution: the
 * claim stops blocking) or `RESOURCE_GONE` (final), puts the error on the timeline and notifies. A dry run
 * records nothing. A release execution's failure is recorded by {@link recordReleaseFailure} instead.
 *
 * The case is the one on the state or, when the state has none because Claim failed (issue 11: under
 * transient faults Claim can fail for good, and the failure must still reach a case a person is told of),
 * {@link CaseLedger.failedCaseFor}: the case whose claim this execution holds (Claim wrote it, then failed or
 * timed out: it is finished too, so the next finding about the resource claims and contains at once instead of
 * being `ALREADY_HANDLED` for the rest of a dead execution's lease, issue 10), or, when the resource has no
 * claim, a new case written FAILED with its claim (never IN_PROGRESS, so it blocks no one). A claim held by
 * another execution or a finished case is left alone and named in the notification (`openCase`). A game-day
 * event never opens a case here (it is not a finding, and it may have failed before GameDayGuard checked its
 * target): it finds only the claim it holds, and is told without a case otherwise.
 *
 * Safe to run again (the recorder's Retry, {@link RECORD_FAILURE_RETRY} in lib/infra/playbook-states.ts): the
 * case is found again, and the `failed` notification is published once per execution (`failed#<execution>`
 * recorded after the publish; a retry after a crash in between publishes again: at least once).
 * @throws {Error} the SDK's errors (mapped to Throttled / TransientAwsError by the handler) when the ledger or
 *   SNS fail; the recorder retries them, and when its attempts are spent the execution ends FAILED and the
 *   playbook's Failed alarm (`ExecutionsFailed`) tells the topic.
 */
export async function recordFailure(
  input: z.infer<typeof FailureInputSchema>,
  deps: StepDeps,
): Promise<{ caseId?: string; status: string; notified: boolean; openedCase?: boolean; caseEvent?: CaseEventRecord }> {
  // The release playbook shares this step; its state carries the release request.
  if (input.state.release) return recordReleaseFailure(input, deps);
  const { state, outcome } = input;
  const executionName = state.run?.executionName;
  const error = { name: state.error.Error, message: (state.error.Cause ?? '').slice(0, 4000) };
  const onState = state.case && state.case.status !== 'DRY_RUN' && state.case.status !== 'ALREADY_HANDLED' ? state.case.caseId : undefined;
  if (state.incident?.dryRun) return { caseId: onState, status: outcome, notified: false };
  const { caseId, opened, openCase } = onState ? { caseId: onState, opened: false } : await failedCaseOf(input, error, deps);
  if (caseId) await recordOnCase(caseId, opened, input, error, deps);
  const kind = outcome === 'RESOURCE_GONE' ? 'resource-gone' : 'failed';
  const record = caseId ? await deps.ledger.getCase(caseId) : undefined;
  // A case reopened by a later finding whose resource is still gone was told so already: once is enough.
  // Never when an ENI may still be on the allow-all group: that warning is always told.
  if (caseId && kind === 'resource-gone' && !networkAfterFailure(state)?.warning && record?.notifications?.['resource-gone']) {
    return { caseId, status: outcome, notified: false };
  }
  // A retry of this recorder after its publish: told already.
  if (caseId && executionName && kind === 'failed' && record?.notifications?.[failedNoticeKey(executionName)]) {
    return { caseId, status: outcome, notified: false, ...(opened ? { openedCase: true } : {}) };
  }
  await publishFailure(state, kind, { caseId, openCase, error }, deps);
  // The `Firebreak Case` event with the page, once a case and an incident exist (its outcome in the step's result).
  const caseEvent =
    caseId && state.incident
      ? await putCaseEvent(
          () => deps.clients.security().events,
          deps.config.eventBusName,
          caseEventOf('failed', { incident: state.incident, case: { caseId } }, kind),
        )
      : undefined;
  if (caseId && kind === 'resource-gone') await deps.ledger.markNotified(caseId, 'resource-gone');
  // Told: the status-change step (closeOrphanedCase) does not tell it again for this execution.
  if (caseId && executionName && outcome === 'FAILED') await deps.ledger.markNotified(caseId, failedNoticeKey(executionName));
  return { caseId, status: outcome, notified: true, ...(opened ? { openedCase: true } : {}), ...(caseEvent ? { caseEvent } : {}) };
}

type FailureError = { name: string; message: string };

/**
 * The case of a failure whose state has none (Claim failed, or never ran): {@link CaseLedger.failedCaseFor} for a
 * finding's failure (`opened` when it wrote a new FAILED case; `openCase` when the resource's claim is another
 * execution's or finished), or, for a game-day event and a RESOURCE_GONE outcome, only the claim this execution holds.
 */
async function failedCaseOf(
  input: z.infer<typeof FailureInputSchema>,
  error: FailureError,
  deps: StepDeps,
): Promise<{ caseId?: string; opened: boolean; openCase?: { caseId: string; status: CaseStatus } }> {
  const { state } = input;
  const executionName = state.run?.executionName;
  if (state.case || !state.incident || !executionName) return { opened: false };
  // A game-day event opens a case only through Claim, after GameDayGuard passed it: one that failed before (the
  // guard itself failing) may name any resource, not a canary, so it finds its own claim at most.
  // A finding's RESOURCE_GONE too: ec2-compromise's Contain claims the case itself (issue 13), so an instance gone
  // before its claim leaves no case; one is opened to record it.
  if (state.incident.trigger !== 'gameday') {
    const found = await deps.ledger.failedCaseFor(state.incident, executionName, { error });
    if (found.relation === 'other') return { opened: false, openCase: { caseId: found.caseId, status: found.claimStatus } };
    return { caseId: found.caseId, opened: found.relation === 'opened' };
  }
  const claim = await deps.ledger.findClaim(state.incident);
  return { caseId: claim?.status === 'IN_PROGRESS' && claim.owner === executionName ? claim.caseId : undefined, opened: false };
}

/**
 * Puts the failure on the case's timeline, finishes the case with the outcome (unless this call opened it FAILED),
 * and links the stored event to it (a case the failure path opened or found had no Claim that linked the event).
 */
async function recordOnCase(
  caseId: string,
  opened: boolean,
  input: z.infer<typeof FailureInputSchema>,
  error: FailureError,
  deps: StepDeps,
): Promise<void> {
  const { state, outcome } = input;
  const executionName = state.run?.executionName;
  await deps.ledger.appendTimeline(caseId, {
    at: deps.now().toISOString(),
    step: outcome === 'RESOURCE_GONE' ? 'RecordResourceGone' : 'RecordFailure',
    status: 'FAILED',
    executionName,
    trigger: state.incident?.trigger,
    error,
    ...(opened
      ? { details: { openedBy: 'RecordFailure', why: 'Claim did not return a case; the case was opened FAILED to record the failure' } }
      : {}),
  });
  // A case this call opened is FAILED already; RESOURCE_GONE is set on it as on any other.
  if (!opened || outcome !== 'FAILED') await deps.ledger.finish(caseId, outcome, { error }, executionName);
  const stored = StoredEventRefSchema.safeParse(state.event);
  if (stored.success && state.incident) {
    const link: LinkedEvent = { ...stored.data, findingId: state.incident.finding.id, linkedAt: deps.now().toISOString() };
    await deps.ledger.linkEvent(caseId, link);
  }
}

/**
 * The chat card of a failure: the case's `failed` card once a case and an incident exist; before, a card about no case
 * (no thread), with the incident's resource and finding or, before Normalize succeeded, the event's type, account and
 * region as it came (made inert: nothing of it is trusted).
 */
function failureCard(
  state: z.infer<typeof FailureStateSchema>,
  kind: 'failed' | 'resource-gone',
  caseId: string | undefined,
  raw: Record<string, string | number | undefined> | undefined,
): ChatbotCard {
  const i = state.incident;
  if (i && caseId) return cardOf('failed', { incident: i, case: { caseId } }, `Failed: ${kind}.`);
  const str = (v: string | number | undefined) => (typeof v === 'string' ? v : undefined);
  return caseCard({
    event: 'failed',
    caseId,
    playbook: i?.playbook,
    account: i?.account ?? str(raw?.account) ?? '',
    region: i?.region ?? str(raw?.region) ?? '',
    resourceId: i?.resource.id,
    findingType: i?.finding.type ?? str(raw?.type),
    note: caseId ? `Failed: ${kind}.` : `Failed (${kind}) before a case was opened${i ? '' : ': the event was not read as a finding'}.`,
  });
}

/** Publishes the `failed` or `resource-gone` notification: the case, or before Normalize succeeded the event as it came. */
async function publishFailure(
  state: z.infer<typeof FailureStateSchema>,
  kind: 'failed' | 'resource-gone',
  found: { caseId?: string; openCase?: { caseId: string; status: CaseStatus }; error: FailureError },
  deps: StepDeps,
): Promise<void> {
  const { caseId, openCase, error } = found;
  // Before Normalize succeeded there is no incident: name the event as it came, so a person can find it.
  const raw = state.incident ? undefined : rawEventIdentity(state);
  await deps.clients.security().sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: state.incident
        ? subject(kind, state.incident, caseId ?? openCase?.caseId ?? '(none)')
        : snsSubject(
            `[Firebreak] playbook failed before a case was opened: ${raw?.type ?? 'unreadable event'}${raw?.account ? ` in ${raw.account}` : ''}`,
          ),
      // The chat card for AWS Chatbot (`https`) and this JSON, unchanged, for every other subscriber (`default`); before a
      // case exists, a card about no case (failureCard).
      ...withCard(
        JSON.stringify(
          {
            kind,
            caseId,
            incident: state.incident,
            event: raw,
            error,
            runbook: state.incident ? runbookOf(state.incident) : undefined,
            // The resource's case when it is another execution's (or finished): this execution did not touch it.
            ...(openCase ? { openCase } : {}),
            // What the failure path did to the network (ResealIsolation): ENIs moved off the allow-all group, and any still on it.
            network: networkAfterFailure(state),
          },
          null,
          2,
        ),
        failureCard(state, kind, caseId, raw),
      ),
      ...(caseId
        ? { MessageAttributes: { caseId: { DataType: 'String', StringValue: caseId }, kind: { DataType: 'String', StringValue: kind } } }
        : {}),
    }),
  );
}
