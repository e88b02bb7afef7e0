import type { PlannedAction, StepMode } from '../ec2/instance';

/**
 * The shared shape of a release: every release module first *assesses* (reads only) and returns the
 * changes it would make as {@link ReleaseChange}s, what already matches the recorded prior state, what
 * cannot be restored, and what blocks the release. `ensure*` functions then run the changes (apply) or
 * return them (plan); `verify*` functions assess again and report what is still pending.
 */

/** What a release item is about. */
export type ReleaseItemKind =
  | 'security-groups'
  | 'instance-profile'
  | 'elastic-ip'
  | 'auto-scaling-group'
  | 'target-group'
  | 'termination-protection'
  | 'shutdown-behavior'
  | 'delete-on-termination'
  | 'tags'
  | 'access-key'
  | 'inline-policy'
  | 'managed-policy'
  | 'login-profile'
  | 'bucket-policy'
  | 'public-access-block'
  | 'versioning'
  | 'reserved-concurrency';

/** One item of a release that needs no change, or cannot be restored. */
export interface ReleaseItem {
  readonly item: ReleaseItemKind;
  /** The resource, e.g. an ENI ID, an allocation ID, a target group ARN, `user/alice`. */
  readonly target: string;
  /** What was found, or why it cannot be restored, for a human. */
  readonly detail: string;
}

/**
 * Order in which changes run. All changes of a phase run concurrently; a phase starts when the one
 * before it has finished.
 * 1. the instance itself and its network (security groups, profile, EIPs, attributes, tags);
 * 2. load balancer target groups (the instance must be reachable before it takes traffic);
 * 3. Auto Scaling (last: with ELB health checks, a group would replace an instance that fails them).
 */
export type ReleasePhase = 1 | 2 | 3;

/** One change a release makes (apply) or would make (plan). */
export interface ReleaseChange {
  readonly action: PlannedAction;
  readonly phase: ReleasePhase;
  /** Makes the change. Never called in plan mode. */
  readonly run: () => Promise<unknown>;
}

/** What an assessment found. Built by reading only. */
export interface ReleaseAssessment {
  readonly changes: ReleaseChange[];
  readonly unchanged: ReleaseItem[];
  readonly notRestored: ReleaseItem[];
  /** Reasons the release must not start (nothing is changed while any exists). */
  readonly blockers: string[];
}

/** Result of an `ensure*Released` function. */
export interface ReleaseResult {
  readonly mode: StepMode;
  /** Changes made (apply) or that would be made (plan), in phase order. Empty when already released. */
  readonly actions: PlannedAction[];
  /** What already matched the recorded prior state (nothing done). */
  readonly unchanged: ReleaseItem[];
  /** What cannot be restored, and why. Nothing was attempted for these. */
  readonly notRestored: ReleaseItem[];
}

/**
 * An empty assessment, to fill.
 * @returns an assessment with no change, item or blocker.
 */
export function emptyAssessment(): ReleaseAssessment {
  return { changes: [], unchanged: [], notRestored: [], blockers: [] };
}

/**
 * Merges assessments, keeping their order.
 * @param parts - assessments of separate parts of one release.
 * @returns one assessment holding all their changes, items and blockers.
 */
export function mergeAssessments(parts: readonly ReleaseAssessment[]): ReleaseAssessment {
  const out = emptyAssessment();
  for (const p of parts) {
    out.changes.push(...p.changes);
    out.unchanged.push(...p.unchanged);
    out.notRestored.push(...p.notRestored);
    out.blockers.push(...p.blockers);
  }
  return out;
}

/**
 * Runs an assessment's changes phase by phase (apply), or only lists them (plan). Within a phase
 * every change runs even when one fails; the first failure is then thrown, and a re-run picks up
 * what is left, since every release step reads before it writes.
 * @param assessment - from an assessment with no blockers.
 * @param mode - `plan` calls nothing.
 * @returns the actions, in phase order.
 * @throws the first error of the first phase that had one (an SDK error as mapped by the client).
 */
export async function runChanges(assessment: ReleaseAssessment, mode: StepMode): Promise<PlannedAction[]> {
  const ordered = [...assessment.changes].sort((a, b) => a.phase - b.phase);
  if (mode === 'apply') {
    for (const phase of [1, 2, 3] as const) {
      const settled = await Promise.allSettled(ordered.filter((c) => c.phase === phase).map((c) => c.run()));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }
  return ordered.map((c) => c.action);
}

/**
 * Compares two ID lists as sets (order and duplicates do not matter: an ENI's security groups are a set).
 * @returns true when both hold the same IDs.
 */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/**
 * A problem line for `verify*Released`: one change that is still pending.
 * @returns e.g. `eni-0abc: not restored yet (EC2.ModifyNetworkInterfaceAttribute: groups … → …)`.
 */
export function pendingProblem(change: ReleaseChange): string {
  return `${change.action.target}: not restored yet (${change.action.operation}: ${change.action.change})`;
}
