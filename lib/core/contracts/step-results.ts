import * as z from 'zod/mini';
import './zod-locale';
import { HoldSchema } from '../brakes';

/**
 * What the steps every playbook shares put on the state (each under its `ResultPath`, see
 * {@link PlaybookStateSchema} in state.ts): the triage front (Decide, PlanDryRun, GameDayGuard, the approval
 * path), Notify, CloseCase, the failure recorders, the outcome Pass states and the error a Catch puts at
 * `$.error`. The steps' own return types (lib/runtime/playbook/shared/**) are checked against these
 * schemas at compile time by test/infra/state-contract.test.ts.
 */

/** An action a step took or would take (`PlannedAction`, lib/runtime/ec2/instance.ts). */
export const PlannedActionSchema = z.object({
  /** `Service.Operation` that makes the change. */
  operation: z.string(),
  /** The resource changed. */
  target: z.string(),
  /** What changes, for a human. */
  change: z.string(),
});

/**
 * What a Catch puts at its `ResultPath` (`$.error`, `$.resealError`, `$.approvalError`), and what the
 * UnknownDecision / UnknownReleaseTarget Pass states put at `$.error`: the error's name (the Lambda error
 * type, a `States.*` name, or the Pass state's) and, when there is one, its cause ("Error handling in Step
 * Functions", Step Functions Developer Guide).
 */
export const StepFunctionsErrorSchema = z.object({ Error: z.string(), Cause: z.optional(z.string()) });
export type StepFunctionsError = z.infer<typeof StepFunctionsErrorSchema>;

/** A chained start Decide asked for: contain the instance whose credentials leaked (credential-compromise). */
export const ChainRequestSchema = z.object({ playbook: z.literal('ec2-compromise'), instanceId: z.string() });

/**
 * `$.decision`: what Decide decided (`decideResponse`). `shadow` (catalog mode `shadow`, issue 14): the plan is made
 * (PlanShadow, read calls only) and the case closed `SHADOW`, nothing changed and nobody notified.
 */
export const DecisionSchema = z.object({
  action: z.enum(['contain', 'approval', 'notify', 'dryRun', 'shadow']),
  reason: z.string(),
  entryId: z.optional(z.string()),
  /** Set with `contain` when the catalog entry chains into ec2-compromise (credential-compromise). */
  chain: z.optional(ChainRequestSchema),
  /**
   * Set with `approval` when a brake held an automatic containment (issue 14): a protected resource or principal, or the
   * blast-radius breaker. Put by Triage / Decide, or by Contain (the tag as it is now, the breaker) in the state it returns.
   */
  hold: z.optional(HoldSchema),
});
export type Decision = z.infer<typeof DecisionSchema>;

/** `$.plan`: PlanDryRun's result, what containment would do, from read calls only (`ContainmentPlan`). */
export const ContainmentPlanSchema = z.object({
  sample: z.boolean(),
  actions: z.array(PlannedActionSchema),
  /** Who else the containment would affect, in words (e.g. every session of a role). */
  affected: z.optional(z.string()),
});

/** `$.gameDay`: GameDayGuard's result (`GameDayGuardResult`). */
export const GameDayGuardResultSchema = z.object({
  /** True when the game-day event must not act: the execution ends `GAMEDAY_REFUSED`, before Claim. */
  refused: z.boolean(),
  /** Why, when refused. */
  reason: z.optional(z.string()),
});

/**
 * `$.approval`: the output `firebreak approve` / `deny` send with SendTaskSuccess, or ApprovalTimedOut's
 * `{ decision: timeout }`.
 */
export const ApprovalSchema = z.object({
  decision: z.enum(['approve', 'deny', 'timeout']),
  /** The approver's ARN (STS GetCallerIdentity of whoever ran the CLI); absent for a timeout. */
  by: z.optional(z.string()),
  reason: z.optional(z.string().check(z.maxLength(1024))),
  /** ISO-8601 UTC. */
  at: z.optional(z.string()),
});
/** An approval decision. */
export type Approval = z.infer<typeof ApprovalSchema>;

/** `$.approvalOutcome`: what RecordApproval decided (`ApprovalOutcome`). */
export const ApprovalOutcomeSchema = z.object({
  action: z.enum(['contain', 'notify']),
  decision: ApprovalSchema.shape.decision,
  /** Who decided: the approver's ARN, or `timeout` when nobody answered. */
  by: z.string(),
  reason: z.optional(z.string()),
});

/**
 * A case's status in the ledger (`CaseStatus`, lib/runtime/ledger/ledger.ts). `SHADOW`: a shadow-mode entry's case,
 * closed with the plan of what would have been done; `SUPPRESSED`: a finding a suppression rule matched, closed with
 * nothing changed and nobody notified (issue 14).
 */
export const CaseStatusSchema = z.enum([
  'IN_PROGRESS',
  'CONTAINED',
  'NOTIFIED',
  'FAILED',
  'RESOURCE_GONE',
  'RELEASED',
  'SHADOW',
  'SUPPRESSED',
]);

/** `$.closed` of a containment playbook: what CloseCase and CloseNotified return. */
export const CloseResultSchema = z.object({ caseId: z.string(), status: CaseStatusSchema });

/**
 * `$.notification`: what Notify, NotifyOnly and NotifyRelease return; `closed` when Notify also closed the case
 * (ec2-compromise's Notify, given `close`: issue 13).
 */
export const NotificationResultSchema = z.object({
  published: z.boolean(),
  messageId: z.optional(z.string()),
  closed: z.optional(CloseResultSchema),
  /** The `Firebreak Case` event put with the page: its EventBridge ID, or why it was not put. */
  caseEvent: z.optional(z.object({ event: z.string(), eventId: z.optional(z.string()), error: z.optional(z.string()) })),
  /** The Security Hub workflow update of the case's GuardDuty findings (config `securityHubWorkflow`), when one was asked. */
  securityHub: z.optional(
    z.object({
      target: z.enum(['NOTIFIED', 'RESOLVED']),
      findings: z.array(
        z.object({
          id: z.string(),
          from: z.optional(z.string()),
          to: z.optional(z.string()),
          outcome: z.enum(['updated', 'unchanged', 'suppressed', 'not-in-security-hub', 'failed']),
          error: z.optional(z.string()),
        }),
      ),
    }),
  ),
});

/** `$.failure`: what RecordFailure and RecordResourceGone return (`caseStatus`: the release playbook's). */
export const FailureResultSchema = z.object({
  caseId: z.optional(z.string()),
  status: z.string(),
  notified: z.boolean(),
  openedCase: z.optional(z.boolean()),
  caseStatus: z.optional(z.string()),
  /** The `Firebreak Case` event put with the failure page: its EventBridge ID, or why it was not put. */
  caseEvent: z.optional(z.object({ event: z.string(), eventId: z.optional(z.string()), error: z.optional(z.string()) })),
});

/** `$.outcome`: what the outcome Pass states (`PlaybookStates.outcome`, lib/infra/playbook-states.ts) set before Done. */
export const OutcomeSchema = z.enum([
  'DRY_RUN',
  'NOTIFIED',
  'CONTAINED',
  'ALREADY_HANDLED',
  'GAMEDAY_REFUSED',
  'RESOURCE_GONE',
  'RELEASED',
  'ALREADY_RELEASED',
  'SHADOW',
  'SUPPRESSED',
]);
/** An outcome a Pass state sets at `$.outcome`. */
export type Outcome = z.infer<typeof OutcomeSchema>;
