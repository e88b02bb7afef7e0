import { z } from 'zod';

/** The finding fields every playbook step can rely on. */
export const FindingSummarySchema = z.object({
  id: z.string(),
  type: z.string(),
  severity: z.number(),
  count: z.number().int().optional(),
  resourceRole: z.string().optional(),
  eventLastSeen: z.string().optional(),
  title: z.string().optional(),
});

/**
 * An incident: the normalized form of an event that a playbook works on. Built by Normalize
 * (DESIGN.md §3) and passed to every later step.
 */
export const IncidentSchema = z.object({
  /** The playbook (state machine) name. */
  playbook: z.literal('ec2-compromise'),
  /** The member account that owns the resource (`detail.accountId`, not the envelope's `account`). */
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  partition: z.string().default('aws'),
  resource: z.object({ type: z.literal('Instance'), id: z.string().min(1) }),
  finding: FindingSummarySchema,
  /** Who started the response. */
  trigger: z.enum(['auto', 'manual', 'gameday']),
  /** A dry run makes no mutating call and returns the plan. */
  dryRun: z.boolean(),
  /** The finding came from GuardDuty `CreateSampleFindings`. */
  sample: z.boolean(),
  /** The catalog entry that covers the finding, if any. */
  catalogEntryId: z.string().optional(),
  /** The catalog's response mode for the finding; `none` when no entry covers it. */
  mode: z.enum(['auto', 'notify', 'none']),
  /** EventBridge event ID. */
  eventId: z.string(),
  /** ISO-8601 UTC time of the event. */
  eventTime: z.string(),
  reason: z.string().optional(),
  operator: z.string().optional(),
});

/** A normalized incident. */
export type Incident = z.infer<typeof IncidentSchema>;
