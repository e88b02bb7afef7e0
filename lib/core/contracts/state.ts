import { z } from 'zod';
import { IncidentSchema } from '../incident/incident';

/** A snapshot batch as it travels through the state machine. */
export const SnapshotBatchSchema = z.object({
  snapshotIds: z.array(z.string()),
  sourceVolumeIds: z.array(z.string()),
  ownerAccount: z.string(),
  deadline: z.string(),
});

/**
 * `$.event`: where Normalize stored the event that started the execution (the evidence bucket, the key, the
 * SHA-256 and size of the stored text), or `null` when nothing was stored (a dry run, a start on a named
 * resource). The event itself never travels in the state: it may be nearly as large as a state may be.
 */
export const StoredEventRefSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});

/** The case reference Claim puts on the state. */
export const CaseRefSchema = z.object({
  caseId: z.string().min(1),
  status: z.enum(['CLAIMED', 'RESUMED', 'ALREADY_HANDLED', 'DRY_RUN']),
});

/**
 * The state of an `ec2-compromise` execution after Claim: what the state machine passes from step
 * to step (JSONPath `ResultPath`s, see docs/ARCHITECTURE.md). Later fields are optional because
 * each appears after its step; unknown fields are kept.
 */
export const PlaybookStateSchema = z
  .object({
    incident: IncidentSchema,
    event: StoredEventRefSchema.nullable(),
    run: z.object({ executionName: z.string(), startTime: z.string() }),
    case: CaseRefSchema,
    snapshots: SnapshotBatchSchema.optional(),
    memberCopies: SnapshotBatchSchema.optional(),
    securityCopies: SnapshotBatchSchema.optional(),
  })
  .passthrough();
/** Validated playbook state. */
export type PlaybookState = z.infer<typeof PlaybookStateSchema>;

/** The state before Claim (Normalize's output). */
export const PreClaimStateSchema = PlaybookStateSchema.omit({ case: true });
export type PreClaimState = z.infer<typeof PreClaimStateSchema>;

/** Input of the Wait-loop poller. */
export const CheckSnapshotsInputSchema = z.object({
  incident: IncidentSchema,
  case: CaseRefSchema,
  batch: SnapshotBatchSchema,
  owner: z.enum(['member', 'security']),
});

/** Input of the steps the state machine gives a fixed parameter (`kind` / `outcome`). */
export const NotifyInputSchema = z.object({ state: PlaybookStateSchema, kind: z.enum(['contained', 'notify-only']) });
export const CloseInputSchema = z.object({ state: PlaybookStateSchema, outcome: z.enum(['CONTAINED', 'NOTIFIED']) });

/**
 * RecordFailure gets whatever state there was when the error was caught, plus `$.error`: a containment
 * playbook's state, or the release playbook's (`release` present; its `case` has its own statuses).
 */
export const FailureInputSchema = z.object({
  state: z
    .object({
      incident: IncidentSchema.optional(),
      case: z.object({ caseId: z.string().min(1), status: z.string() }).passthrough().optional(),
      /** The release request (release playbook only), as given: it may be the malformed input LoadCase refused. */
      release: z.record(z.string(), z.unknown()).optional(),
      run: z.object({ executionName: z.string(), startTime: z.string() }).optional(),
      error: z.object({ Error: z.string(), Cause: z.string().optional() }).passthrough(),
    })
    .passthrough(),
  outcome: z.enum(['FAILED', 'RESOURCE_GONE']),
  /** The execution's name, when the state machine passes it (release: `$$.Execution.Name`). */
  executionName: z.string().min(1).optional(),
});

/** A case ID as the ledger makes them (`newCaseId`): `fb-<yyyymmdd>-<10 hex>`. */
export const CaseIdSchema = z.string().regex(/^fb-\d{8}-[0-9a-f]{10}$/, 'must be a case ID such as fb-20250101-0123456789');

/** The input of the release playbook (`firebreak-release`): `{ release: { caseId, reason, operator } }`. */
export const ReleaseRequestSchema = z
  .object({
    /** The case whose containment is undone. */
    caseId: CaseIdSchema,
    /** Why, for the timeline and the notification. */
    reason: z.string().trim().min(1, 'must say why the case is released').max(1024),
    /** Who asked (the CLI puts the caller's ARN), for the timeline and the notification. */
    operator: z.string().trim().min(1).max(512),
  })
  .strict();
/** A validated release request. */
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>;

/** LoadCase's input: the state machine input and the execution's name and start time. */
export const LoadCaseInputSchema = z.object({
  input: z.object({ release: ReleaseRequestSchema }).strict(),
  executionName: z.string().min(1),
  executionStartTime: z.string().min(1),
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
 * The state of a release execution after LoadCase (JSONPath `ResultPath`s, see docs/ARCHITECTURE.md,
 * "The release playbook"). Later fields appear after their step; unknown fields are kept.
 */
export const ReleaseStateSchema = z
  .object({
    release: ReleaseRequestSchema,
    run: z.object({ executionName: z.string(), startTime: z.string() }),
    case: ReleaseCaseSchema,
  })
  .passthrough();
/** Validated release state. */
export type ReleaseState = z.infer<typeof ReleaseStateSchema>;
