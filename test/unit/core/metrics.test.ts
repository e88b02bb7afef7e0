import fc from 'fast-check';
import { caseEventPoints, containmentTimes, CONTAINING_STEPS, ISOLATING_STEPS, METRICS } from '../../../lib/core/metrics';

const OPENED = '2026-12-05T03:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(OPENED) + ms).toISOString();

describe('containmentTimes (lib/core/metrics.ts)', () => {
  it('isolate: the earliest end of an isolating step; contain: the latest end of a containing step; evidence and pages do not count', () => {
    const timeline = [
      { at: at(-500), step: 'Normalize', status: 'SUCCEEDED', durationMs: 100 },
      { at: at(1_000), step: 'Contain', status: 'SUCCEEDED', durationMs: 2_500 },
      { at: at(3_600), step: 'DenyInstanceCredentials', status: 'SUCCEEDED', durationMs: 400 },
      { at: at(4_100), step: 'SnapshotVolumes', status: 'SUCCEEDED', durationMs: 60_000 },
      { at: at(9_000), step: 'ResealIsolation', status: 'FAILED', durationMs: 10 },
    ];
    expect(containmentTimes(OPENED, timeline)).toEqual({ isolate: 3.5, contain: 4 });
  });

  it('a Contain that a brake held (SUCCEEDED, outcome HELD: it changed nothing) is not the isolation; the approved one is', () => {
    // lib/runtime/playbook/ec2-compromise/contain-instance.ts: ContainClaimed held by a brake records a SUCCEEDED `Contain`
    // entry whose details say `outcome: 'HELD'`; after the approval, ContainClaimed runs again and isolates.
    const timeline = [
      { at: at(1_000), step: 'Contain', status: 'SUCCEEDED', durationMs: 500, details: { outcome: 'HELD', hold: { brake: 'protection' } } },
      { at: at(600_000), step: 'Contain', status: 'SUCCEEDED', durationMs: 2_000, details: { outcome: 'ISOLATED' } },
      { at: at(602_000), step: 'DenyInstanceCredentials', status: 'SUCCEEDED', durationMs: 1_000 },
    ];
    expect(containmentTimes(OPENED, timeline)).toEqual({ isolate: 602, contain: 603 });
  });

  it('has no time without a qualifying entry, or with an unreadable createdAt', () => {
    expect(containmentTimes(OPENED, [{ at: at(10), step: 'Notify', status: 'SUCCEEDED' }])).toEqual({});
    expect(containmentTimes('not a time', [{ at: at(10), step: 'Contain', status: 'SUCCEEDED' }])).toEqual({});
  });

  it('property: 0 <= isolate <= contain, whatever the entries (clock skew before the case opened is ignored)', () => {
    const steps = [...CONTAINING_STEPS, 'Notify', 'SnapshotVolumes', 'Claim'];
    const entry = fc.record({
      at: fc.integer({ min: -60_000, max: 3_600_000 }).map(at),
      step: fc.constantFrom(...steps),
      status: fc.constantFrom('SUCCEEDED', 'FAILED', 'INFO'),
      durationMs: fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), (timeline) => {
        const { isolate, contain } = containmentTimes(OPENED, timeline);
        if (isolate !== undefined) {
          expect(isolate).toBeGreaterThanOrEqual(0);
          expect(contain).toBeGreaterThanOrEqual(isolate);
        }
        if (contain !== undefined) expect(contain).toBeGreaterThanOrEqual(0);
        const isolated = timeline.some(
          (e) => e.status === 'SUCCEEDED' && ISOLATING_STEPS.has(e.step) && Date.parse(e.at) + (e.durationMs ?? 0) >= Date.parse(OPENED),
        );
        expect(isolate !== undefined).toBe(isolated);
      }),
    );
  });

  it('caseEventPoints: the case by outcome, and the times only when given', () => {
    expect(caseEventPoints('s3-compromise', 'notify-only')).toEqual([
      { metric: METRICS.cases, value: 1, dimensions: { playbook: 's3-compromise', outcome: 'notify-only' } },
    ]);
    expect(caseEventPoints('ec2-compromise', 'contained', { isolate: 1.5, contain: 2 }).map((p) => [p.metric.name, p.value])).toEqual([
      ['Cases', 1],
      ['TimeToIsolate', 1.5],
      ['TimeToContain', 2],
    ]);
  });
});
