import type { StepDeps } from '../deps-base';
import type { PlaybookState } from '../../../core/contracts/state';

/**
 * Approvals (issue #4): a catalog entry in `approval` mode pauses the playbook at RequestApproval,
 * a Lambda task with the `.waitForTaskToken` integration ("Wait for a Callback with Task Token",
 * Step Functions Developer Guide), until `firebreak approve` / `deny` sends the token's result
 * (SendTaskSuccess), or the task's TimeoutSeconds passes (`States.Timeout`, caught into
 * ApprovalTimedOut). RecordApproval then puts the decision, and who made it, on the timeline, and
 * chooses containment or notify-only.
 */

// The approval's schema is part of the state between steps (`$.approval`): declared with it in lib/core/contracts.
export { ApprovalSchema, type Approval } from '../../../core/contracts/step-results';

/**
 * What the incident's catalog entry says happens when nobody answers (`approvalTimeoutAction`).
 * @returns `contain` or `notify`. @default 'notify'
 */
export function timeoutAction(state: PlaybookState, deps: StepDeps): 'contain' | 'notify' {
  const entry = deps.config.catalog.find((e) => e.id === state.incident.catalogEntryId);
  return entry?.approvalTimeoutAction ?? 'notify';
}
