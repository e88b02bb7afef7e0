import * as z from 'zod/mini';
import './zod-locale';
import { CASE_ID_PATTERN } from '../names';
import { IncidentSchema } from '../incident/incident';
import { SuppressionMatchSchema } from '../brakes/suppression';
import {
  ActorRevocationSchema,
  BucketContainmentCheckSchema,
  BucketContainmentSchema,
  BucketPreservationSchema,
  CredentialEvidenceSchema,
  FunctionContainmentCheckSchema,
  FunctionContainmentSchema,
  FunctionPreservationSchema,
  TaskPreservationSchema,
  TaskStopCheckSchema,
  TaskStopSchema,
  DatabaseContainmentCheckSchema,
  DatabaseContainmentSchema,
  DatabasePreservationSchema,
  ChainResultSchema,
  SequenceChainsSchema,
  CollectedArtifactsSchema,
  ContainResultSchema,
  InstanceCredentialsResultSchema,
  LoggingRestoreSchema,
  ManifestRefSchema,
  ResealResultSchema,
  RevocationResultSchema,
  RevocationVerificationSchema,
  SnapshotBatchSchema,
  SnapshotCheckSchema,
  TamperVerificationSchema,
  TrailJudgementSchema,
} from './containment-results';
import { ReleaseCloseSchema, ReleaseRestoreSchema, ReleaseVerificationSchema } from './release-results';
import {
  ApprovalOutcomeSchema,
  ApprovalSchema,
  CloseResultSchema,
  ContainmentPlanSchema,
  DecisionSchema,
  FailureResultSchema,
  GameDayGuardResultSchema,
  NotificationResultSchema,
  OutcomeSchema,
  StepFunctionsErrorSchema,
} from './step-results';

/**
 * The state between the steps of every Step Functions playbook, one schema per state machine: {@link PlaybookStateSchema}
 * (ec2-compromise, credential-compromise, cloudtrail-tamper, root-activity, finding-triage) and {@link ReleaseStateSchema}
 * (release). Each field is what one step puts at its `ResultPath` (the step results are declared in step-results.ts,
 * containment-results.ts and release-results.ts). The state machines (lib/infra) name these fields through
 * {@link playbookPath} / {@link releasePath} (state-paths.ts), and test/infra/state-contract.test.ts checks that every
 * JSONPath of every synthesized state machine names a declared field.
 *
 * The objects strip the keys they do not declare (zod's default), deliberately, rather than refuse them (`.strict()`):
 * a Task's result is merged by Step Functions into the state it holds (`ResultPath`), never into the copy a handler
 * parsed, and no handler returns the state it parsed (Normalize and LoadCase, the two whose result replaces the state,
 * build theirs), so stripping drops nothing from an execution; refusing would fail an execution at its next step for a
 * key a newer state machine added, where the contract test already fails the build. The step results are declared
 * whole (the contract test checks at compile time that each step's return type parses as its field's schema and has no
 * key it would strip), so a handler that forwards one (Notify the revocation, RecordFailure the reseal) forwards all of it.
 */

/** A snapshot batch (containment-results.ts), re-exported for the callers that import it from here. */
export { SnapshotBatchSchema };

/** `$.run`: the execution's name and start time (ISO-8601 UTC), from the context object, put there by Normalize or LoadCase. */
export const RunSchema = z.object({ executionName: z.string(), startTime: z.string() });

/**
 * `$.event`: where Normalize stored the event that started the execution (the evidence bucket, the key, the
 * SHA-256 and size of the stored text), or `null` when nothing was stored (a dry run, a start on a named
 * resource). The event itself never travels in the state: it may be nearly as large as a state may be.
 */
export const StoredEventRefSchema = z.object({
  bucket: z.string().check(z.minLength(1)),
  key: z.string().check(z.minLength(1)),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  bytes: z.number().check(z.int()).check(z.nonnegative()),
});

/**
 * An update of a finished case's finding that adds to it (attack-sequence: GuardDuty updated the sequence to name
 * resources the case has not handled): `added`, their chain keys (`chain#<playbook>#<account>#<resource>`), and `token`,
 * 16 hex of their SHA-256, which keys the update's notifications (one per update, not one per case).
 */
export const CaseUpdateSchema = z.object({
  added: z.array(z.string()),
  token: z.string().check(z.regex(/^[0-9a-f]{16}$/)),
});

/**
 * The case reference Claim (or Contain, when it claims) puts on the state. `suppression`: a suppression rule matched
 * the finding (issue 14): the case was claimed and nothing else is done but CloseSuppressed. `update`: Claim took a
 * finished case over for an update that adds to it ({@link CaseUpdateSchema}).
 */
