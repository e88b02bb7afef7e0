/**
 * The Lambda steps of the playbooks and what each one may touch (docs/ARCHITECTURE.md, "Lambda steps
 * of ec2-compromise", "The credential-compromise playbook", "The cloudtrail-tamper playbook", "The
 * root-activity playbook" and "The release playbook"). The stacks derive every step's permissions, and
 * the member account's trust policies (responder and releaser), from this one table. normalize-finding,
 * claim-case, decide-response, plan-containment, notify, close-case and record-failure are shared by
 * the containment playbooks (one function each); record-failure is shared by release too.
 * close-orphaned-case is no playbook's: the rule `firebreak-playbook-execution-ended` invokes it.
 */

import { DEFAULT_NAME_PREFIX } from '../core/names';

/** Every step, by its folder name under `lambdas/`. */
export const STEP_NAMES = [
  'normalize-finding',
  // before Claim in the playbooks with game-day rules (ec2-compromise, credential-compromise)
  'guard-gameday',
  'claim-case',
  'decide-response',
  'plan-containment',
  'preserve-instance',
  'isolate-instance',
  'verify-isolation',
  'reseal-isolation',
  'snapshot-volumes',
  'check-snapshots',
  'copy-snapshots',
  'share-snapshots',
  'collect-artifacts',
  'write-manifest',
  'notify',
  'close-case',
  'record-failure',
  // credential-compromise
  'revoke-credentials',
  'verify-revocation',
  'chain-instance-containment',
  // approvals (ec2-compromise, credential-compromise, cloudtrail-tamper)
  'request-approval',
  'record-approval',
  // cloudtrail-tamper
  'restore-logging',
  'revoke-actor',
  'verify-tamper-response',
  // release (started by hand; acts in member accounts through the releaser role only)
  'load-case',
  'release-instance',
  'release-credentials',
  'verify-release',
  'close-release',
  'notify-release',
  // started by a rule, not a playbook: a playbook execution that ended (timed out, aborted, failed) with its case in progress
  'close-orphaned-case',
] as const;

/** A step's folder name under `lambdas/`, also its `FIREBREAK_STEP` value. */
export type StepName = (typeof STEP_NAMES)[number];

/** What a step needs, beyond logs and tracing. */
export interface StepAccess {
  /** Assumes the responder role in member accounts (containment). */
  readonly actsInMember: boolean;
  /**
   * Assumes the releaser role in member accounts (release). Never together with `actsInMember`: a
   * step that contains cannot release, and a step that releases cannot contain.
   */
  readonly releasesInMember: boolean;
  /** Reads and writes the case ledger (claim, timeline, prior state, evidence records). */
  readonly ledger: boolean;
  /** Writes artifacts or the manifest to the evidence bucket. */
  readonly evidenceBucket: boolean;
  /** Stores the events that start playbooks in the evidence bucket, under `received-events/` only (Normalize). */
  readonly storesReceivedEvents: boolean;
  /** Publishes to the notification topic. */
  readonly notifications: boolean;
  /** Describes snapshots in the security account. */
  readonly describeSecuritySnapshots: boolean;
  /** Copies shared snapshots into the security account under the evidence key. */
  readonly copyIntoSecurityAccount: boolean;
  /** Starts executions of the ec2-compromise playbook (chaining). */
  readonly startsEc2Playbook: boolean;
  /** Reads the executions of the claiming playbooks (DescribeExecution: an input the status-change event left out). */
  readonly describesPlaybookExecutions: boolean;
  /**
   * Lambda timeout in seconds.
   * @default 60
   */
  readonly timeoutSeconds?: number;
}

const none: StepAccess = {
  actsInMember: false,
  releasesInMember: false,
  ledger: false,
  evidenceBucket: false,
  storesReceivedEvents: false,
  notifications: false,
  describeSecuritySnapshots: false,
  copyIntoSecurityAccount: false,
  startsEc2Playbook: false,
  describesPlaybookExecutions: false,
};

/**
 * Per-step access. Every step except `normalize-finding`, `guard-gameday`, `decide-response` and
 * `plan-containment` appends to the case timeline, so it gets the ledger grant. No step both contains and releases.
 */
