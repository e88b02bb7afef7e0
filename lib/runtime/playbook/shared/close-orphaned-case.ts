import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { ClaimLost, InvalidInput } from '../../../core/errors';
import { describeResource, triageCommands } from '../../../core/incident/describe';
import type { Incident } from '../../../core/incident/incident';
import { playbookOfStateMachine, type Playbook } from '../../../core/catalog/catalog';
import type { ClaimItem } from '../../ledger/ledger';
import { opensNewCase } from '../../ledger/policy';
// Without the attack-sequence summarizer (lib/core/incident/normalize.ts): a failed execution's case needs the resource only.
import { normalizeEventWith } from '../../../core/incident/normalize-core';
import type { StepDeps } from '../deps-base';
import { failedNoticeKey, runbookOf, subject } from '../notice';
import { orphanedHookOf } from '../orphaned-registry';
import { mapAwsError } from '../../aws-errors';
import '../../clients/sfn';
import '../../clients/sns';
import { withCard } from '../../../core/chat-card';
import { cardOf } from '../chat-cards';

/**
 * The EventBridge event Step Functions sends when a Standard execution's status changes, as AWS
 * documents it ("EventBridge (CloudWatch Events) for Step Functions execution status changes", Step
 * Functions Developer Guide, https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html; the
 * example in `fixtures/events/states-execution-timed-out.json`). `detail` holds what DescribeExecution
 * returns; `startDate` and `stopDate` are epoch milliseconds; `input` is the execution's input as JSON
 * text, or null when EventBridge's size quota left it out. Only what {@link closeOrphanedCase} reads is declared; the
 * rest of the event (its `id`, `time`, `resources`, the execution's `output`, ...) is stripped: nothing forwards it.
 */
export const ExecutionStatusChangeEventSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().check(z.startsWith('arn:')),
    stateMachineArn: z.string().check(z.startsWith('arn:')),
    name: z.string().check(z.minLength(1)),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    startDate: z.number(),
    stopDate: z.optional(z.nullable(z.number())),
    input: z.optional(z.nullable(z.string())),
  }),
});
/** A validated execution status change event. */
export type ExecutionStatusChangeEvent = z.infer<typeof ExecutionStatusChangeEventSchema>;