export const CaseRefSchema = z.object({
  caseId: z.string().check(z.minLength(1)),
  status: z.enum(['CLAIMED', 'RESUMED', 'ALREADY_HANDLED', 'DRY_RUN']),
  suppression: z.optional(SuppressionMatchSchema),
  update: z.optional(CaseUpdateSchema),
});

/**
 * The state of a containment or triage playbook after Claim: Normalize's `incident`, `event` and `run`, Claim's
 * `case`; every later field is optional, as it appears after its step (and only in the playbooks that have that step).
 * Keys not declared here are stripped (see the module's docstring).
 */
export const PlaybookStateSchema = z.object({
  /** Normalize. */
  incident: IncidentSchema,
  /** Normalize. */
  event: z.nullable(StoredEventRefSchema),
  /** Normalize. */
  run: RunSchema,
  /** GameDayGuard (a game-day event only). */
  gameDay: z.optional(GameDayGuardResultSchema),
  /** Claim. */
  case: CaseRefSchema,
  /** Decide. */
  decision: z.optional(DecisionSchema),
  /** PlanDryRun. */
  plan: z.optional(ContainmentPlanSchema),
  /** RequestApproval (SendTaskSuccess's output), or ApprovalTimedOut. */
  approval: z.optional(ApprovalSchema),
  /** RequestApproval's Catch of `States.Timeout`. */
  approvalError: z.optional(StepFunctionsErrorSchema),
  /** RecordApproval. */
  approvalOutcome: z.optional(ApprovalOutcomeSchema),
  /** ec2-compromise: Contain (preservation and isolation). */
  contain: z.optional(ContainResultSchema),
  /**
   * VerifyRevocation (credential-compromise), VerifyBucketContainment (s3-compromise) or VerifyTamperResponse
   * (cloudtrail-tamper); ec2-compromise's read-back is Contain's (`contain.verify`, issue 13). The first option that
   * parses is taken: TamperVerification, whose keys are all optional, last.
   */
  verify: z.optional(
    z.union([
      RevocationVerificationSchema,
      BucketContainmentCheckSchema,
      FunctionContainmentCheckSchema,
      TaskStopCheckSchema,
      DatabaseContainmentCheckSchema,
      TamperVerificationSchema,
    ]),
  ),
  /** ec2-compromise: DenyInstanceCredentials (the instance role's deny scoped to the instance; issue 15). */
  instanceCredentials: z.optional(InstanceCredentialsResultSchema),
  /** ec2-compromise: ResealIsolation, on the failure path of Contain. */
  reseal: z.optional(ResealResultSchema),
  /** ec2-compromise: ResealIsolation's Catch. */
  resealError: z.optional(StepFunctionsErrorSchema),
  /** ec2-compromise: SnapshotVolumes. */
  snapshots: z.optional(SnapshotBatchSchema),
  /** ec2-compromise: CheckSnapshots. */
  snapshotsCheck: z.optional(SnapshotCheckSchema),
  /** ec2-compromise: CopySnapshots. */
  memberCopies: z.optional(SnapshotBatchSchema),
  /** ec2-compromise: CheckMemberCopies. */
  memberCopiesCheck: z.optional(SnapshotCheckSchema),
  /** ec2-compromise: ShareAndCopySnapshots. */
  securityCopies: z.optional(SnapshotBatchSchema),
  /** ec2-compromise: CheckSecurityCopies. */
  securityCopiesCheck: z.optional(SnapshotCheckSchema),
  /** ec2-compromise: CollectArtifacts. */
  artifacts: z.optional(CollectedArtifactsSchema),
  /** ec2-compromise: WriteManifest. */
  manifest: z.optional(ManifestRefSchema),
  /** cloudtrail-tamper: JudgeTrailChange (issue 14). */
  judgement: z.optional(TrailJudgementSchema),
  /** cloudtrail-tamper: RestoreLogging. */
  restore: z.optional(LoggingRestoreSchema),
  /** RevokeCredentials (credential-compromise) or RevokeActor (cloudtrail-tamper); disjoint (`principal` / `actorType`). */
  revocation: z.optional(z.union([RevocationResultSchema, ActorRevocationSchema])),
  /** s3-compromise: PreserveBucket. */
  bucketPreservation: z.optional(BucketPreservationSchema),
  /** credential-compromise and cloudtrail-tamper: PreserveCredentialEvidence (issue 16, item 4). */
  credentialEvidence: z.optional(CredentialEvidenceSchema),
  /** s3-compromise: ContainBucket. */
  bucketContainment: z.optional(BucketContainmentSchema),
  /** lambda-compromise: PreserveFunction. */
  functionPreservation: z.optional(FunctionPreservationSchema),
  /** lambda-compromise: ContainFunction. */
  functionContainment: z.optional(FunctionContainmentSchema),
  /** ecs-task-compromise: PreserveTask. */
  taskPreservation: z.optional(TaskPreservationSchema),
  /** ecs-task-compromise: StopTask. */
  taskStop: z.optional(TaskStopSchema),
  /** rds-compromise: PreserveDatabase (polled until `completed`). */
  databasePreservation: z.optional(DatabasePreservationSchema),
  /** rds-compromise: ContainDatabase. */
  databaseContainment: z.optional(DatabaseContainmentSchema),
  /** credential-compromise: ChainInstanceContainment. */
  chained: z.optional(ChainResultSchema),
  /** attack-sequence: ChainSequenceContainment. */
  sequenceChains: z.optional(SequenceChainsSchema),
  /** Notify, NotifyOnly. */
  notification: z.optional(NotificationResultSchema),
  /** CloseCase, CloseNotified. */
  closed: z.optional(CloseResultSchema),
  /** A step's Catch, or UnknownDecision. */
  error: z.optional(StepFunctionsErrorSchema),
  /** RecordFailure, RecordResourceGone. */
  failure: z.optional(FailureResultSchema),
  /** The outcome Pass states, before Done. */
  outcome: z.optional(OutcomeSchema),
});
/** Validated playbook state. */
export type PlaybookState = z.infer<typeof PlaybookStateSchema>;

