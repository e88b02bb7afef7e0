import fc from 'fast-check';

import {
  CaseStatus,
  ClaimDecision,
  ClaimRequest,
  ClaimState,
  decideClaim,
  isOpenCase,
  leaseExpired,
  leaseExpiry,
  opensNewCase,
  ownsClaim,
} from '../../../lib/runtime/ledger/policy';

const NOW = new Date('2026-11-20T10:15:00.000Z');
const LIVE = '2026-11-20T10:30:00.000Z';
const EXPIRED = '2026-11-20T10:14:59.999Z';
const ME = 'exec-me';
const OTHER = 'exec-other';
const STATUSES: readonly CaseStatus[] = ['IN_PROGRESS', 'CONTAINED', 'NOTIFIED', 'FAILED', 'RESOURCE_GONE', 'RELEASED'];

const auto: ClaimRequest = { mode: 'auto', trigger: 'auto', dryRun: false };
const claimOf = (status: CaseStatus, owner = OTHER, leaseExpiresAt = LIVE): ClaimState => ({ status, owner, leaseExpiresAt });

describe("decideClaim (what a claim for an incident does, given the resource's claim)", () => {
  const cases: [string, ClaimState | undefined, ClaimRequest, ClaimDecision][] = [
    ['no claim: a new case', undefined, auto, { kind: 'open' }],
    ["a released case (even this execution's): a new case", claimOf('RELEASED', ME), auto, { kind: 'open' }],
    ['its own claim in progress: the lease is extended', claimOf('IN_PROGRESS', ME), auto, { kind: 'extend' }],
    ['its own claim, lease run out: still its own, extended', claimOf('IN_PROGRESS', ME, EXPIRED), auto, { kind: 'extend' }],
    ["another execution's live lease: already handled", claimOf('IN_PROGRESS'), auto, { kind: 'already-handled' }],
    [
      "another execution's lease ending exactly now: taken over",
      claimOf('IN_PROGRESS', OTHER, NOW.toISOString()),
      auto,
      { kind: 'take-over', reason: 'lease-expired' },
    ],
    [
      "another execution's lease run out: taken over",
      claimOf('IN_PROGRESS', OTHER, EXPIRED),
      auto,
      { kind: 'take-over', reason: 'lease-expired' },
    ],
    [
      'a dry run takes an abandoned lease over too',
      claimOf('IN_PROGRESS', OTHER, EXPIRED),
      { ...auto, dryRun: true },
      { kind: 'take-over', reason: 'lease-expired' },
    ],
    ['a failed case: resumed', claimOf('FAILED'), auto, { kind: 'take-over', reason: 'failed' }],
    ['a failed case this execution recorded: resumed (not extended)', claimOf('FAILED', ME), auto, { kind: 'take-over', reason: 'failed' }],
    [
      'a failed case, notify-only dry run: still resumed',
      claimOf('FAILED'),
      { mode: 'notify', trigger: 'auto', dryRun: true },
      { kind: 'take-over', reason: 'failed' },
    ],
    [
      'a resource taken to be gone: looked at again',
      claimOf('RESOURCE_GONE'),
      { mode: 'notify', trigger: 'auto', dryRun: false },
      { kind: 'take-over', reason: 'recheck-gone' },
    ],
    ['a resource taken to be gone, dry run: left alone', claimOf('RESOURCE_GONE'), { ...auto, dryRun: true }, { kind: 'already-handled' }],
    ['notified, now automatic: escalated', claimOf('NOTIFIED'), auto, { kind: 'take-over', reason: 'escalation' }],
    [
      'notified, now approval mode: escalated',
      claimOf('NOTIFIED'),
      { mode: 'approval', trigger: 'auto', dryRun: false },
      { kind: 'take-over', reason: 'escalation' },
    ],
    [
      'notified, started by hand: escalated',
      claimOf('NOTIFIED'),
      { mode: 'notify', trigger: 'manual', dryRun: false },
      { kind: 'take-over', reason: 'escalation' },
    ],
    [
      'notified, notify-only again: already handled',
      claimOf('NOTIFIED'),
      { mode: 'notify', trigger: 'auto', dryRun: false },
      { kind: 'already-handled' },
    ],
    [
      'notified, no catalog entry in a game day: already handled',
      claimOf('NOTIFIED'),
      { mode: 'none', trigger: 'gameday', dryRun: false },
      { kind: 'already-handled' },
    ],
    ['notified, automatic but a dry run: not escalated', claimOf('NOTIFIED'), { ...auto, dryRun: true }, { kind: 'already-handled' }],
    [
      'notified, by hand but a dry run: not escalated',
      claimOf('NOTIFIED'),
      { mode: 'auto', trigger: 'manual', dryRun: true },
      { kind: 'already-handled' },
    ],
    [
      'contained, started by hand: already handled',
      claimOf('CONTAINED'),
      { mode: 'auto', trigger: 'manual', dryRun: false },
      { kind: 'already-handled' },
    ],
    ['contained by this execution: already handled', claimOf('CONTAINED', ME, EXPIRED), auto, { kind: 'already-handled' }],
    // An attack sequence GuardDuty updated to name resources its finished case has not handled (issue 15 item 6).
    [
      'contained, an update adds to it: taken over',
      claimOf('CONTAINED'),
      { ...auto, addsToCase: true },
      { kind: 'take-over', reason: 'update' },
    ],
    [
      'notified, notify-only again, an update adds to it: taken over',
      claimOf('NOTIFIED'),
      { mode: 'notify', trigger: 'auto', dryRun: false, addsToCase: true },
      { kind: 'take-over', reason: 'update' },
    ],
    [
      'notified, now automatic, an update adds to it: escalated',
      claimOf('NOTIFIED'),
      { ...auto, addsToCase: true },
      { kind: 'take-over', reason: 'escalation' },
    ],
    [
      'contained, an update adds to it, dry run: already handled',
      claimOf('CONTAINED'),
      { ...auto, dryRun: true, addsToCase: true },
      { kind: 'already-handled' },
    ],
    [
      'in progress under a live lease, an update adds to it: already handled',
      claimOf('IN_PROGRESS'),
      { ...auto, addsToCase: true },
      { kind: 'already-handled' },
    ],
    ['released, an update adds to it: a new case', claimOf('RELEASED'), { ...auto, addsToCase: true }, { kind: 'open' }],
    [
      'failed, an update adds to it: taken over as failed',
      claimOf('FAILED'),
      { ...auto, addsToCase: true },
      { kind: 'take-over', reason: 'failed' },
    ],
  ];

  it.each(cases)('%s', (_name, claim, incident, expected) => {
    expect(decideClaim(claim, incident, ME, NOW)).toEqual(expected);
  });

  const arbClaim = fc.record({
    status: fc.constantFrom(...STATUSES),
    owner: fc.constantFrom(ME, OTHER),
    leaseExpiresAt: fc.constantFrom(LIVE, EXPIRED, NOW.toISOString()),
  });
  const arbRequest: fc.Arbitrary<ClaimRequest> = fc.record({
    mode: fc.constantFrom('auto', 'approval', 'notify', 'none'),
    trigger: fc.constantFrom('auto', 'manual', 'gameday'),
    dryRun: fc.boolean(),
    addsToCase: fc.boolean(),
  });

  it('who holds the claim matters only while it is in progress', () => {
    fc.assert(
      fc.property(arbClaim, arbRequest, (claim, incident) => {
        fc.pre(claim.status !== 'IN_PROGRESS');
        expect(decideClaim({ ...claim, owner: ME }, incident, ME, NOW)).toEqual(decideClaim({ ...claim, owner: OTHER }, incident, ME, NOW));
      }),
    );
  });

  it('a dry run never escalates a notified case nor re-checks a gone resource, and only a notified case is escalated', () => {
    fc.assert(
      fc.property(arbClaim, arbRequest, (claim, incident) => {
        const decision = decideClaim(claim, incident, ME, NOW);
        const reason = decision.kind === 'take-over' ? decision.reason : undefined;
        if (incident.dryRun) expect(['escalation', 'recheck-gone']).not.toContain(reason);
        if (reason === 'escalation') expect(claim.status).toBe('NOTIFIED');
        if (reason === 'update')
          expect([['CONTAINED', 'NOTIFIED'].includes(claim.status), incident.addsToCase, incident.dryRun]).toEqual([true, true, false]);
        // Without an update that adds to the case, the policy is the one every other playbook has.
        if (!incident.addsToCase) expect(reason).not.toBe('update');
        if (decision.kind === 'extend') expect([claim.status, claim.owner]).toEqual(['IN_PROGRESS', ME]);
      }),
    );
  });

  it("takes another execution's lease over exactly when its seconds have run out (ISO strings compared as times)", () => {
    const arbDate = fc.date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9000-01-01T00:00:00.000Z'), noInvalidDate: true });
    fc.assert(
      fc.property(
        arbDate,
        fc.integer({ min: 0, max: 7 * 24 * 3600 }),
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        (takenAt, seconds, offsetMs) => {
          const end = takenAt.getTime() + seconds * 1000;
          const at = new Date(end + offsetMs);
          const claim = claimOf('IN_PROGRESS', OTHER, leaseExpiry(takenAt, seconds));
          const decision = decideClaim(claim, auto, ME, at);
          expect(decision).toEqual(at.getTime() >= end ? { kind: 'take-over', reason: 'lease-expired' } : { kind: 'already-handled' });
          expect(leaseExpired(claim.leaseExpiresAt, at)).toBe(offsetMs >= 0);
        },
      ),
    );
  });
});

