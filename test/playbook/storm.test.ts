import { BUFFER_LIMITS } from '../../lib/core/buffer';
import { runStorm, StormResult } from '../bench/storm';
import { useLocalSession } from '../support/local';

/**
 * Issue 13, "a storm that never fails": 60 GuardDuty findings over 12 instances in 4 member accounts (2 distinct findings
 * per instance, the rest repeats), all put at once through the synthesized rules into the finding buffer and drained by
 * the starter with the deployed figures (lib/harness/local/buffer.ts): no hand-made throttling. Everything is read back
 * from the emulator (test/bench/storm.ts). Sized for CI's time budget (15 findings per account at once, 8 slots each);
 * `npm run bench` runs the storm (1,000 findings over 200 instances) and reports its times. No time is asserted.
 */
describe('a storm of findings through the finding buffer', () => {
  const local = useLocalSession();
  let result: StormResult;

  beforeAll(async () => {
    result = await runStorm(local.session, { findings: 60, instances: 12, accounts: 4 });
  }, 900_000);

  it('opens exactly one case per instance, each CONTAINED, none left IN_PROGRESS', () => {
    expect(result.instancesWithoutOneCase).toEqual([]);
    expect(result.instancesWithOneCase).toBe(12);
    expect(result.casesByStatus).toEqual({ CONTAINED: 12 });
  });

  it('fails no execution', () => {
    expect(result.executions.failures).toEqual([]);
    expect(result.executions.byStatus.FAILED ?? 0).toBe(0);
    expect(result.executions.byStatus.TIMED_OUT ?? 0).toBe(0);
    expect(result.executions.byStatus.ABORTED ?? 0).toBe(0);
    // A starter invocation that throws (the emulator timing a request out on a loaded machine) leaves its batch on the
    // queue, as Lambda does; none may end in the DLQ.
    expect(result.drain?.deadLettered).toBe(0);
  });

  it('makes no duplicate snapshot, copy or isolation group', () => {
    expect(result.duplicateSnapshots).toBe(0);
    expect(result.duplicateGroups).toBe(0);
  });

  it('keeps at most the per-account limit of executions in flight in every account (within their slot lease)', () => {
    expect(result.maxInFlightPerAccount).toBeGreaterThan(0);
    expect(result.maxInFlightPerAccount).toBeLessThanOrEqual(BUFFER_LIMITS.slotsPerAccount);
  });

  it('records every finding on its instance case', () => {
    expect(result.findingsNotRecorded).toBe(0);
  });
});