/** The state before Claim (Normalize's output). */
export const PreClaimStateSchema = z.omit(PlaybookStateSchema, { case: true });
export type PreClaimState = z.infer<typeof PreClaimStateSchema>;

/**
 * Input of Contain (ec2-compromise): the state, and the execution's input (`$$.Execution.Input`) when Contain claims the
 * case itself and stores the event (issue 13: Triage → Contain). After Claim (an approval, or an event Triage stored)
 * the state has `case` and there is no `input`. Contain's result replaces the state (`$`): this state with `case` and
 * `contain`, never the input.
 */
export const ContainInputSchema = z.object({
  state: z.extend(PreClaimStateSchema, { case: z.optional(CaseRefSchema) }),
  input: z.optional(z.unknown()),
});

/**
 * The state of ec2-compromise's network steps' failure path (ResealIsolation): Contain's input state plus `$.error`,
 * without `case` when Contain failed before returning it (the case is then the claim this execution holds).
 */
export const NetworkFailureStateSchema = ContainInputSchema.shape.state;
export type NetworkFailureState = z.infer<typeof NetworkFailureStateSchema>;
export type ContainInput = z.infer<typeof ContainInputSchema>;

/** Input of the Wait-loop poller. */
export const CheckSnapshotsInputSchema = z.object({
  incident: IncidentSchema,
  case: CaseRefSchema,
  batch: SnapshotBatchSchema,
  owner: z.enum(['member', 'security']),
});

/** Input of the steps the state machine gives a fixed parameter (`kind` / `outcome`). */
export const NotifyInputSchema = z.object({
  state: PlaybookStateSchema,
  kind: z.enum(['contained', 'notify-only']),
  /** Close the case with this outcome in the write that marks the notification (ec2-compromise's Notify, issue 13). */
  close: z.optional(z.enum(['CONTAINED', 'NOTIFIED'])),
});
export const CloseInputSchema = z.object({
  state: PlaybookStateSchema,
  outcome: z.enum(['CONTAINED', 'NOTIFIED', 'SHADOW', 'SUPPRESSED']),
});

/**
 * The state RecordFailure and RecordResourceGone get: whatever state there was when the error was caught, plus
 * `$.error`. That is a containment playbook's state, the release playbook's (`release` present; its `case` has its
 * own statuses), or, when Normalize or LoadCase refused the input, the execution's input as it came. Only what the
 * recorders read is declared, each as loosely as a state of any of these kinds may hold it; the rest is stripped.
 */