export const STEP_ACCESS: Readonly<Record<StepName, StepAccess>> = {
  // Stores the event once in the evidence bucket and passes a reference: the state cannot hold a large event.
  'normalize-finding': { ...none, storesReceivedEvents: true },
  // Refuses a game-day event before Claim: reads the target's tags (firebreak:gameday) through the responder
  // role, in a session limited to those reads (GAMEDAY_GUARD_ACTIONS: an AssumeRole session policy), and tells a
  // person of a refusal; never touches the ledger (a refused event claims and writes nothing).
  'guard-gameday': { ...none, actsInMember: true, notifications: true },
  // Tells a person about a finding that attaches to an open case without running the playbook again.
  'claim-case': { ...none, ledger: true, notifications: true },
  // Reads the target's tags for game-day events (firebreak:gameday), through the responder role.
  'decide-response': { ...none, actsInMember: true },
  'plan-containment': { ...none, actsInMember: true },
  'preserve-instance': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 120 },
  'isolate-instance': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 120 },
  // Steps that describe the instance get room for the NotFound grace (at most 60 s, lib/core/config.ts).
  'verify-isolation': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 120 },
  'reseal-isolation': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 120 },
  'snapshot-volumes': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 120 },
  'check-snapshots': { ...none, actsInMember: true, ledger: true, describeSecuritySnapshots: true },
  'copy-snapshots': { ...none, actsInMember: true, ledger: true },
  'share-snapshots': { ...none, actsInMember: true, ledger: true, describeSecuritySnapshots: true, copyIntoSecurityAccount: true },
  'collect-artifacts': { ...none, actsInMember: true, ledger: true, evidenceBucket: true, timeoutSeconds: 180 },
  'write-manifest': { ...none, ledger: true, evidenceBucket: true },
  notify: { ...none, ledger: true, notifications: true },
  'close-case': { ...none, ledger: true },
  'record-failure': { ...none, ledger: true, notifications: true },
  'revoke-credentials': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'verify-revocation': { ...none, actsInMember: true, ledger: true },
  'chain-instance-containment': { ...none, ledger: true, startsEc2Playbook: true },
  'request-approval': { ...none, ledger: true, notifications: true },
  'record-approval': { ...none, ledger: true },
  'restore-logging': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'revoke-actor': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'verify-tamper-response': { ...none, actsInMember: true, ledger: true, timeoutSeconds: 60 },
  'load-case': { ...none, ledger: true },
  'release-instance': { ...none, releasesInMember: true, ledger: true, timeoutSeconds: 120 },
  'release-credentials': { ...none, releasesInMember: true, ledger: true, timeoutSeconds: 60 },
  'verify-release': { ...none, releasesInMember: true, ledger: true },
  'close-release': { ...none, ledger: true },
  'notify-release': { ...none, ledger: true, notifications: true },
  // Closes FAILED, and tells, a case whose execution ended without recording an outcome (rule
  // firebreak-playbook-execution-ended); reads the claim and the case, writes the timeline and the status.
  // For an ec2-compromise case it also moves any ENI left on an untrack group onto the isolation group
  // (an execution stopped or timed out between Isolate's two moves runs no ResealIsolation).
  'close-orphaned-case': { ...none, actsInMember: true, ledger: true, notifications: true, describesPlaybookExecutions: true, timeoutSeconds: 120 },
};

/** The steps that assume the responder role in member accounts, in table order. */
export const MEMBER_ACTING_STEPS: readonly StepName[] = STEP_NAMES.filter((s) => STEP_ACCESS[s].actsInMember);

/** The steps that assume the releaser role in member accounts, in table order (the release playbook's). */
export const RELEASING_STEPS: readonly StepName[] = STEP_NAMES.filter((s) => STEP_ACCESS[s].releasesInMember);

/**
 * The deterministic name of a step's IAM role (and of its Lambda function) in the security account.
 * The member account's trust policy names these roles, so they are part of the deployment contract.
 * @param step - the step.
 * @param prefix - the deployment's name prefix (lib/core/names.ts). @default 'firebreak'
 * @returns `<prefix>-<step>`, at most 64 characters (a prefix is at most 20).
 */
export function stepRoleName(step: StepName, prefix: string = DEFAULT_NAME_PREFIX): string {
  return `${prefix}-${step}`;
}
