import type { EC2Client, LockedSnapshotsInfo, LockState } from '@aws-sdk/client-ec2';
import fc from 'fast-check';
import { ensureSnapshotsLocked, lockDecision } from '../../../lib/runtime/ec2/snapshot-lock';
import { snapshotLockProblems } from '../../../lib/operator/evidence';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-05T00:00:00Z');

/** A lock as DescribeLockedSnapshots returns it (or none). */
const lockInfo = fc.option(
  fc.record({
    LockState: fc.constantFrom<LockState>('governance', 'compliance', 'compliance-cooloff', 'expired'),
    LockExpiresOn: fc.integer({ min: 1, max: 400 }).map((d) => new Date(NOW + d * DAY)),
  }),
  { nil: undefined },
);
const policy = fc.record({
  mode: fc.constantFrom<'GOVERNANCE' | 'COMPLIANCE'>('GOVERNANCE', 'COMPLIANCE'),
  retentionDays: fc.integer({ min: 1, max: 365 }),
});

describe('lockDecision (EBS snapshot lock of the evidence copies)', () => {
  it('never asks for a weaker mode or an earlier expiry than the lock in force, and always reaches the policy', () => {
    fc.assert(
      fc.property(lockInfo, policy, (info: LockedSnapshotsInfo | undefined, p) => {
        const required = new Date(NOW + p.retentionDays * DAY);
        const d = lockDecision(info, required, p);
        const inForce = info && info.LockState !== 'expired' ? info : undefined;
        if (inForce?.LockState !== 'governance' && inForce) expect(d.mode).toBe('compliance');
        if (p.mode === 'COMPLIANCE') expect(d.mode).toBe('compliance');
        expect(d.expiresOn.getTime()).toBeGreaterThanOrEqual(required.getTime());
        if (inForce) expect(d.expiresOn.getTime()).toBeGreaterThanOrEqual(inForce.LockExpiresOn!.getTime());
        // No call only when the lock in force already is that mode and at least that long.
        if (!d.call) expect(inForce && d.expiresOn.getTime() === inForce.LockExpiresOn!.getTime()).toBe(true);
      }),
    );
  });
});

describe('snapshotLockProblems (evidence verify)', () => {
  const recordedAt = new Date(NOW).toISOString();
  const at = (days: number) => new Date(NOW + days * DAY);

  it('passes a lock at least as strong and long as the bucket default', () => {
    expect(snapshotLockProblems({ LockState: 'compliance', LockExpiresOn: at(90) }, { mode: 'COMPLIANCE', days: 90 }, recordedAt)).toEqual(
      [],
    );
    expect(snapshotLockProblems({ LockState: 'compliance', LockExpiresOn: at(91) }, { mode: 'GOVERNANCE', days: 90 }, recordedAt)).toEqual(
      [],
    );
    expect(snapshotLockProblems({ LockState: 'governance', LockExpiresOn: at(90) }, { mode: 'GOVERNANCE', days: 90 }, recordedAt)).toEqual(
      [],
    );
  });

  it('fails no lock, an expired one, a weaker mode (a cooling-off period included) and a short expiry', () => {
    expect(snapshotLockProblems(undefined, { mode: 'GOVERNANCE', days: 1 }, recordedAt)).toEqual(['not locked (lock state none)']);
    expect(snapshotLockProblems({ LockState: 'expired', LockExpiresOn: at(-1) }, { mode: 'GOVERNANCE', days: 1 }, recordedAt)).toEqual([
      'not locked (lock state expired)',
    ]);
    for (const weaker of ['governance', 'compliance-cooloff'] as const)
      expect(snapshotLockProblems({ LockState: weaker, LockExpiresOn: at(90) }, { mode: 'COMPLIANCE', days: 90 }, recordedAt)).toEqual([
        expect.stringMatching(new RegExp(`^lock state ${weaker}, the bucket's default is COMPLIANCE`)),
      ]);
    expect(snapshotLockProblems({ LockState: 'compliance', LockExpiresOn: at(30) }, { mode: 'COMPLIANCE', days: 90 }, recordedAt)).toEqual([
      `locked until ${at(30).toISOString()}, short of 90 days from its record (${at(90).toISOString()})`,
    ]);
  });
});

describe('ensureSnapshotsLocked reads every page of DescribeLockedSnapshots', () => {
  it('a lock listed on a later page (NextToken) is read, not locked again', async () => {
    // DescribeLockedSnapshots pages its answer (MaxResults 5-1000, NextToken: EC2 API reference, DescribeLockedSnapshots,
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLockedSnapshots.html).
    const recordedAt = new Date(NOW).toISOString();
    const held = (id: string): LockedSnapshotsInfo => ({
      SnapshotId: id,
      LockState: 'compliance',
      LockExpiresOn: new Date(NOW + 400 * DAY),
    });
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const ec2 = {
      send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        if (command.constructor.name !== 'DescribeLockedSnapshotsCommand') return Promise.resolve({});
        return Promise.resolve(
          command.input.NextToken === 'page-2' ? { Snapshots: [held('snap-b')] } : { Snapshots: [held('snap-a')], NextToken: 'page-2' },
        );
      },
    } as unknown as EC2Client;
    const out = await ensureSnapshotsLocked(
      {
        targets: [
          { snapshotId: 'snap-a', recordedAt },
          { snapshotId: 'snap-b', recordedAt },
        ],
        policy: { mode: 'COMPLIANCE', retentionDays: 90 },
        mode: 'apply',
      },
      { ec2 },
    );
    expect(sent.map((s) => s.name)).toEqual(['DescribeLockedSnapshotsCommand', 'DescribeLockedSnapshotsCommand']);
    expect(out.actions).toEqual([]);
    expect(out.locks.map((l) => [l.snapshotId, l.changed])).toEqual([
      ['snap-a', false],
      ['snap-b', false],
    ]);
  });
});

describe('lockDecision and a compliance lock still in its cooling-off period', () => {
  // LockedSnapshotsInfo `compliance-cooloff`: "it can be unlocked and the lock settings can be modified by users with
  // appropriate permissions" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockedSnapshotsInfo.html): with a
  // COMPLIANCE policy it is not the lock the policy asks for (an administrator could unlock the copy, then delete it).
  const required = new Date(NOW + 90 * DAY);
  const cooloff: LockedSnapshotsInfo = { LockState: 'compliance-cooloff', LockExpiresOn: new Date(NOW + 400 * DAY) };

  it('with a COMPLIANCE policy, asks for compliance (no cooling-off period) until the later expiry', () => {
    expect(lockDecision(cooloff, required, { mode: 'COMPLIANCE', retentionDays: 90 })).toEqual({
      mode: 'compliance',
      expiresOn: cooloff.LockExpiresOn,
      call: true,
    });
  });

  it('with a GOVERNANCE policy, leaves it (never a governance call over a compliance lock)', () => {
    expect(lockDecision(cooloff, required, { mode: 'GOVERNANCE', retentionDays: 90 })).toEqual({
      mode: 'compliance',
      expiresOn: cooloff.LockExpiresOn,
      call: false,
    });
  });
});