export const FailureStateSchema = z.object({
  incident: z.optional(IncidentSchema),
  /**
   * After Normalize, where the event is stored ({@link StoredEventRefSchema}, or `null`); before, in a start envelope
   * (`firebreak start`: `{ firebreak, event }`), the event as it came. Unknown until checked: the recorder parses it.
   */
  event: z.optional(z.unknown()),
  /** Claim's case, or LoadCase's (release: `resourceId` and `playbook` name it in the notification). */
  case: z.optional(
    z.object({
      caseId: z.string().check(z.minLength(1)),
      status: z.string(),
      resourceId: z.optional(z.string()),
      playbook: z.optional(z.string()),
    }),
  ),
  /** The release request (release playbook only), as given: it may be the malformed input LoadCase refused. */
  release: z.optional(z.record(z.string(), z.unknown())),
  run: z.optional(RunSchema),
  error: StepFunctionsErrorSchema,
  /** ec2-compromise: what ResealIsolation did on the failure path, or its error. */
  reseal: z.optional(ResealResultSchema),
  resealError: z.optional(StepFunctionsErrorSchema),
  /**
   * The execution's input as it came, when Normalize refused it (an EventBridge event, or a start envelope): what
   * identifies it in the notification. Untrusted and unvalidated (the input was refused): each is checked where read.
   */
  firebreak: z.optional(z.unknown()),
  id: z.optional(z.unknown()),
  source: z.optional(z.unknown()),
  'detail-type': z.optional(z.unknown()),
  account: z.optional(z.unknown()),
  detail: z.optional(z.unknown()),
});

/** RecordFailure's and RecordResourceGone's input: the state ({@link FailureStateSchema}) and the outcome the state machine gives. */
export const FailureInputSchema = z.object({
  state: FailureStateSchema,
  outcome: z.enum(['FAILED', 'RESOURCE_GONE']),
  /** The execution's name, when the state machine passes it (release: `$$.Execution.Name`). */
  executionName: z.optional(z.string().check(z.minLength(1))),
});

/** A case ID as the ledger makes them (`newCaseId`): `fb-<yyyymmdd>-<10 hex>`. */
export const CaseIdSchema = z.string().check(z.regex(CASE_ID_PATTERN, 'must be a case ID such as fb-20250101-0123456789'));

/** The input of the release playbook (`firebreak-release`): `{ release: { caseId, reason, operator } }`. */
export const ReleaseRequestSchema = z.strictObject({
  /** The case whose containment is undone. */
  caseId: CaseIdSchema,
  /** Why, for the timeline and the notification. */
  reason: z.string().check(z.trim()).check(z.minLength(1, 'must say why the case is released')).check(z.maxLength(1024)),
  /** Who asked (the CLI puts the caller's ARN), for the timeline and the notification. */
  operator: z.string().check(z.trim()).check(z.minLength(1)).check(z.maxLength(512)),
});
/** A validated release request. */
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>;

/** LoadCase's input: the state machine input and the execution's name and start time. */
export const LoadCaseInputSchema = z.object({
  input: z.strictObject({ release: ReleaseRequestSchema }),
  executionName: z.string().check(z.minLength(1)),
  executionStartTime: z.string().check(z.minLength(1)),
});

/** The case as LoadCase puts it on the release state (`$.case`). */
export const ReleaseCaseSchema = z.object({
  caseId: CaseIdSchema,
  /** `RELEASING`: the release goes on; `ALREADY_RELEASED`: the case was released before, nothing is done. */
  status: z.enum(['RELEASING', 'ALREADY_RELEASED']),
  /** The case's status when LoadCase read it (`CONTAINED`, `FAILED` or `RELEASED`). */
  previousStatus: z.string(),
  /** The playbook that contained (the ReleaseTarget Choice branches on it). */
  playbook: z.string(),
  account: z.string(),
  region: z.string(),
  resourceId: z.string(),
  /** Whether the case revoked credentials (`priorState.user` or `.role`): a cloudtrail-tamper actor. */
  actorRevoked: z.boolean(),
});

/**
 * The state of a release execution after LoadCase (see docs/ARCHITECTURE.md, "The release playbook"): LoadCase's
 * `release`, `run` and `case`; every later field is optional, as it appears after its step. Keys not declared here
 * are stripped (see the module's docstring).
 */
export const ReleaseStateSchema = z.object({
  /** LoadCase (the request it validated). */
  release: ReleaseRequestSchema,
  /** LoadCase. */
  run: RunSchema,
  /** LoadCase. */
  case: ReleaseCaseSchema,
  /** ReleaseInstance, ReleaseCredentials or NothingToRestore. */
  restore: z.optional(ReleaseRestoreSchema),
  /** VerifyRelease. */
  verify: z.optional(ReleaseVerificationSchema),
  /** CloseRelease. */
  closed: z.optional(ReleaseCloseSchema),
  /** NotifyRelease. */
  notification: z.optional(NotificationResultSchema),
  /** A step's Catch, or UnknownReleaseTarget. */
  error: z.optional(StepFunctionsErrorSchema),
  /** RecordFailure, RecordResourceGone. */
  failure: z.optional(FailureResultSchema),
  /** The outcome Pass states, before Done. */
  outcome: z.optional(OutcomeSchema),
});
/** Validated release state. */
export type ReleaseState = z.infer<typeof ReleaseStateSchema>;