describe('leaseExpiry', () => {
  it("is the lease's end in ISO-8601 UTC, seconds after the time it was taken", () => {
    expect(leaseExpiry(NOW, 900)).toBe('2026-11-20T10:30:00.000Z');
    expect(leaseExpiry(NOW, 0)).toBe(NOW.toISOString());
    expect(leaseExpiry(NOW, 0.5)).toBe('2026-11-20T10:15:00.500Z');
  });

  it.each([NaN, Infinity])('refuses a lease of %s seconds (RangeError)', (seconds) => {
    expect(() => leaseExpiry(NOW, seconds)).toThrow(RangeError);
  });
});

describe('ownsClaim (what a failed execution may record its failure on)', () => {
  it.each<[CaseStatus, string, boolean]>([
    ['IN_PROGRESS', ME, true],
    ['FAILED', ME, true],
    ['IN_PROGRESS', OTHER, false],
    ['FAILED', OTHER, false],
    ['CONTAINED', ME, false],
    ['NOTIFIED', ME, false],
    ['RESOURCE_GONE', ME, false],
    ['RELEASED', ME, false],
  ])('%s held by %s: %s', (status, owner, owns) => {
    expect(ownsClaim({ status, owner }, ME)).toBe(owns);
  });
});

describe('opensNewCase and isOpenCase', () => {
  it.each<[CaseStatus, boolean, boolean]>([
    ['IN_PROGRESS', false, true],
    ['CONTAINED', false, true],
    ['NOTIFIED', false, true],
    ['FAILED', false, true],
    ['RESOURCE_GONE', false, false],
    ['RELEASED', true, false],
  ])('%s: frees the resource for a new case %s, open %s', (status, opens, open) => {
    expect(opensNewCase(claimOf(status))).toBe(opens);
    expect(isOpenCase(status)).toBe(open);
  });

  it('no claim at all leaves the resource free', () => {
    expect(opensNewCase(undefined)).toBe(true);
  });
});
