/**
 * What a Lambda step may touch (its grants), the row type of the step tables that each playbook's infra module
 * (lib/infra/playbooks/<playbook>/index.ts) and the shared module (lib/infra/playbooks/shared.ts) declare.
 * Pure data, no CDK: lib/infra/steps.ts assembles the tables into STEP_ACCESS.
 */

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
  /** Copies a shared DB (cluster) snapshot into the security account under the evidence key (rds-compromise). */
  readonly copiesDbIntoSecurityAccount?: boolean;
  /** Reads the events Normalize stored (`received-events/` only: the finding's fields the state does not carry). */
  readonly readsReceivedEvents?: boolean;
  /** Starts executions of the ec2-compromise playbook (chaining): gets its ARN as `FIREBREAK_EC2_PLAYBOOK_ARN`. */
  readonly startsEc2Playbook: boolean;
  /** Starts executions of the credential-compromise playbook (attack-sequence's chaining): gets its ARN as `FIREBREAK_CREDENTIAL_PLAYBOOK_ARN`. */
  readonly startsCredentialPlaybook: boolean;
  /** Reads the executions of the claiming playbooks (DescribeExecution: an input the status-change event left out). */
  readonly describesPlaybookExecutions: boolean;
  /** Starts executions of the playbooks the catalog's rules start (the finding buffer's starter). */
  readonly startsCatalogPlaybooks: boolean;
  /** Receives, delays and deletes the finding buffer's messages (its event-source mapping's grant). */
  readonly consumesFindingBuffer: boolean;
  /**
   * Reads and updates the workflow status of the case's GuardDuty findings in the security account's Security Hub
   * (GetFindings, BatchUpdateFindings); granted only when config `securityHubWorkflow` is not `off`.
   */
  readonly updatesSecurityHubFindings?: boolean;
  /** Puts the `Firebreak Case` events on Firebreak's bus (PutEvents, source `firebreak`, detail type `Firebreak Case` only). */
  readonly emitsCaseEvents?: boolean;
  /**
   * Locks the security account's own evidence snapshot copies (EBS snapshot lock: LockSnapshot, DescribeLockedSnapshots;
   * never UnlockSnapshot).
   */
  readonly locksSecuritySnapshots?: boolean;
  /**
   * Lambda timeout in seconds.
   * @default 60
   */
  readonly timeoutSeconds?: number;
}

/** A table of steps, by folder name under `lambdas/` (also the `FIREBREAK_STEP` value), and what each may touch. */
export type StepTable<S extends string = string> = Readonly<Record<S, StepAccess>>;

/** No access at all: the base every table row spreads and then grants what its step needs. */
export const NO_STEP_ACCESS: StepAccess = {
  actsInMember: false,
  releasesInMember: false,
  ledger: false,
  evidenceBucket: false,
  storesReceivedEvents: false,
  notifications: false,
  describeSecuritySnapshots: false,
  copyIntoSecurityAccount: false,
  startsEc2Playbook: false,
  startsCredentialPlaybook: false,
  describesPlaybookExecutions: false,
  startsCatalogPlaybooks: false,
  consumesFindingBuffer: false,
};
