import * as fc from 'fast-check';
import { BUFFER_LIMITS } from '../../lib/core/buffer';
import { LOCAL_SECURITY_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients, HarnessClients } from '../../lib/harness/local/harness-clients';
import { createLedgerTable } from '../../lib/harness/local/seed';
import { AccountSlots } from '../../lib/runtime/buffer/slots';
import { retryDelaySeconds } from '../../lib/runtime/buffer/starter';
import { useEmulator } from '../support/emulator';

const TABLE = 'firebreak-ledger';
const T0 = new Date('2026-12-03T10:00:00.000Z');

/**
 * Issue 13: the finding buffer's per-account slots (lib/runtime/buffer/slots.ts), on the emulator's DynamoDB, read back
 * independently: never more than the limit held at once, even when every starter asks at the same time; one account's
 * storm leaves another's slots alone; a slot whose execution ended, or whose lease ran out, is taken again.
 */
describe('the finding buffer’s per-account slots', () => {
  const emulator = useEmulator();
  let security: HarnessClients;
  let n = 0;

  beforeAll(async () => {
    security = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT);
    await createLedgerTable(security, TABLE);
  });

  /** Slots whose executions run unless named in `ended`, with the clock at `now`. */
  function slots(ended: Set<string> = new Set(), now: () => Date = () => T0): AccountSlots {
    return new AccountSlots({
      ddb: security.ddb,
      tableName: TABLE,
      limit: BUFFER_LIMITS.slotsPerAccount,
      leaseSeconds: BUFFER_LIMITS.slotLeaseSeconds,
      now,
      isRunning: async (arn) => !ended.has(arn),
    });
  }
  const account = () => `9999${String(++n).padStart(8, '0')}`;

  it('holds at most the limit per account when every starter asks at once, and the winners are told so', async () => {
    const a = account();
    const s = slots();
    const asks = Array.from({ length: 3 * BUFFER_LIMITS.slotsPerAccount }, (_, i) =>
      s.acquire(a, `x${i}`, `arn:x${i}`).then((x) => x !== undefined),
    );
    const granted = (await Promise.all(asks)).filter(Boolean).length;
    const held = await s.held(a);
    expect(held).toHaveLength(BUFFER_LIMITS.slotsPerAccount);
    expect(new Set(held.map((h) => h.owner)).size).toBe(BUFFER_LIMITS.slotsPerAccount);
    expect(granted).toBe(BUFFER_LIMITS.slotsPerAccount);
  });

  it('is idempotent for the same execution, and leaves another account alone', async () => {
    const [a, b] = [account(), account()];
    const s = slots();
    for (let i = 0; i < BUFFER_LIMITS.slotsPerAccount; i++) expect((await s.acquire(a, `x${i}`, `arn:x${i}`))?.fresh).toBe(true);
    // The same execution again (a redelivery, or another finding under the same name): held, not fresh.
    expect((await s.acquire(a, 'x0', 'arn:x0'))?.fresh).toBe(false);
    expect(await s.acquire(a, 'late', 'arn:late')).toBeUndefined();
    expect((await s.acquire(b, 'other', 'arn:other'))?.fresh).toBe(true);
    expect((await s.held(a)).map((h) => h.owner).sort()).toEqual(
      Array.from({ length: BUFFER_LIMITS.slotsPerAccount }, (_, i) => `x${i}`).sort(),
    );
  });

  it('takes the slot of an execution that ended, and of one whose lease ran out, never a running one within its lease', async () => {
    const a = account();
    const ended = new Set<string>();
    let now = T0;
    const s = slots(ended, () => now);
    for (let i = 0; i < BUFFER_LIMITS.slotsPerAccount; i++) await s.acquire(a, `x${i}`, `arn:x${i}`);
    expect(await s.acquire(a, 'y', 'arn:y')).toBeUndefined();
    ended.add('arn:x3');
    expect((await s.acquire(a, 'y', 'arn:y'))?.fresh).toBe(true);
    expect((await s.held(a)).some((h) => h.owner === 'x3')).toBe(false);
    expect(await s.acquire(a, 'z', 'arn:z')).toBeUndefined();
    now = new Date(T0.getTime() + BUFFER_LIMITS.slotLeaseSeconds * 1000);
    expect((await s.acquire(a, 'z', 'arn:z'))?.fresh).toBe(true);
  });

  it('gives back only a slot it took itself: never the slot a running execution of the same name holds', async () => {
    const a = account();
    const s = slots();
    const first = (await s.acquire(a, 'same-name', 'arn:same-name'))!;
    await s.acquire(a, 'theirs', 'arn:theirs');
    // A second finding under the same execution name (its StartExecution refused): the slot is the running execution's.
    const second = (await s.acquire(a, 'same-name', 'arn:same-name'))!;
    await s.release(second);
    expect((await s.held(a)).map((h) => h.owner).sort()).toEqual(['same-name', 'theirs']);
    await s.release(first);
    expect((await s.held(a)).map((h) => h.owner)).toEqual(['theirs']);
  });
});

describe('the buffer’s retry delay', () => {
  it('stays within [base, max], grows with the receives, and is the base while another finding’s execution starts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (receives, r) => {
        const d = retryDelaySeconds('account-at-limit', receives, BUFFER_LIMITS, () => r);
        expect(d).toBeGreaterThanOrEqual(BUFFER_LIMITS.retryBaseSeconds);
        expect(d).toBeLessThanOrEqual(BUFFER_LIMITS.retryMaxSeconds);
        expect(retryDelaySeconds('account-at-limit', receives + 1, BUFFER_LIMITS, () => r)).toBeGreaterThanOrEqual(d);
        expect(retryDelaySeconds('execution-starting', receives, BUFFER_LIMITS, () => r)).toBe(BUFFER_LIMITS.retryBaseSeconds);
      }),
    );
  });
});
