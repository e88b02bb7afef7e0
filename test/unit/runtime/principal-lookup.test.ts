import fc from 'fast-check';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { InvalidInput } from '../../../lib/core/errors';
import { globalEventsRegion } from '../../../lib/infra/regions';
import {
  LOOKUP_BYTE_CAP,
  LOOKUP_TIME_BUDGET_MS,
  lookupAroundFinding,
  lookupPrincipalEvents,
} from '../../../lib/runtime/evidence/principal-events';
import type { PlaybookState } from '../../../lib/core/contracts/state';
import {
  casePrincipalOf,
  credentialEvidencePlan,
  LOOKUP_WINDOW_BEFORE_MS,
  lookupAttributeOf,
  lookupRegions,
  lookupWindow,
} from '../../../lib/runtime/evidence/principal-lookup';

/** Which CloudTrail records PreserveCredentialEvidence keeps (lib/runtime/evidence/principal-lookup.ts): pure functions. */
describe('principal lookup (credential evidence, issue 16 item 4)', () => {
  it('takes one attribute: Username for a user, the session key for a role session, else its session name; none for Root', () => {
    expect(lookupAttributeOf({ type: 'IAMUser', userName: 'ci-deployer', accessKeyId: 'AKIAEXAMPLEKEY000001' })).toMatchObject({
      key: 'Username',
      value: 'ci-deployer',
    });
    expect(lookupAttributeOf({ type: 'AssumedRole', roleName: 'r', accessKeyId: 'ASIAEXAMPLE', sessionName: 's' })).toMatchObject({
      key: 'AccessKeyId',
      value: 'ASIAEXAMPLE',
    });
    expect(lookupAttributeOf({ type: 'AssumedRole', roleName: 'r', sessionName: 'i-0abc' })).toMatchObject({
      key: 'Username',
      value: 'i-0abc',
    });
    expect(lookupAttributeOf({ type: 'Root' })).toBeUndefined();
  });

  it('looks in the finding Region and us-east-1 (IAM global events), once when they are the same', () => {
    expect(lookupRegions('eu-west-1')).toEqual(['eu-west-1', 'us-east-1']);
    expect(lookupRegions('us-east-1')).toEqual(['us-east-1']);
  });

  it("looks for IAM's global events in the finding's own partition (GovCloud, China): never a region the role cannot act in", () => {
    expect(lookupRegions('us-gov-east-1')).toEqual(['us-gov-east-1', 'us-gov-west-1']);
    expect(lookupRegions('us-gov-west-1')).toEqual(['us-gov-west-1']);
    expect(lookupRegions('cn-northwest-1')).toEqual(['cn-northwest-1', 'cn-north-1']);
    // The region the member roles' RegionPolicy lets LookupEvents read (lib/infra/regions.ts), for every home of each partition.
    for (const region of ['us-east-1', 'eu-west-1', 'us-gov-west-1', 'us-gov-east-1', 'cn-north-1', 'cn-northwest-1'])
      expect(lookupRegions(region)).toContain(globalEventsRegion(region));
    // A partition whose global events region Firebreak does not know: the finding's region only (no cross-partition call).
    expect(lookupRegions('us-iso-east-1')).toEqual(['us-iso-east-1']);
  });

  it('opens the window 24 h before the finding (never after now) and closes it now', () => {
    fc.assert(
      fc.property(
        fc.date({ noInvalidDate: true, min: new Date('2020-01-01'), max: new Date('2030-01-01') }),
        fc.date({ noInvalidDate: true, min: new Date('2020-01-01'), max: new Date('2030-01-01') }),
        (finding, now) => {
          const w = lookupWindow(finding.toISOString(), now);
          expect(w.end).toBe(now.toISOString());
          expect(Date.parse(w.end) - Date.parse(w.start)).toBeGreaterThanOrEqual(LOOKUP_WINDOW_BEFORE_MS);
          expect(Date.parse(w.start)).toBe(Math.min(finding.getTime(), now.getTime()) - LOOKUP_WINDOW_BEFORE_MS);
        },
      ),
    );
    expect(lookupWindow('not a time', new Date('2026-12-05T00:00:00Z')).start).toBe('2026-12-04T00:00:00.000Z');
  });

  it('names the principal of a credential or tamper incident, and refuses another kind with InvalidInput', () => {
    const of = (resource: unknown) => casePrincipalOf({ incident: { resource } } as unknown as Pick<PlaybookState, 'incident'>);
    expect(of({ type: 'AccessKey', id: 'k', userType: 'AssumedRole', userName: 'web', accessKeyId: 'ASIAX', sessionName: 'i-1' })).toEqual({
      type: 'AssumedRole',
      roleName: 'web',
      accessKeyId: 'ASIAX',
      sessionName: 'i-1',
    });
    const actor = {
      type: 'AssumedRole',
      roleName: 'admin',
      accessKeyId: 'ASIAY',
      arn: 'arn:aws:sts::111111111111:assumed-role/admin/platform-admin',
    };
    expect(
      of({ type: 'ApiCall', id: 'event/e', eventId: 'e', eventName: 'StopLogging', eventSource: 'cloudtrail.amazonaws.com', actor }),
    ).toMatchObject({
      type: 'AssumedRole',
      roleName: 'admin',
      sessionName: 'platform-admin',
    });
    expect(() => of({ type: 'Instance', id: 'i-1' })).toThrow(InvalidInput);
  });

  it('plans the lookup and the four writes without a call', () => {
    const plan = credentialEvidencePlan({ type: 'IAMUser', userName: 'u' }, 'eu-west-1');
    expect(plan.map((a) => a.operation)).toEqual(['CloudTrail.LookupEvents', 'S3.PutObject']);
    expect(plan[0].change).toContain('eu-west-1 and us-east-1');
    expect(credentialEvidencePlan({ type: 'Root' }, 'us-east-1')[0].change).toContain('no lookup attribute');
  });

  it('waits out a throttled page 1, 2, 4 s, then fails with the throttling error', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    let calls = 0;
    const flaky = {
      send: async () => (++calls <= 2 ? Promise.reject(throttled) : { Events: [{ EventId: 'e1' }] }),
    } as unknown as CloudTrailClient;
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const input = {
      lookup: { key: 'Username' as const, value: 'u', why: '' },
      start: '2026-01-01T00:00:00Z',
      end: '2026-01-02T00:00:00Z',
      region: 'us-east-1',
    };
    expect(await lookupPrincipalEvents(flaky, input, sleep)).toEqual({
      region: 'us-east-1',
      pages: 1,
      truncated: false,
      events: [{ EventId: 'e1' }],
    });
    expect(waits).toEqual([1000, 2000]);
    const stuck = { send: async () => Promise.reject(throttled) } as unknown as CloudTrailClient;
    waits.length = 0;
    await expect(lookupPrincipalEvents(stuck, input, sleep)).rejects.toBe(throttled);
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it('stops paging once the records read reach the byte cap (a principal whose calls carry large parameters), and says so', async () => {
    // 50 records of 100 KB a page (CloudTrail keeps up to 100 KB of requestParameters, and as much of responseElements),
    // and always another page: without the byte cap, 10 pages in each of two Regions would be 100 MB of text in memory.
    let calls = 0;
    const big = {
      send: async () => {
        calls++;
        return {
          Events: Array.from({ length: 50 }, (_, n) => ({ EventId: `e${calls}-${n}`, CloudTrailEvent: 'x'.repeat(100_000) })),
          NextToken: 't',
        };
      },
    } as unknown as CloudTrailClient;
    const input = {
      lookup: { key: 'Username' as const, value: 'u', why: '' },
      start: '2026-01-01T00:00:00Z',
      end: '2026-01-02T00:00:00Z',
      region: 'us-east-1',
    };
    const out = await lookupPrincipalEvents(big, input, async () => undefined);
    expect(LOOKUP_BYTE_CAP).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect([out.pages, out.truncated, out.truncatedBy]).toEqual([Math.ceil(LOOKUP_BYTE_CAP / 5_000_000), true, 'bytes']);
    expect(calls).toBe(out.pages);
  });

  it('stops paging once the Region has taken its time budget (throttled pages), so the step ends within its 120 s timeout', async () => {
    // Every page throttled twice (another reader of the account's event history takes the 2/s), then answered with
    // another page to read: each page takes 1 + 2 s of back-off and 0.5 s of pacing on the injected clock.
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    let clock = 0;
    let calls = 0;
    const slow = {
      send: async () => (++calls % 3 ? Promise.reject(throttled) : { Events: [{ EventId: `e${calls}` }], NextToken: 't' }),
    } as unknown as CloudTrailClient;
    const sleep = async (ms: number) => void (clock += ms);
    const input = {
      lookup: { key: 'Username' as const, value: 'u', why: '' },
      start: '2026-01-01T00:00:00Z',
      end: '2026-01-02T00:00:00Z',
      region: 'us-east-1',
    };
    const out = await lookupPrincipalEvents(slow, input, sleep, () => clock);
    expect(LOOKUP_TIME_BUDGET_MS).toBeLessThanOrEqual(30_000);
    expect([out.truncated, out.truncatedBy]).toEqual([true, 'time']);
    expect(out.pages).toBeLessThan(10);
    expect(clock).toBeLessThan(LOOKUP_TIME_BUDGET_MS + 3_500);
  });

  it('keeps the records up to the finding when the principal made hundreds of calls after it (the window split at the finding)', async () => {
    // LookupEvents over a recorded history: the window's events newest first, pages of MaxResults, NextToken an offset.
    const at = Date.parse('2026-01-01T12:00:00Z');
    const history = [
      ...[-3600, -600, 0].map((s, n) => ({ EventId: `before-${n}`, EventTime: new Date(at + s * 1000) })),
      ...Array.from({ length: 600 }, (_, n) => ({ EventId: `after-${n}`, EventTime: new Date(at + (n + 1) * 1000) })),
    ];
    const fake = {
      send: async (cmd: { input: { StartTime: Date; EndTime: Date; MaxResults: number; NextToken?: string } }) => {
        const { StartTime, EndTime, MaxResults, NextToken } = cmd.input;
        const hits = history
          .filter((e) => e.EventTime >= StartTime && e.EventTime <= EndTime)
          .sort((a, b) => b.EventTime.getTime() - a.EventTime.getTime());
        const from = Number(NextToken ?? 0);
        return {
          Events: hits.slice(from, from + MaxResults),
          NextToken: from + MaxResults < hits.length ? String(from + MaxResults) : undefined,
        };
      },
    } as unknown as CloudTrailClient;
    const input = {
      lookup: { key: 'Username' as const, value: 'u', why: '' },
      start: new Date(at - LOOKUP_WINDOW_BEFORE_MS).toISOString(),
      at: new Date(at).toISOString(),
      end: new Date(at + 3_600_000).toISOString(),
      region: 'us-east-1',
    };
    const out = await lookupAroundFinding(fake, input, async () => undefined);
    const ids = out.events.map((e) => e.EventId!);
    expect(ids.filter((id) => id.startsWith('before-'))).toEqual(['before-2', 'before-1', 'before-0']);
    expect(ids[0]).toBe('after-599');
    expect(new Set(ids).size).toBe(ids.length);
    expect([out.truncated, out.truncatedBy, out.splitAt]).toEqual([true, 'pages', input.at]);
  });
});
