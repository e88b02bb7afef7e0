import fc from 'fast-check';
import {
  forwardStatus,
  guardDutyFindingIdentifier,
  NOTE_TEXT_MAX,
  SECURITY_HUB_WORKFLOW_MODES,
  statusFor,
  WORKFLOW_STATUSES,
  workflowNote,
} from '../../../lib/core/security-hub';

const RANK = { NEW: 0, NOTIFIED: 1, RESOLVED: 2 } as const;

describe('Security Hub workflow (pure)', () => {
  it('only ever moves a finding forward, never back and never off SUPPRESSED or an unknown status', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...WORKFLOW_STATUSES), fc.string(), fc.constant(undefined)),
        fc.constantFrom('NOTIFIED', 'RESOLVED' as const),
        (current, target) => {
          const next = forwardStatus(current, target as 'NOTIFIED' | 'RESOLVED');
          const now = current ?? 'NEW';
          if (!(now in RANK)) return next === undefined;
          const rank = RANK[now as keyof typeof RANK];
          return next === (RANK[target as 'NOTIFIED' | 'RESOLVED'] > rank ? target : undefined);
        },
      ),
    );
    expect(forwardStatus('SUPPRESSED', 'RESOLVED')).toBeUndefined();
    expect(forwardStatus('RESOLVED', 'NOTIFIED')).toBeUndefined();
    expect(forwardStatus(undefined, 'NOTIFIED')).toBe('NOTIFIED');
  });

  it('asks NOTIFIED at the page and RESOLVED at release, or at containment when so configured; nothing when off', () => {
    const table = SECURITY_HUB_WORKFLOW_MODES.map((m) => [
      m,
      statusFor(m, 'approval-requested'),
      statusFor(m, 'notify-only'),
      statusFor(m, 'contained'),
      statusFor(m, 'released'),
    ]);
    expect(table).toEqual([
      ['off', undefined, undefined, undefined, undefined],
      ['resolve-on-release', 'NOTIFIED', 'NOTIFIED', 'NOTIFIED', 'RESOLVED'],
      ['resolve-on-containment', 'NOTIFIED', 'NOTIFIED', 'RESOLVED', 'RESOLVED'],
    ]);
  });

  it("builds the GuardDuty finding's identifier from its parts only, and refuses parts that could name another finding", () => {
    const ref = {
      partition: 'aws',
      region: 'us-east-1',
      account: '111111111111',
      detectorId: '12abc34d567e8fa901bc2d34e56789f0',
      findingId: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
    };
    expect(guardDutyFindingIdentifier(ref)).toEqual({
      Id: 'arn:aws:guardduty:us-east-1:111111111111:detector/12abc34d567e8fa901bc2d34e56789f0/finding/a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
      ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty',
    });
    for (const bad of [
      { detectorId: undefined },
      { detectorId: 'x/finding/other' },
      { findingId: 'manual/exec-1' },
      { findingId: '0c1d2e3f-0000-4000-8000-000000000000' },
      { account: '333333333333:detector' },
      { region: 'us-east-1:999999999999' },
      { partition: 'aws:x' },
    ]) {
      expect(guardDutyFindingIdentifier({ ...ref, ...bad })).toBeUndefined();
    }
  });

  it("keeps the note within Security Hub's 512 characters and names the case", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 2000 }),
        fc.constantFrom('approval-requested', 'notify-only', 'contained', 'released' as const),
        (caseId, event) => {
          const text = workflowNote(caseId, 'NOTIFIED', event as 'approval-requested' | 'notify-only' | 'contained' | 'released');
          return text.length >= 1 && text.length <= NOTE_TEXT_MAX;
        },
      ),
    );
    expect(workflowNote('fb-20261205-0123456789', 'RESOLVED', 'released')).toBe(
      'Firebreak case fb-20261205-0123456789: released; workflow RESOLVED. Details: firebreak cases show fb-20261205-0123456789',
    );
  });
});
