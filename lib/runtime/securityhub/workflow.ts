import { BatchUpdateFindingsCommand, GetFindingsCommand } from '@aws-sdk/client-securityhub';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import {
  forwardStatus,
  FindingIdentifier,
  IDENTIFIERS_MAX,
  NOTE_UPDATED_BY,
  SecurityHubWorkflowMode,
  statusFor,
  workflowNote,
  type WorkflowEvent,
} from '../../core/security-hub';
import { awsErrorCode } from '../aws-errors';
import '../clients/securityhub';

/** What happened to one finding, for the step's timeline entry (never silent: every outcome is recorded). */
export interface FindingWorkflowOutcome {
  /** The finding's Security Hub `Id` (the GuardDuty finding's ARN). */
  readonly id: string;
  /** Its `Workflow.Status` before (GetFindings), when Security Hub holds it. */
  readonly from?: string;
  /** The status set, when this run set one. */
  readonly to?: string;
  /**
   * `updated` (set now), `unchanged` (already there or further: only a forward change is made), `suppressed` (a person
   * set SUPPRESSED: left alone), `not-in-security-hub` (GetFindings does not hold it, or BatchUpdateFindings answered
   * FindingNotFound), `failed` (the call failed or another UnprocessedFindings code: `error` says which).
   */
  readonly outcome: 'updated' | 'unchanged' | 'suppressed' | 'not-in-security-hub' | 'failed';
  readonly error?: string;
}

/** The record of one workflow update, as the step's timeline entry carries it. */
export interface WorkflowUpdateRecord {
  readonly target: 'NOTIFIED' | 'RESOLVED';
  readonly findings: FindingWorkflowOutcome[];
}

/** What {@link updateFindingWorkflow} needs. */
export interface WorkflowUpdateRequest {
  readonly mode: SecurityHubWorkflowMode;
  readonly event: WorkflowEvent;
  readonly caseId: string;
  /** The case's GuardDuty findings (at most 100 are updated: BatchUpdateFindings' limit). */
  readonly identifiers: readonly FindingIdentifier[];
}

/**
 * Moves the case's GuardDuty findings forward in Security Hub (config `securityHubWorkflow`): reads each finding's
 * status (GetFindings, filtered on `Id` and `ProductArn`), and sends one BatchUpdateFindings with `Workflow.Status` and
 * a note naming the case for those that move forward only (lib/core/security-hub.ts `forwardStatus`: never back, never
 * over SUPPRESSED), so a second run, or a run after a crash past the update, makes no call that changes anything.
 * Called from the security account, which must be the Security Hub administrator of the member accounts (or the
 * account itself): "Administrator accounts can update findings for their account and their member accounts"
 * (BatchUpdateFindings, https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html). A
 * finding Security Hub does not hold (Security Hub or its GuardDuty integration not enabled, another administrator)
 * is `not-in-security-hub`, in GetFindings or as BatchUpdateFindings' `UnprocessedFindings` `FindingNotFound`
 * (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindingsUnprocessedFinding.html).
 * Never throws: Security Hub is a courtesy to the other tools, so a denial, a throttle or an outage is recorded on the
 * case (the outcome `failed` with the error's code) and the containment or release goes on.
 * @returns the record for the timeline, or `undefined` when the mode or the event sets nothing, or there is no finding.
 */
export async function updateFindingWorkflow(
  client: () => SecurityHubClient,
  req: WorkflowUpdateRequest,
): Promise<WorkflowUpdateRecord | undefined> {
  const target = statusFor(req.mode, req.event);
  const identifiers = req.identifiers.slice(0, IDENTIFIERS_MAX);
  if (!target || identifiers.length === 0) return undefined;
  try {
    const sh = client();
    const current = await readStatuses(sh, identifiers);
    const outcomes = new Map<string, FindingWorkflowOutcome>();
    const toUpdate: FindingIdentifier[] = [];
    for (const ident of identifiers) {
      const from = current.get(ident.Id);
      if (from === undefined) outcomes.set(ident.Id, { id: ident.Id, outcome: 'not-in-security-hub' });
      else if (from === 'SUPPRESSED') outcomes.set(ident.Id, { id: ident.Id, from, outcome: 'suppressed' });
      else if (!forwardStatus(from, target)) outcomes.set(ident.Id, { id: ident.Id, from, outcome: 'unchanged' });
      else toUpdate.push(ident);
    }
    if (toUpdate.length > 0) {
      for (const o of await sendUpdate(sh, toUpdate, target, req, current)) outcomes.set(o.id, o);
    }
    return { target, findings: identifiers.map((i) => outcomes.get(i.Id)!) };
  } catch (err) {
    const error = awsErrorCode(err) ?? (err as Error).message;
    return { target, findings: identifiers.map((i) => ({ id: i.Id, outcome: 'failed' as const, error })) };
  }
}

/** Each finding's `Workflow.Status` (NEW when Security Hub gives none), by `Id`; absent when Security Hub holds no such finding. */
async function readStatuses(sh: SecurityHubClient, identifiers: readonly FindingIdentifier[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let NextToken: string | undefined;
  do {
    const page = await sh.send(
      new GetFindingsCommand({
        Filters: {
          Id: identifiers.map((i) => ({ Value: i.Id, Comparison: 'EQUALS' as const })),
          ProductArn: [...new Set(identifiers.map((i) => i.ProductArn))].map((Value) => ({ Value, Comparison: 'EQUALS' as const })),
        },
        MaxResults: 100,
        NextToken,
      }),
    );
    for (const f of page.Findings ?? []) {
      if (f.Id && identifiers.some((i) => i.Id === f.Id && i.ProductArn === f.ProductArn)) out.set(f.Id, f.Workflow?.Status ?? 'NEW');
    }
    NextToken = page.NextToken || undefined;
  } while (NextToken);
  return out;
}

/** One BatchUpdateFindings for the findings that move forward; each outcome from ProcessedFindings / UnprocessedFindings. */
async function sendUpdate(
  sh: SecurityHubClient,
  toUpdate: readonly FindingIdentifier[],
  target: 'NOTIFIED' | 'RESOLVED',
  req: WorkflowUpdateRequest,
  current: ReadonlyMap<string, string>,
): Promise<FindingWorkflowOutcome[]> {
  const out = await sh.send(
    new BatchUpdateFindingsCommand({
      FindingIdentifiers: toUpdate.map((i) => ({ Id: i.Id, ProductArn: i.ProductArn })),
      Workflow: { Status: target },
      Note: { Text: workflowNote(req.caseId, target, req.event), UpdatedBy: NOTE_UPDATED_BY },
    }),
  );
  const unprocessed = new Map((out.UnprocessedFindings ?? []).map((u) => [u.FindingIdentifier?.Id ?? '', u]));
  return toUpdate.map((i) => {
    const from = current.get(i.Id);
    const u = unprocessed.get(i.Id);
    if (!u) return { id: i.Id, from, to: target, outcome: 'updated' as const };
    if (u.ErrorCode === 'FindingNotFound') return { id: i.Id, from, outcome: 'not-in-security-hub' as const };
    return { id: i.Id, from, outcome: 'failed' as const, error: `${u.ErrorCode}: ${u.ErrorMessage}` };
  });
}
