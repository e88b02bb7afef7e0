import { DescribeLockedSnapshotsCommand, EC2Client, LockedSnapshotsInfo, LockSnapshotCommand } from '@aws-sdk/client-ec2';
import type { PlannedAction, StepMode } from './instance';
import '../clients/ec2';

/**
 * EBS snapshot lock of the security account's evidence copies (issue 16, Build item 4).
 *
 * AWS: EBS User Guide, "Amazon EBS snapshot lock concepts" (https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-concepts.html)
 * and EC2 API reference, LockSnapshot (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html),
 * LockedSnapshotsInfo (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockedSnapshotsInfo.html). A locked
 * snapshot can't be deleted. Governance: whoever holds `ec2:UnlockSnapshot` (or `ec2:LockSnapshot`) may unlock it or
 * shorten the lock at any time. Compliance: after the optional cooling-off period no one can unlock it, change its mode
 * or shorten it; only a longer lock is accepted. A pending snapshot can be locked (its duration then starts when it
 * completes: "Lock an Amazon EBS snapshot", https://docs.aws.amazon.com/ebs/latest/userguide/lock-snapshot.html).
 *
 * Firebreak locks in the evidence bucket's Object Lock mode, until the copy's record (`recordedAt`, the ledger's, written
 * by Firebreak's own Lambda) plus the bucket's retention in days: the same retention as the objects, from a fixed point,
 * so a second run computes the same expiry and finds nothing to do. The lock is set by `ExpirationDate`, never
 * `LockDuration` (which AWS counts from the snapshot's completion, so a re-run could not tell a lock it made from a
 * shorter one). Compliance mode takes no cooling-off period: the Object Lock of the evidence objects has none either, and
 * a cooling-off period is a window in which anyone allowed `ec2:UnlockSnapshot` in the security account could remove the
 * lock, the very change it exists to prevent; the cost of a mistaken lock is a snapshot kept for `evidenceRetentionDays`
 * (GOVERNANCE, or a short retention, is how a deployment tries the setting first).
 */

/** The evidence bucket's Object Lock settings the snapshot copies follow (config `objectLockMode`, `evidenceRetentionDays`). */
export interface EvidenceLockPolicy {
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  /** 1 to 36500 (LockSnapshot's `LockDuration` range; config `evidenceRetentionDays`). */
  readonly retentionDays: number;
}

/** A snapshot to lock: its ID and when the case recorded it (ISO-8601 UTC), the start of its retention. */
export interface LockTarget {
  readonly snapshotId: string;
  readonly recordedAt: string;
}

/** What the case records of a snapshot's lock after the step (`evidence["lock#<snapshotId>"]`). */
export interface SnapshotLockRecord {
  readonly snapshotId: string;
  /** The EC2 lock mode in force (`governance` | `compliance`). */
  readonly lockMode: 'governance' | 'compliance';
  /** Until when (ISO-8601 UTC). */
  readonly lockExpiresOn: string;
  /** Whether this run called LockSnapshot for it (false: the lock read back already held long and strong enough). */
  readonly changed: boolean;
}

/** What {@link ensureSnapshotsLocked} did or would do. */
export interface SnapshotLockResult {
  readonly actions: PlannedAction[];
  readonly locks: SnapshotLockRecord[];
}

const DAY_MS = 86_400_000;

/** The expiry a snapshot must be locked until: its record's time plus the retention, to the second. */
export function requiredExpiry(target: LockTarget, policy: EvidenceLockPolicy): Date {
  return new Date(Math.ceil((Date.parse(target.recordedAt) + policy.retentionDays * DAY_MS) / 1000) * 1000);
}

/**
 * The lock in force, from a LockedSnapshotsInfo: none when there is none or it expired (`expired`: "not locked");
 * `coolingOff` for a compliance lock still in its cooling-off period (it can still be unlocked).
 */
function inForce(
  info: LockedSnapshotsInfo | undefined,
): { mode: 'governance' | 'compliance'; expiresOn: Date; coolingOff: boolean } | undefined {
  if (!info?.LockState || info.LockState === 'expired' || !info.LockExpiresOn) return undefined;
  const coolingOff = info.LockState === 'compliance-cooloff';
  return { mode: info.LockState === 'governance' ? 'governance' : 'compliance', expiresOn: info.LockExpiresOn, coolingOff };
}