/** The statuses of an execution that ended without its playbook recording an outcome, maybe. */
export const ENDED_WITHOUT_OUTCOME: readonly string[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/** What {@link closeOrphanedCase} did. */
export interface OrphanedCaseResult {
  /**
   * `closed`: the case was still IN_PROGRESS under the execution and is now FAILED; `opened`: the resource had
   * no claim (Claim and RecordFailure both failed, issue 11) and a case was opened FAILED; `already-closed`:
   * the execution had recorded its outcome; `not-owner`: another execution holds the case (or none was
   * claimed: a dry run, an already-handled finding, an event Normalize refused); `ignored`: a status
   * that is not an end without outcome.
   */
  readonly action: 'closed' | 'opened' | 'already-closed' | 'not-owner' | 'ignored';
  readonly caseId?: string;
  /** A `failed` notification was published by this call. */
  readonly notified: boolean;
}

/** The error put on the case for an execution that ended while the case was in progress (or before it had one). */
function endError(detail: ExecutionStatusChangeEvent['detail'], noCase = false): { name: string; message: string } {
  const name = { TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted' }[detail.status as string] ?? 'ExecutionFailed';
  const at = detail.stopDate ? new Date(detail.stopDate).toISOString() : 'an unknown time';
  return {
    name,
    message: `Execution ${detail.executionArn} ended ${detail.status} at ${at} ${noCase ? 'before a case was opened for it' : 'while its case was in progress'}`,
  };
}

/**
 * CloseOrphanedCase (step `close-orphaned-case`, started by the rule `firebreak-playbook-execution-ended`
 * on "Step Functions Execution Status Change" events of Firebreak's claiming playbooks, status FAILED,
 * TIMED_OUT or ABORTED). An execution that times out or is stopped runs no RecordFailure, so its case
 * would stay IN_PROGRESS under a dead owner with nobody told (issue 10). This finds the case the
 * execution owned: the execution's input (from the event, or from DescribeExecution when the event left it
 * out for size) is normalized as Normalize did (the playbook from the state
 * machine's name `<prefix>-<playbook>`, any prefix: `playbookOfStateMachine`; no other state machine's execution is read), which names the claim; the claim must still be held by this
 * execution (`owner` = the execution's name). Then:
 * - claim IN_PROGRESS → a timeline entry (step `CloseOrphanedCase`, the error `ExecutionTimedOut`,
 *   `ExecutionAborted` or `ExecutionFailed`) and the case FAILED, only if the claim is still this
 *   execution's (a later execution may take a FAILED case over at once);
 * - claim FAILED under this execution and no `failed#<execution>` notification recorded on the case
 *   (RecordFailure records it) → publish `kind: failed` once and record it;
 * - no claim on the resource (or a RELEASED one another execution held): the execution ended before any case held its finding
 *   (Claim failed, and RecordFailure, which opens a case then, failed too: issue 11) → a case opened FAILED
 *   ({@link CaseLedger.failedCaseFor}, never IN_PROGRESS, so it blocks no one), a timeline entry, and the
 *   `failed` notification. This path has EventBridge's retries (the rule's target: 20 attempts over 2 h) and then
 *   the rule's DLQ alarm behind it, on top of the playbook's ExecutionsFailed alarm.
 * At least once: published, then recorded; a repeat of the event after the record publishes nothing.
 * @param event - the status change event.
 * @param deps - ledger, SNS (security account), config (topic, catalog), clock.
 * @returns what was done.
 * @throws {Error} the SDK's errors (mapped to Throttled / TransientAwsError by the handler); the rule's
 *   target retries, then the event goes to the rule's DLQ.
 */
/**
 * The input of an execution whose status-change event left it out: "If the combined escaped input and escaped
 * output sent to EventBridge exceeds 248KB, then the input will be excluded … For Standard Workflows, you can see
 * the full input and output by using DescribeExecution" ("EventBridge payloads", "EventBridge (CloudWatch Events)
 * for Step Functions execution status changes", Step Functions Developer Guide). Every Firebreak playbook is
 * Standard. A 250 KB finding is a legal event (issue 11), so without this its execution's end would close nothing.
 * @param executionArn - the execution, from the event.
 * @returns the input as JSON text, or `undefined` when DescribeExecution returns none.
 * @throws the SDK's errors, mapped (Throttled / TransientAwsError / AccessDenied): the invocation fails and is retried.
 */
async function executionInput(executionArn: string, deps: Pick<StepDeps, 'clients'>): Promise<string | undefined> {
  try {
    return (await deps.clients.security().sfn.send(new DescribeExecutionCommand({ executionArn }))).input ?? undefined;
  } catch (err) {
    throw mapAwsError(err, 'SFN.DescribeExecution');
  }
}

export async function closeOrphanedCase(event: ExecutionStatusChangeEvent, deps: StepDeps): Promise<OrphanedCaseResult> {
  const d = event.detail;
  if (!ENDED_WITHOUT_OUTCOME.includes(d.status)) return { action: 'ignored', notified: false };
  // The state machine is `<prefix>-<playbook>`, whatever the deployment's prefix; release and others are no catalog playbook's.
  const playbook = playbookOfStateMachine(d.stateMachineArn.split(':stateMachine:')[1] ?? '');
  const incident = playbook && (await incidentOf(d, playbook, deps));
  if (!incident || incident.dryRun) return { action: 'not-owner', notified: false };
  const found = await ownClaim(d, incident, deps);
  if (!found.claim || found.claim.owner !== d.name) return { action: 'not-owner', caseId: found.claim?.caseId, notified: false };
  const { claim } = found;
  let action = found.action;
  const caseId = claim.caseId;
  const error = endError(d, action === 'opened');
  if (claim.status === 'IN_PROGRESS') {
    await deps.ledger.appendTimeline(caseId, {
      at: deps.now().toISOString(),
      step: 'CloseOrphanedCase',
      status: 'FAILED',
      executionName: d.name,
      trigger: incident.trigger,
      error,
      details: { executionArn: d.executionArn, executionStatus: d.status },
    });
    try {
      await deps.ledger.finish(caseId, 'FAILED', { error }, d.name);
    } catch (err) {
      if (err instanceof ClaimLost) return { action: 'not-owner', caseId, notified: false };
      throw err;
    }
    action = 'closed';
  } else if (claim.status !== 'FAILED') {
    return { action, caseId, notified: false };
  }
  const notified = await notifyFailed(d, playbook, incident, { action, caseId, error }, deps);
  return { action, caseId, notified };
}

/**
 * The incident of the ended execution, normalized from its input as the playbook's Normalize did, or `undefined` when
 * there is no input or Normalize refused it (no case was opened: RecordFailure told of the event as it came).
 */
async function incidentOf(d: ExecutionStatusChangeEvent['detail'], playbook: Playbook, deps: StepDeps): Promise<Incident | undefined> {
  // Over 248 KB escaped, Step Functions leaves the input out of the event; DescribeExecution has it (Standard).
  const text = d.input ?? (await executionInput(d.executionArn, deps));
  try {
    const input = text ? (JSON.parse(text) as unknown) : undefined;
    if (input === undefined) return undefined;
    return normalizeEventWith(
      { input, executionName: d.name, executionStartTime: new Date(d.startDate).toISOString(), playbook },
      deps.config.catalog,
    ).incident;
  } catch (err) {
    if (err instanceof InvalidInput || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/**
 * The resource's claim after this call, and whether this call opened a FAILED case for the execution: when the resource
 * has no claim, or a freeing one (RELEASED, SHADOW, SUPPRESSED) that was not this execution's (its own released case was recorded and undone), a
 * case is opened FAILED (Claim and RecordFailure both failed, issue 11), except for a game-day event, which opens no
 * case here (see recordFailure): the playbook's ExecutionsFailed alarm tells of it.
 */
async function ownClaim(
  d: ExecutionStatusChangeEvent['detail'],
  incident: Incident,
  deps: StepDeps,
): Promise<{ claim?: ClaimItem; action: OrphanedCaseResult['action'] }> {
  const claim = await deps.ledger.findClaim(incident);
  if (claim && !(opensNewCase(claim) && claim.owner !== d.name)) return { claim, action: 'already-closed' };
  if (incident.trigger === 'gameday') return { action: 'not-owner' };
  const noCaseError = endError(d, true);
  const found = await deps.ledger.failedCaseFor(incident, d.name, { error: noCaseError });
  const claimed = await deps.ledger.findClaim(incident);
  if (found.relation === 'opened') {
    await deps.ledger.appendTimeline(found.caseId, {
      at: deps.now().toISOString(),
      step: 'CloseOrphanedCase',
      status: 'FAILED',
      executionName: d.name,
      trigger: incident.trigger,
      error: noCaseError,
      details: { executionArn: d.executionArn, executionStatus: d.status, openedBy: 'CloseOrphanedCase' },
    });
  }
  return { claim: claimed, action: found.relation === 'opened' ? 'opened' : 'already-closed' };
}

/**
 * Undoes what the playbook undoes for a dead execution (its `onOrphaned` hook: ec2-compromise's reseal of an execution
 * stopped between Isolate's two moves), then publishes the case's `failed` notification once per execution (again
 * when the hook warns), and marks it sent.
 * @returns whether this call published.
 */
async function notifyFailed(
  d: ExecutionStatusChangeEvent['detail'],
  playbook: Playbook,
  incident: Incident,
  end: { action: OrphanedCaseResult['action']; caseId: string; error: Record<string, unknown> },
  deps: StepDeps,
): Promise<boolean> {
  const { action, caseId, error } = end;
  const record = await deps.ledger.getCase(caseId);
  const onOrphaned = record ? orphanedHookOf(record.playbook) : undefined;
  const network = record && onOrphaned ? await onOrphaned(record, incident, deps) : undefined;
  if (record?.notifications?.[failedNoticeKey(d.name)] && !network?.warning) return false;
  const i = record?.incident ?? incident;
  await deps.clients.security().sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: subject('failed', i, caseId),
      // The chat card for AWS Chatbot (`https`) and this JSON, unchanged, for every other subscriber (`default`).
      ...withCard(
        JSON.stringify(
          {
            kind: 'failed',
            caseId,
            summary:
              `The ${playbook} execution ${d.name} ended ${d.status} before it recorded ${action === 'opened' ? 'a case (this one was opened for it)' : 'an outcome'}; the case is FAILED and ` +
              `nothing more will be done for it until the next finding about ${describeResource(i)} or a manual run.`,
            resource: describeResource(i),
            runbook: runbookOf(i),
            triage: triageCommands(i, caseId),
            incident: i,
            execution: { arn: d.executionArn, status: d.status },
            error,
            network,
          },
          null,
          2,
        ),
        cardOf(
          'failed',
          { incident: i, case: { caseId } },
          `The execution ended (${d.status.toLowerCase().replace(/_/g, ' ')}) before it recorded an outcome; the case is FAILED.`,
        ),
      ),
      MessageAttributes: { caseId: { DataType: 'String', StringValue: caseId }, kind: { DataType: 'String', StringValue: 'failed' } },
    }),
  );
  await deps.ledger.markNotified(caseId, failedNoticeKey(d.name));
  return true;
}
