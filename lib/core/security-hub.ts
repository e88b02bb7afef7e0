/**
 * Security Hub workflow status of a case's GuardDuty findings (issue 16): which finding, which status, what note. Pure,
 * no AWS SDK; lib/runtime/securityhub/workflow.ts makes the calls.
 *
 * How GuardDuty's findings look in Security Hub: GuardDuty sends each finding in the AWS Security Finding Format with
 * `Id` = the GuardDuty finding's ARN (`arn:<partition>:guardduty:<region>:<account>:detector/<detectorId>/finding/<findingId>`),
 * `ProductArn` = `arn:<partition>:securityhub:<region>::product/aws/guardduty`, `GeneratorId` = the detector's ARN, and a
 * new finding at `Workflow.Status` `NEW` ("Typical finding from GuardDuty", Amazon GuardDuty User Guide,
 * https://docs.aws.amazon.com/guardduty/latest/ug/securityhub-integration.html; fixtures/securityhub/ holds that example).
 */

/** Security Hub's workflow statuses (`Workflow.Status`, https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_WorkflowUpdate.html). */
export const WORKFLOW_STATUSES = ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'] as const;
/** A Security Hub workflow status. */
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

/**
 * Config `securityHubWorkflow`: whether Firebreak sets the workflow status of a case's GuardDuty findings, and when it
 * sets `RESOLVED`. `off` (default): never calls Security Hub. `resolve-on-release`: `NOTIFIED` with the first page of a
 * case (notify-only or contained), `RESOLVED` when the case is released. `resolve-on-containment`: `RESOLVED` already
 * with the page of a contained case (a notify-only case's finding stays `NOTIFIED`).
 */
export const SECURITY_HUB_WORKFLOW_MODES = ['off', 'resolve-on-release', 'resolve-on-containment'] as const;
/** A value of config `securityHubWorkflow`. */
export type SecurityHubWorkflowMode = (typeof SECURITY_HUB_WORKFLOW_MODES)[number];

/** `Note.Text` is 1 to 512 characters (the `Note` type, https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Note.html). */
export const NOTE_TEXT_MAX = 512;
/** `UpdatedBy` of Firebreak's notes: who updated them, as Security Hub shows it. */
export const NOTE_UPDATED_BY = 'Firebreak';
/** BatchUpdateFindings takes at most 100 finding identifiers per request (API_BatchUpdateFindings). */
export const IDENTIFIERS_MAX = 100;

/** A Security Hub finding's identifier (`AwsSecurityFindingIdentifier`: `Id` and `ProductArn`). */
export interface FindingIdentifier {
  readonly Id: string;
  readonly ProductArn: string;
}

/** Letters and digits only: GuardDuty's detector and finding IDs, never an ARN separator (`:` or `/`). */
const ID_PART = /^[0-9A-Za-z]{1,300}$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const PARTITION = /^aws(-[a-z]+)*$/;

/** What a GuardDuty finding's Security Hub identifier is built from (the incident's fields). */
export interface GuardDutyFindingRef {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly detectorId?: string;
  readonly findingId: string;
}

/**
 * The Security Hub identifier of a GuardDuty finding, built from its parts (never taken from the event's `arn` as
 * written), so that it can only name this detector's finding in the case's account and region.
 * @returns the identifier, or `undefined` when the finding is not a GuardDuty one (an API call, a manual start: no
 *   detector) or a part is malformed.
 */
export function guardDutyFindingIdentifier(ref: GuardDutyFindingRef): FindingIdentifier | undefined {
  const { partition, region, account, detectorId, findingId } = ref;
  if (!detectorId || !ID_PART.test(detectorId) || !ID_PART.test(findingId)) return undefined;
  if (!PARTITION.test(partition) || !REGION.test(region) || !ACCOUNT.test(account)) return undefined;
  return {
    Id: `arn:${partition}:guardduty:${region}:${account}:detector/${detectorId}/finding/${findingId}`,
    ProductArn: `arn:${partition}:securityhub:${region}::product/aws/guardduty`,
  };
}

const RANK: Record<WorkflowStatus, number> = { NEW: 0, NOTIFIED: 1, RESOLVED: 2, SUPPRESSED: -1 };

/**
 * The status to set on a finding now at `current` for a case that reached `target`, or `undefined` to leave it: only a
 * forward change (NEW → NOTIFIED → RESOLVED). Never back (a RESOLVED finding is not made NOTIFIED by a late page), and
 * never over SUPPRESSED, which a person set ("you reviewed the finding and don't believe that any action is needed")
 * and Firebreak does not overrule. An unknown status (a value AWS may add) is left alone too.
 */
export function forwardStatus(current: string | undefined, target: 'NOTIFIED' | 'RESOLVED'): 'NOTIFIED' | 'RESOLVED' | undefined {
  const now = (current ?? 'NEW') as WorkflowStatus;
  if (!(now in RANK) || RANK[now] < 0) return undefined;
  return RANK[target] > RANK[now] ? target : undefined;
}

/**
 * The case events that set a workflow status: a person is told at each (`approval-requested`: the approval request's
 * page, before anything is contained; `notify-only` and `contained`: Notify's page), and `released`.
 */
export type WorkflowEvent = 'approval-requested' | 'notify-only' | 'contained' | 'released';

/**
 * The status a case event asks for under `mode`, or `undefined` when that event sets none: NOTIFIED at each page that
 * tells a person (the approval request included), RESOLVED at release, or at containment under `resolve-on-containment`.
 */
export function statusFor(mode: SecurityHubWorkflowMode, event: WorkflowEvent): 'NOTIFIED' | 'RESOLVED' | undefined {
  if (mode === 'off') return undefined;
  if (event === 'released') return 'RESOLVED';
  if (event === 'contained' && mode === 'resolve-on-containment') return 'RESOLVED';
  return 'NOTIFIED';
}

/**
 * The note Firebreak leaves on the finding: the case ID, the status and the command that shows the case, within
 * Security Hub's 512 characters (the case ID is Firebreak's own, so nothing a member account wrote goes in).
 */
export function workflowNote(caseId: string, status: 'NOTIFIED' | 'RESOLVED', event: WorkflowEvent): string {
  const what = {
    'approval-requested': 'waits for approval (a person was asked)',
    'notify-only': 'notified (no automatic containment)',
    contained: 'contained',
    released: 'released',
  }[event];
  const text = `Firebreak case ${caseId}: ${what}; workflow ${status}. Details: firebreak cases show ${caseId}`;
  return text.length <= NOTE_TEXT_MAX ? text : `${text.slice(0, NOTE_TEXT_MAX - 1)}…`;
}