/**
 * The LockSnapshot call a snapshot needs, if any: the stronger of the mode in force and the configured one, until the
 * later of the expiry in force and the required one; none when the lock in force is already that strong and long (with
 * a COMPLIANCE policy, a compliance lock still in its cooling-off period is not: LockSnapshot, EC2 API reference,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html, `CoolOffPeriod`). It
 * never asks for a weaker mode or an earlier expiry than the one in force (a compliance lock past its cooling-off period
 * refuses both; a governance lock would accept them, and Firebreak must not make them).
 */
export function lockDecision(
  info: LockedSnapshotsInfo | undefined,
  required: Date,
  policy: EvidenceLockPolicy,
): { mode: 'governance' | 'compliance'; expiresOn: Date; call: boolean } {
  const current = inForce(info);
  const mode = policy.mode === 'COMPLIANCE' || current?.mode === 'compliance' ? 'compliance' : 'governance';
  const expiresOn = current && current.expiresOn.getTime() >= required.getTime() ? current.expiresOn : required;
  // A COMPLIANCE policy is not met by a lock in its cooling-off period: compliance asked again, with no cooling-off
  // period ("To lock the snapshot in compliance mode immediately without a cooling-off period, omit this parameter").
  const coolingOff = policy.mode === 'COMPLIANCE' && !!current?.coolingOff;
  const call = !current || current.mode !== mode || current.expiresOn.getTime() < required.getTime() || coolingOff;
  return { mode, expiresOn, call };
}

/**
 * The locks of the snapshots named (DescribeLockedSnapshots, every page: the answer is paged by `NextToken`, EC2 API
 * reference, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLockedSnapshots.html). A snapshot that
 * carries no lock is not listed.
 * @param snapshotIds - the caller's own snapshots (another's is `InvalidSnapshot.NotFound`).
 */
export async function describeSnapshotLocks(ec2: EC2Client, snapshotIds: readonly string[]): Promise<LockedSnapshotsInfo[]> {
  const out: LockedSnapshotsInfo[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [...snapshotIds], NextToken: token }));
    out.push(...(page.Snapshots ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

/**
 * Ensures every snapshot given is locked in the evidence policy's mode (or stricter) until its required expiry (or
 * later): DescribeLockedSnapshots of them all, every page (read), then one LockSnapshot per snapshot whose lock in force is
 * missing, expired, weaker or shorter (apply the difference), never a cooling-off period, never UnlockSnapshot. Two runs
 * at once both ask for the same mode and expiry; a run after a crash past a LockSnapshot reads it back and makes none.
 * In `plan` mode only the read is made.
 * @param input.targets - the security account's evidence copies (its own snapshots: only the owner may lock one).
 * @param deps.ec2 - a client of the security account.
 * @returns the LockSnapshot calls (made or planned) and each snapshot's lock after the step.
 * @throws the SDK's errors (`InvalidSnapshot.NotFound` for a snapshot the account does not own).
 */
export async function ensureSnapshotsLocked(
  input: { targets: readonly LockTarget[]; policy: EvidenceLockPolicy; mode: StepMode },
  deps: { ec2: EC2Client },
): Promise<SnapshotLockResult> {
  if (!input.targets.length) return { actions: [], locks: [] };
  const byId = new Map(
    (
      await describeSnapshotLocks(
        deps.ec2,
        input.targets.map((t) => t.snapshotId),
      )
    ).map((s) => [s.SnapshotId!, s]),
  );
  const actions: PlannedAction[] = [];
  const locks: SnapshotLockRecord[] = [];
  for (const t of input.targets) {
    const d = lockDecision(byId.get(t.snapshotId), requiredExpiry(t, input.policy), input.policy);
    locks.push({ snapshotId: t.snapshotId, lockMode: d.mode, lockExpiresOn: d.expiresOn.toISOString(), changed: d.call });
    if (!d.call) continue;
    actions.push({ operation: 'EC2.LockSnapshot', target: t.snapshotId, change: `${d.mode} until ${d.expiresOn.toISOString()}` });
    if (input.mode === 'apply')
      await deps.ec2.send(new LockSnapshotCommand({ SnapshotId: t.snapshotId, LockMode: d.mode, ExpirationDate: d.expiresOn }));
  }
  return { actions, locks };
}
