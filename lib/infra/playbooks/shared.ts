/**
 * The steps every playbook shares (one function each, lib/runtime/playbook/shared/ at run time) and the step no
 * playbook runs, with what each may touch (docs/ARCHITECTURE.md, "Lambda steps of ec2-compromise"). normalize-finding,
 * claim-case, decide-response, plan-containment, notify, close-case and record-failure are shared by the containment
 * and notify-only playbooks; record-failure by release too; guard-gameday by the playbooks with game-day rules; the
 * approval steps by the playbooks that can wait for an approval. A playbook's own steps are in its own module
 * (lib/infra/playbooks/<playbook>/index.ts).
 */

import { BUFFER_STARTER_TIMEOUT_SECONDS } from '../../core/buffer';
import { NO_STEP_ACCESS as none, StepTable } from '../step-access';

/**
 * The shared steps, in table order. Every step except `normalize-finding`, `guard-gameday` and `plan-containment`
 * appends to the case timeline, so it gets the ledger grant (`decide-response`: the blast-radius breaker, issue 14).
 */
export const SHARED_STEPS = {
  // Stores the event once in the evidence bucket and passes a reference: the state cannot hold a large event.
  'normalize-finding': { ...none, storesReceivedEvents: true },
  // Before Claim in the playbooks with game-day rules (ec2-compromise, credential-compromise). Refuses a game-day
  // event before Claim: reads the target's tags (firebreak:gameday) through the responder role, in a session
  // limited to those reads (GAMEDAY_GUARD_ACTIONS: an AssumeRole session policy), and tells a person of a refusal;
  // never touches the ledger (a refused event claims and writes nothing).
  'guard-gameday': { ...none, actsInMember: true, notifications: true },
  // Tells a person about a finding that attaches to an open case without running the playbook again.
  'claim-case': { ...none, ledger: true, notifications: true },
  // Reads the target's tags for game-day events (firebreak:gameday), through the responder role; counts an automatic
  // containment on the blast-radius breaker in the ledger, or records the case it holds (issue 14).
  'decide-response': { ...none, actsInMember: true, ledger: true },
  'plan-containment': { ...none, actsInMember: true },
  // And the Security Hub workflow status of the incident's GuardDuty finding (config `securityHubWorkflow`, issue 16).
  notify: { ...none, ledger: true, notifications: true, updatesSecurityHubFindings: true, emitsCaseEvents: true },
  'close-case': { ...none, ledger: true },
  'record-failure': { ...none, ledger: true, notifications: true, emitsCaseEvents: true },
  // Approvals (ec2-compromise, credential-compromise, cloudtrail-tamper); with the approval request's page, the
  // Security Hub workflow status of the incident's GuardDuty finding NOTIFIED (config `securityHubWorkflow`, issue 16).
  'request-approval': { ...none, ledger: true, notifications: true, updatesSecurityHubFindings: true, emitsCaseEvents: true },
  'record-approval': { ...none, ledger: true },
  // The credential evidence of credential-compromise and cloudtrail-tamper (issue 16, item 4), one function for both:
  // LookupEvents (read-only, paced at 2/s, at most 10 pages in each of two Regions) and IAM reads through the responder
  // role, the artifacts and the manifest into the evidence bucket, the manifest on the case.
  'preserve-credential-evidence': { ...none, actsInMember: true, ledger: true, evidenceBucket: true, timeoutSeconds: 120 },
} satisfies StepTable;

/**
 * The steps no playbook runs: a rule invokes them. They come last in STEP_NAMES.
 */
export const RULE_STEPS = {
  // Closes FAILED, and tells, a case whose execution ended without recording an outcome (rule
  // firebreak-playbook-execution-ended); reads the claim and the case, writes the timeline and the status.
  // For an ec2-compromise case it also moves any ENI left on an untrack group onto the isolation group
  // (an execution stopped or timed out between Isolate's two moves runs no ResealIsolation).
  'close-orphaned-case': {
    ...none,
    actsInMember: true,
    ledger: true,
    notifications: true,
    describesPlaybookExecutions: true,
    timeoutSeconds: 120,
  },
  // The finding buffer's starter (lib/runtime/buffer/starter.ts): invoked by the buffer queue's event-source mapping;
  // reads claims and holds the per-account slots in the ledger's table, starts the catalog playbooks and reads their
  // executions (DescribeExecution: a slot whose execution ended), delays the messages it gives back (SQS).
  'start-playbook': {
    ...none,
    ledger: true,
    startsCatalogPlaybooks: true,
    describesPlaybookExecutions: true,
    consumesFindingBuffer: true,
    timeoutSeconds: BUFFER_STARTER_TIMEOUT_SECONDS,
  },
  // The proactive tamper baseline (lib/runtime/playbook/cloudtrail-tamper/record-trail-baselines.ts): invoked by its
  // schedule rule and after each deployment (lib/infra/trail-baselines.ts); reads every trail of the member accounts
  // through the responder role (a read-only session) and writes the baselines to the ledger's table.
  'record-trail-baselines': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 300 },
} satisfies StepTable;

/** A shared step's name. */
export type SharedStepName = keyof typeof SHARED_STEPS | keyof typeof RULE_STEPS;
