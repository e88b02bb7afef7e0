import { z } from 'zod';
import { IncidentSchema } from '../incident/incident';

/** A snapshot batch as it travels through the state machine. */
export const SnapshotBatchSchema = z.object({
  snapshotIds: z.array(z.string()),
  sourceVolumeIds: z.array(z.string()),
  ownerAccount: z.string(),
  deadline: z.string(),
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
    event: z.record(z.string(), z.unknown()),
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

/** RecordFailure gets whatever state there was when the error was caught, plus `$.error`. */
export const FailureInputSchema = z.object({
  state: z
    .object({
      incident: IncidentSchema.optional(),
      case: CaseRefSchema.optional(),
      run: z.object({ executionName: z.string(), startTime: z.string() }).optional(),
      error: z.object({ Error: z.string(), Cause: z.string().optional() }).passthrough(),
    })
    .passthrough(),
  outcome: z.enum(['FAILED', 'RESOURCE_GONE']),
});
