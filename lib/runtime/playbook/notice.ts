import type { Incident } from '../../core/incident/incident';
import { describeResource } from '../../core/incident/describe';
import { snsSubject } from './sns-subject';
import type { ResealResult } from '../../core/contracts/containment-results';
import type { StepFunctionsError } from '../../core/contracts/step-results';

/**
 * What the shared steps tell a person, in common: the runbook of a case, the SNS subject, the summary line, and the
 * ledger keys that record what was told (`notifications.<key>`, so a retry tells once).
 */

/** The runbook of an incident's playbook. */
export const runbookOf = (i: Pick<Incident, 'playbook'>) => `runbooks/${i.playbook}/runbook.md`;

/** A case's update that adds resources to it (`$.case.update`, Claim: an attack sequence GuardDuty updated). */
export interface CaseUpdateRef {
  readonly added: readonly string[];
  readonly token: string;
}

/**
 * The ledger key of a notification (`notifications.<key>`): `base` for the case, `<base>#update#<token>` for an update
 * that adds resources to it, so that each update is told once, however often it is delivered.
 */
export const noticeKey = (base: string, update: CaseUpdateRef | undefined) => (update ? `${base}#update#${update.token}` : base);

/**
 * The line that says a sequence was updated: how many new resources, which (`<playbook> <account> <resource>`, from the
 * chain keys `chain#<playbook>#<account>#<resource>`), and `what` was done with them; empty without an update.
 */
export function updateLine(update: CaseUpdateRef | undefined, what: string): string {
  if (!update) return '';
  const named = update.added.map((k) => k.split('#').slice(1).join(' ')).join(', ');
  return `sequence updated: ${update.added.length} new resource(s), ${what}: ${named}. `;
}

/** The ledger key that records that a finding of a case was told to a person (by any notification). */
export const findingNoticeKey = (findingId: string) => `finding#${findingId}`;

/** The SNS subject of a notification about a case: the case ID first, then {@link snsSubject}'s rule (printable ASCII, under 100 characters). */
export function subject(kind: string, i: Incident, caseId: string): string {
  const what =
    {
      contained: 'contained',
      'notify-only': 'needs review',
      failed: 'containment FAILED',
      'resource-gone': 'resource gone',
      attached: 'new finding',
    }[kind] ?? kind;
  // The case ID first, so that it survives the cut (snsSubject: printable ASCII, under 100 characters).
  return snsSubject(`[Firebreak] ${caseId} ${what}: ${describeResource(i)} (${i.finding.type}, sev ${i.finding.severity})`);
}

/** What was found, on what, where. */
export function foundLine(i: Incident): string {
  return `${i.finding.title ?? i.finding.type} (${i.finding.type}, severity ${i.finding.severity ?? '-'}) on ${describeResource(i)} in ${i.account}/${i.region}`;
}

/** The notification's first line: what was found, on what, and what Firebreak did. */
export function summaryOf(i: Incident, kind: string, reason?: string): string {
  return `${foundLine(i)}: ${kind === 'contained' ? 'contained' : `case opened, nothing contained${reason ? `: ${reason}` : ''}`}`;
}

/** ResealIsolation's result on a failed state, with a warning a person cannot miss when an ENI is still open. */
export function networkAfterFailure(state: {
  reseal?: ResealResult;
  resealError?: StepFunctionsError;
}): Record<string, unknown> | undefined {
  const { reseal, resealError } = state;
  if (!reseal && !resealError) return undefined;
  const open = reseal?.stillOpen ?? [];
  return {
    ...reseal,
    ...(resealError ? { resealError: { name: resealError.Error, message: (resealError.Cause ?? '').slice(0, 2000) } } : {}),
    ...(open.length || resealError
      ? {
          warning: `ENIs may still be on Firebreak's allow-all untrack group${open.length ? ` (${open.map((o) => o.networkInterfaceId).join(', ')})` : ''}: move each onto the isolation group by hand now (runbooks/ec2-compromise/runbook.md)`,
        }
      : {}),
  };
}

/** The ledger key that records that a person was told an execution failed (RecordFailure or {@link closeOrphanedCase}). */
export const failedNoticeKey = (executionName: string) => `failed#${executionName}`;
