import * as fs from 'node:fs';
import * as path from 'node:path';

import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';

import type { Incident } from '../../lib/core/incident/incident';
import { normalizeEvent } from '../../lib/core/incident/normalize';
import { CaseLedger, claimKey, type TimelineFold } from '../../lib/runtime/ledger/ledger';
import { LOCAL_SECURITY_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients, HarnessClients } from '../../lib/harness/local/harness-clients';
import { createLedgerTable } from '../../lib/harness/local/seed';
import { useEmulator } from '../support/emulator';

const TABLE = 'firebreak-ledger';
const FIXTURE = path.resolve(__dirname, '..', '..', 'fixtures', 'events', 'guardduty-ec2-bitcoin-dns.json');
const T0 = new Date('2026-11-20T10:15:00.000Z');

let counter = 0;

/**
 * An incident normalized from the bitcoin fixture (mode auto, severity 8), about an instance ID
 * of its own so that tests never share a claim.
 */
function incident(overrides: Partial<Incident> = {}): Incident {
  const event = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { detail: { resource: { instanceDetails: { instanceId: string } } } };
  event.detail.resource.instanceDetails.instanceId = `i-0ledger${String(++counter).padStart(9, '0')}`;
  const { incident: normalized } = normalizeEvent({ input: event, executionName: 'normalize', executionStartTime: T0.toISOString() });
  return { ...normalized, ...overrides };
}

describe('CaseLedger', () => {
  const emulator = useEmulator();
  let security: HarnessClients;

  beforeAll(async () => {
    security = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT);
    await createLedgerTable(security, TABLE);
  });

  /** A ledger whose clock reads `at` (default: the real clock). */
  function ledger(at?: Date): CaseLedger {
    return new CaseLedger({ ddb: security.ddb, tableName: TABLE, now: at ? () => at : undefined });
  }

  async function getItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    return (await security.ddb.send(new GetCommand({ TableName: TABLE, Key: { pk, sk }, ConsistentRead: true }))).Item;
  }

  async function scanAll(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await security.ddb.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start, ConsistentRead: true }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Timeline items of a case, read from the table. */
  async function timelineItems(caseId: string): Promise<Record<string, unknown>[]> {
    return (await scanAll()).filter((i) => i.pk === `CASE#${caseId}` && String(i.sk).startsWith('TL#'));
  }

  describe('linkEvent', () => {
    it('keeps every linked event out of the case item: 1,200 links (more than 400 KB on the case item) and the case still takes writes', async () => {
      const l = ledger();
      const { caseId } = await l.claim(incident(), 'exec-links', 900);
      const before = await getItem(`CASE#${caseId}`, 'CASE');
      const sha = (n: number) => n.toString(16).padStart(64, '0');
      for (let n = 0; n < 1200; n += 1) {
        await l.linkEvent(caseId, {
          bucket: 'evidence',
          key: `received-events/111111111111/${sha(n)}.json`,
          sha256: sha(n),
          bytes: 2048,
          findingId: `f-${n}`,
          linkedAt: T0.toISOString(),
        });
      }
      // A repeat of an event links nothing new.
      await l.linkEvent(caseId, { bucket: 'evidence', key: 'x', sha256: sha(0), bytes: 1, findingId: 'other', linkedAt: T0.toISOString() });
      const linked = await l.linkedEvents(caseId);
      expect(linked).toHaveLength(1200);
      expect(linked.find((e) => e.sha256 === sha(0))).toMatchObject({ findingId: 'f-0', caseId });
      expect(await getItem(`CASE#${caseId}`, `EVENT#${sha(7)}`)).toMatchObject({ findingId: 'f-7' });
      // The case item is as it was, and takes writes.
      expect((await getItem(`CASE#${caseId}`, 'CASE'))?.evidence).toEqual(before?.evidence);
      await l.recordDecision(caseId, 'after-links', true);
      expect(((await getItem(`CASE#${caseId}`, 'CASE'))?.decisions as Record<string, unknown>)['after-links']).toBe(true);
      expect(await timelineItems(caseId)).toEqual([]);
    }, 120_000);
  });

  describe('claim', () => {
    it('writes one claim item and one case item for a new incident', async () => {
      const inc = incident();

      const result = await ledger(T0).claim(inc, 'exec-a', 900);

      expect(result.status).toBe('CLAIMED');
      const claim = await getItem(claimKey(inc), 'CLAIM');
      expect(claim).toMatchObject({
        caseId: result.caseId,
        status: 'IN_PROGRESS',
        owner: 'exec-a',
        leaseExpiresAt: '2026-11-20T10:30:00.000Z',
      });
      const record = await getItem(`CASE#${result.caseId}`, 'CASE');
      expect(record).toMatchObject({
        caseId: result.caseId,
        playbook: 'ec2-compromise',
        account: '111111111111',
        region: 'us-east-1',
        resourceId: inc.resource.id,
        status: 'IN_PROGRESS',
        findingIds: new Set([inc.finding.id]),
        priorState: {},
        evidence: {},
      });
      expect(result.caseId).toMatch(/^fb-20261120-[0-9a-f]{10}$/);
      const forResource = (await scanAll()).filter((i) => i.resourceId === inc.resource.id || i.pk === claimKey(inc));
      expect(forResource).toHaveLength(2);
    });

    it('resumes its own claim when the same execution claims again (a retry of Claim)', async () => {
      const inc = incident();
      const first = await ledger(T0).claim(inc, 'exec-a', 900);

      const again = await ledger(T0).claim(inc, 'exec-a', 900);

      expect(again).toMatchObject({ caseId: first.caseId, status: 'RESUMED' });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ owner: 'exec-a', status: 'IN_PROGRESS' });
    });

    it('answers ALREADY_HANDLED to another execution while the case is in progress under a valid lease, and records it on the timeline', async () => {
      const inc = incident();
      const first = await ledger(T0).claim(inc, 'exec-a', 900);

      const second = await ledger(new Date(T0.getTime() + 60_000)).claim({ ...inc, finding: { ...inc.finding, count: 4 } }, 'exec-b', 900);

      expect(second).toEqual({ caseId: first.caseId, status: 'ALREADY_HANDLED', previousStatus: 'IN_PROGRESS', newFinding: false });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ owner: 'exec-a', status: 'IN_PROGRESS' });
      const entries = await timelineItems(first.caseId);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        step: 'Claim',
        status: 'INFO',
        executionName: 'exec-b',
        details: { outcome: 'ALREADY_HANDLED', owner: 'exec-a', findingCount: 4 },
      });
    });

    it('gives the case to exactly one of ten concurrent executions and creates one case', async () => {
      const inc = incident();

      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger().claim(inc, `exec-${i}`, 900)));

      const claimed = results.filter((r) => r.status === 'CLAIMED');
      expect(claimed).toHaveLength(1);
      expect(results.filter((r) => r.status === 'ALREADY_HANDLED')).toHaveLength(9);
      expect(new Set(results.map((r) => r.caseId))).toEqual(new Set([claimed[0].caseId]));
      const items = await scanAll();
      const cases = items.filter((i) => String(i.pk).startsWith('CASE#') && i.sk === 'CASE' && i.resourceId === inc.resource.id);
      expect(cases).toHaveLength(1);
      expect(cases[0].caseId).toBe(claimed[0].caseId);
      expect(items.filter((i) => i.pk === claimKey(inc))).toHaveLength(1);
      expect(await timelineItems(claimed[0].caseId)).toHaveLength(9);
    });

    it('two Contains race on the claim carried in their write: exactly one claims, records its prior state and links its event', async () => {
      const inc = incident();
      // Both read no claim in their first round, then write: claim, case, prior state, Claim entry and link in one transaction.
      const records = (n: number) => ({
        entries: [{ map: 'priorState', key: 'preserve', value: { by: `exec-${n}` } }],
        link: { sha256: 'a'.repeat(64), bucket: 'b', key: `received-events/${n}`, findingId: inc.finding.id, linkedAt: T0.toISOString() },
        timeline: () => [{ at: T0.toISOString(), step: 'Claim', status: 'SUCCEEDED' as const, executionName: `exec-${n}` }],
      });
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, n) => ledger().claimWithRecords(inc, `exec-${n}`, 900, { claim: undefined }, records(n))),
      );
      const claimed = results.filter((r) => r.status === 'CLAIMED');
      expect(claimed).toHaveLength(1);
      expect(results.filter((r) => r.status === 'ALREADY_HANDLED')).toHaveLength(5);
      const winner = `exec-${results.indexOf(claimed[0])}`;
      expect(new Set(results.map((r) => r.caseId))).toEqual(new Set([claimed[0].caseId]));
      expect(claimed[0].stored).toEqual([{ by: winner }]);
      const items = await scanAll();
      const cases = items.filter((i) => String(i.pk).startsWith('CASE#') && i.sk === 'CASE' && i.resourceId === inc.resource.id);
      expect(cases).toHaveLength(1);
      expect(cases[0]).toMatchObject({ status: 'IN_PROGRESS', priorState: { preserve: { by: winner } } });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ owner: winner, status: 'IN_PROGRESS', caseId: claimed[0].caseId });
      const link = await getItem(`CASE#${claimed[0].caseId}`, `EVENT#${'a'.repeat(64)}`);
      expect(link?.key).toBe(`received-events/${winner.slice(5)}`);
      // The winner's Claim entry, and one ALREADY_HANDLED note per loser.
      const timeline = await timelineItems(claimed[0].caseId);
      expect(timeline.filter((t) => t.status === 'SUCCEEDED').map((t) => t.executionName)).toEqual([winner]);
      expect(timeline.filter((t) => t.status === 'INFO')).toHaveLength(5);
    });

    it('resumes its own claim when Contain runs again after its write: the first prior state stays', async () => {
      const inc = incident();
      const rec = (by: string) => ({ entries: [{ map: 'priorState', key: 'preserve', value: { by } }], timeline: () => [] });
      const first = await ledger().claimWithRecords(inc, 'exec-a', 900, { claim: undefined }, rec('first'));
      const claim = await ledger().findClaim(inc);
      const again = await ledger().claimWithRecords(inc, 'exec-a', 900, { claim }, rec('second'));
      expect([first.status, again.status, again.caseId]).toEqual(['CLAIMED', 'RESUMED', first.caseId]);
      expect(again.stored).toEqual([{ by: 'first' }]);
      expect((await getItem(`CASE#${first.caseId}`, 'CASE'))?.priorState).toEqual({ preserve: { by: 'first' } });
    });

    it('lets a new execution resume an in-progress case once its lease has expired', async () => {
      const inc = incident();
      const first = await ledger(T0).claim(inc, 'exec-a', 900);

      const before = await ledger(new Date(T0.getTime() + 899_000)).claim(inc, 'exec-b', 900);
      const after = await ledger(new Date(T0.getTime() + 901_000)).claim(inc, 'exec-c', 900);

      expect(before.status).toBe('ALREADY_HANDLED');
      expect(after).toEqual({ caseId: first.caseId, status: 'RESUMED', previousStatus: 'IN_PROGRESS' });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({
        owner: 'exec-c',
        status: 'IN_PROGRESS',
        leaseExpiresAt: '2026-11-20T10:45:01.000Z',
      });
      const resumed = (await timelineItems(first.caseId)).filter((e) => (e.details as { outcome?: string }).outcome === 'RESUMED');
      expect(resumed).toHaveLength(1);
      expect(resumed[0]).toMatchObject({ executionName: 'exec-c', details: { reason: 'lease-expired', previousOwner: 'exec-a' } });
    });

    it('lets a new execution resume at once when the lease is zero seconds', async () => {
      const inc = incident();
      const first = await ledger(T0).claim(inc, 'exec-a', 0);

      const second = await ledger(T0).claim(inc, 'exec-b', 0);

      expect(second).toEqual({ caseId: first.caseId, status: 'RESUMED', previousStatus: 'IN_PROGRESS' });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ owner: 'exec-b' });
    });

    it('resumes a FAILED case and sets it back in progress', async () => {
      const inc = incident();
      const first = await ledger(T0).claim(inc, 'exec-a', 900);
      await ledger(T0).finish(first.caseId, 'FAILED');
      expect(await getItem(`CASE#${first.caseId}`, 'CASE')).toMatchObject({ status: 'FAILED' });

      const second = await ledger(T0).claim(inc, 'exec-b', 900);

      expect(second).toEqual({ caseId: first.caseId, status: 'RESUMED', previousStatus: 'FAILED' });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ owner: 'exec-b', status: 'IN_PROGRESS' });
      expect(await getItem(`CASE#${first.caseId}`, 'CASE')).toMatchObject({ status: 'IN_PROGRESS' });
    });

    it('answers ALREADY_HANDLED for a CONTAINED case and leaves it contained', async () => {
      const inc = incident();
      const first = await ledger(T0).claim(inc, 'exec-a', 900);
      await ledger(T0).finish(first.caseId, 'CONTAINED');

      const second = await ledger(new Date(T0.getTime() + 86_400_000)).claim(inc, 'exec-b', 900);

      expect(second).toEqual({ caseId: first.caseId, status: 'ALREADY_HANDLED', previousStatus: 'CONTAINED', newFinding: false });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ owner: 'exec-a', status: 'CONTAINED' });
      expect(await getItem(`CASE#${first.caseId}`, 'CASE')).toMatchObject({ status: 'CONTAINED' });
    });

    it('escalates a NOTIFIED case when an incident calls for automatic containment', async () => {
      const inc = incident({ mode: 'notify' });
      const first = await ledger(T0).claim(inc, 'exec-a', 900);
      await ledger(T0).finish(first.caseId, 'NOTIFIED');

      const escalated = { ...inc, mode: 'auto' as const, finding: { ...inc.finding, severity: 8 } };
      const second = await ledger(T0).claim(escalated, 'exec-b', 900);

      expect(second).toEqual({ caseId: first.caseId, status: 'RESUMED', previousStatus: 'NOTIFIED' });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ owner: 'exec-b', status: 'IN_PROGRESS' });
      const resumed = (await timelineItems(first.caseId)).find((e) => (e.details as { outcome?: string }).outcome === 'RESUMED');
      expect(resumed).toMatchObject({ details: { reason: 'escalation' } });
    });

    it('answers ALREADY_HANDLED for a NOTIFIED case when the incident is notify-only again', async () => {
      const inc = incident({ mode: 'notify' });
      const first = await ledger(T0).claim(inc, 'exec-a', 900);
      await ledger(T0).finish(first.caseId, 'NOTIFIED');

      const second = await ledger(T0).claim(inc, 'exec-b', 900);

      expect(second.status).toBe('ALREADY_HANDLED');
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ owner: 'exec-a', status: 'NOTIFIED' });
    });

    it('escalates a NOTIFIED case for an incident in approval mode too (it then waits for the approval)', async () => {
      const inc = incident({ mode: 'notify' });
      const first = await ledger(T0).claim(inc, 'exec-a', 900);
      await ledger(T0).finish(first.caseId, 'NOTIFIED');
      const second = await ledger(T0).claim({ ...inc, mode: 'approval' }, 'exec-b', 900);
      expect(second).toMatchObject({ caseId: first.caseId, status: 'RESUMED', previousStatus: 'NOTIFIED' });
    });

    it('adds a different finding to an already-handled case: exactly one of concurrent deliveries sees it as new, a repeat never does', async () => {
      const inc = incident({ mode: 'notify' });
      const first = await ledger(T0).claim(inc, 'exec-a', 900);
      await ledger(T0).finish(first.caseId, 'NOTIFIED');
      expect((await ledger(T0).claim(inc, 'exec-repeat', 900)).newFinding).toBe(false);
      const other = { ...inc, finding: { ...inc.finding, id: 'another-finding-0001', type: 'Recon:EC2/Portscan' } };
      const results = await Promise.all(Array.from({ length: 5 }, (_, n) => ledger(T0).claim(other, `exec-${n}`, 900)));
      expect(results.map((r) => r.status)).toEqual(Array(5).fill('ALREADY_HANDLED'));
      expect(results.filter((r) => r.newFinding).length).toBe(1);
      const item = await getItem(`CASE#${first.caseId}`, 'CASE');
      expect([...(item!.findingIds as Set<string>)].sort()).toEqual([inc.finding.id, 'another-finding-0001'].sort());
    });

    it('does not escalate a NOTIFIED case for a dry run', async () => {
      const inc = incident({ mode: 'notify' });
      const first = await ledger(T0).claim(inc, 'exec-a', 900);
      await ledger(T0).finish(first.caseId, 'NOTIFIED');

      const second = await ledger(T0).claim({ ...inc, mode: 'auto', dryRun: true }, 'exec-b', 900);

      expect(second.status).toBe('ALREADY_HANDLED');
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ status: 'NOTIFIED' });
    });

    it('keeps claims of different resources apart', async () => {
      const a = incident();
      const b = incident();

      const [ra, rb] = await Promise.all([ledger(T0).claim(a, 'exec-a', 900), ledger(T0).claim(b, 'exec-b', 900)]);

      expect(ra.status).toBe('CLAIMED');
      expect(rb.status).toBe('CLAIMED');
      expect(ra.caseId).not.toBe(rb.caseId);
    });
  });

  describe("failedCaseFor (a failed execution's case when Claim returned none, issue 11)", () => {
    it('opens a case FAILED with its claim, never IN_PROGRESS, and a second call finds it again', async () => {
      const inc = incident();
      const opened = await ledger(T0).failedCaseFor(inc, 'exec-a', { error: { name: 'Throttled', message: 'x' } });

      expect(opened).toMatchObject({ relation: 'opened', claimStatus: 'FAILED' });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ caseId: opened.caseId, status: 'FAILED', owner: 'exec-a' });
      expect(await getItem(`CASE#${opened.caseId}`, 'CASE')).toMatchObject({
        status: 'FAILED',
        resourceId: inc.resource.id,
        outcomeDetails: { error: { name: 'Throttled' } },
      });
      // A retry of the recorder: the same case, its own.
      expect(await ledger(T0).failedCaseFor(inc, 'exec-a')).toEqual({ caseId: opened.caseId, relation: 'own', claimStatus: 'FAILED' });
      // The FAILED claim blocks no one: the next finding resumes the case.
      expect(await ledger(T0).claim(inc, 'exec-b', 900)).toMatchObject({ caseId: opened.caseId, status: 'RESUMED' });
    });

    it("finds its own IN_PROGRESS claim, and leaves another execution's claim alone", async () => {
      const inc = incident();
      const mine = await ledger(T0).claim(inc, 'exec-a', 900);
      expect(await ledger(T0).failedCaseFor(inc, 'exec-a')).toEqual({ caseId: mine.caseId, relation: 'own', claimStatus: 'IN_PROGRESS' });

      expect(await ledger(T0).failedCaseFor(inc, 'exec-b')).toEqual({ caseId: mine.caseId, relation: 'other', claimStatus: 'IN_PROGRESS' });
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ owner: 'exec-a', status: 'IN_PROGRESS' });
      expect((await scanAll()).filter((i) => i.resourceId === inc.resource.id)).toHaveLength(1);
    });
  });

  describe('recordPriorState', () => {
    it('keeps the first value recorded under a key and returns it to later callers', async () => {
      const inc = incident();
      const { caseId } = await ledger(T0).claim(inc, 'exec-a', 900);
      const original = { 'eni-1': ['sg-web'], 'eni-2': ['sg-db', 'sg-ops'] };

      const first = await ledger(T0).recordPriorState(caseId, 'securityGroups', original);
      const second = await ledger(T0).recordPriorState(caseId, 'securityGroups', { 'eni-1': ['sg-isolation'], 'eni-2': ['sg-isolation'] });

      expect(first).toEqual(original);
      expect(second).toEqual(original);
      const record = await getItem(`CASE#${caseId}`, 'CASE');
      expect((record?.priorState as Record<string, unknown>).securityGroups).toEqual(original);
    });

    it('records different keys side by side', async () => {
      const { caseId } = await ledger(T0).claim(incident(), 'exec-a', 900);

      await ledger(T0).recordPriorState(caseId, 'instanceProfile', 'arn:aws:iam::111111111111:instance-profile/web-app');
      await ledger(T0).recordPriorState(caseId, 'terminationProtection', false);

      const record = await getItem(`CASE#${caseId}`, 'CASE');
      expect(record?.priorState).toEqual({
        instanceProfile: 'arn:aws:iam::111111111111:instance-profile/web-app',
        terminationProtection: false,
      });
    });
  });

  describe('timeline', () => {
    it('returns the entries of a case oldest first, whatever order they were written in', async () => {
      const { caseId } = await ledger(T0).claim(incident(), 'exec-a', 900);
      const at = (s: number) => new Date(T0.getTime() + s * 1000).toISOString();
      for (const [s, step] of [
        [30, 'Isolate'],
        [10, 'Preserve'],
        [50, 'Notify'],
        [20, 'Preserve2'],
        [40, 'SnapshotVolumes'],
      ] as [number, string][]) {
        await ledger(T0).appendTimeline(caseId, { at: at(s), step, status: 'SUCCEEDED' });
      }

      const entries = await ledger(T0).timeline(caseId);

      expect(entries.map((e) => e.step)).toEqual(['Preserve', 'Preserve2', 'Isolate', 'SnapshotVolumes', 'Notify']);
      expect(await timelineItems(caseId)).toHaveLength(5);
    });

    it("returns only the case's own entries", async () => {
      const a = await ledger(T0).claim(incident(), 'exec-a', 900);
      const b = await ledger(T0).claim(incident(), 'exec-b', 900);
      await ledger(T0).appendTimeline(a.caseId, { at: T0.toISOString(), step: 'Preserve', status: 'SUCCEEDED' });
      await ledger(T0).appendTimeline(b.caseId, {
        at: T0.toISOString(),
        step: 'Isolate',
        status: 'FAILED',
        error: { name: 'AccessDenied', message: 'no' },
      });

      expect((await ledger(T0).timeline(a.caseId)).map((e) => e.step)).toEqual(['Preserve']);
      expect(await ledger(T0).timeline(b.caseId)).toEqual([
        expect.objectContaining({ step: 'Isolate', status: 'FAILED', error: { name: 'AccessDenied', message: 'no' } }),
      ]);
    });
  });

  describe('release', () => {
    it('releases a contained case once, lifts the claim, and lets the next finding open a new case', async () => {
      const l = ledger();
      const inc = incident();
      const first = await l.claim(inc, 'exec-1', 900);
      await l.finish(first.caseId, 'CONTAINED', undefined, 'exec-1');
      expect((await l.findClaim(inc))?.status).toBe('CONTAINED');
      expect((await l.listCases({ open: true })).map((c) => c.caseId)).toContain(first.caseId);

      expect(await l.release(first.caseId, { restored: ['eni'] })).toBe(true);
      expect(await l.release(first.caseId, { restored: ['eni'] })).toBe(false);
      const released = await getItem(`CASE#${first.caseId}`, 'CASE');
      expect(released).toMatchObject({ status: 'RELEASED', releaseDetails: { restored: ['eni'] } });
      expect((await getItem(claimKey(inc), 'CLAIM'))?.status).toBe('RELEASED');
      expect((await l.listCases({ open: true })).map((c) => c.caseId)).not.toContain(first.caseId);

      const second = await l.claim(inc, 'exec-2', 900);
      expect(second).toMatchObject({ status: 'CLAIMED', previousCaseId: first.caseId });
      expect(second.caseId).not.toBe(first.caseId);
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ caseId: second.caseId, status: 'IN_PROGRESS', owner: 'exec-2' });
      // The old case stays released and cannot be released again into the new case's claim.
      expect(await l.release(first.caseId, {})).toBe(false);
    });

    it('gives one new case when two executions claim a released resource together', async () => {
      const l = ledger();
      const inc = incident();
      const first = await l.claim(inc, 'exec-a', 900);
      await l.finish(first.caseId, 'CONTAINED', undefined, 'exec-a');
      await l.release(first.caseId, {});
      const [x, y] = await Promise.all([l.claim(inc, 'exec-b', 900), l.claim(inc, 'exec-c', 900)]);
      expect([x.status, y.status].sort()).toEqual(['ALREADY_HANDLED', 'CLAIMED']);
      expect(x.caseId).toBe(y.caseId);
    });

    it('refuses to release a case that does not exist', async () => {
      await expect(ledger().release('fb-20260101-0000000000', {})).rejects.toThrow(/does not exist/);
    });
  });

  describe('timeline folded into a write (issue 13)', () => {
    /** A fold that says whether the write that carried it committed. */
    function fold(step: string): TimelineFold & { isWritten: () => boolean } {
      let done = false;
      return {
        entry: { at: new Date().toISOString(), step, status: 'SUCCEEDED', details: { step } },
        written: () => {
          done = true;
        },
        isWritten: () => done,
      };
    }

    it('close: the claim, the case and the entry in one write; a second close converges and adds its own entry', async () => {
      const l = ledger();
      const inc = incident();
      const { caseId } = await l.claim(inc, 'exec-a', 900);
      const f = fold('CloseCase');
      await l.close(inc, caseId, 'CONTAINED', 'exec-a', f);
      expect(f.isWritten()).toBe(true);
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ caseId, status: 'CONTAINED', owner: 'exec-a' });
      expect(await getItem(`CASE#${caseId}`, 'CASE')).toMatchObject({ status: 'CONTAINED' });
      expect((await timelineItems(caseId)).filter((e) => e.step === 'CloseCase')).toHaveLength(1);
      await l.close(inc, caseId, 'CONTAINED', 'exec-a', fold('CloseCase'));
      expect((await timelineItems(caseId)).filter((e) => e.step === 'CloseCase')).toHaveLength(2);
    });

    it('close: an execution whose claim was taken over gets ClaimLost, changes nothing and writes no entry', async () => {
      const inc = incident();
      const { caseId } = await ledger(T0).claim(inc, 'exec-a', 900);
      await ledger(new Date(T0.getTime() + 901_000)).claim(inc, 'exec-b', 900);
      const f = fold('CloseCase');
      await expect(ledger().close(inc, caseId, 'CONTAINED', 'exec-a', f)).rejects.toMatchObject({ name: 'ClaimLost' });
      expect(f.isWritten()).toBe(false);
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ status: 'IN_PROGRESS', owner: 'exec-b' });
      expect(await getItem(`CASE#${caseId}`, 'CASE')).toMatchObject({ status: 'IN_PROGRESS' });
      expect((await timelineItems(caseId)).filter((e) => e.step === 'CloseCase')).toHaveLength(0);
    });

    it('close with notifications: the marks, the claim, the case and the entry in one write; the first mark stays', async () => {
      // The ledger's DynamoDB client, with every command it sends named.
      const sent: string[] = [];
      const ddb = {
        send: (c: { constructor: { name: string } }) => {
          sent.push(c.constructor.name);
          return security.ddb.send(c as Parameters<typeof security.ddb.send>[0]);
        },
      } as unknown as typeof security.ddb;
      const l = new CaseLedger({ ddb, tableName: TABLE });
      const inc = incident();
      const { caseId } = await l.claim(inc, 'exec-a', 900);
      await l.markNotifications(caseId, ['finding#x']);
      const before = (await getItem(`CASE#${caseId}`, 'CASE'))?.notifications as Record<string, string>;
      const f = fold('Notify');
      sent.length = 0;
      await l.close(inc, caseId, 'CONTAINED', 'exec-a', f, ['contained', 'finding#x']);
      expect(sent).toEqual(['TransactWriteCommand']);
      expect(f.isWritten()).toBe(true);
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ caseId, status: 'CONTAINED', owner: 'exec-a' });
      const item = await getItem(`CASE#${caseId}`, 'CASE');
      expect(item).toMatchObject({
        status: 'CONTAINED',
        notifications: { 'finding#x': before['finding#x'], contained: expect.any(String) },
      });
      expect((await timelineItems(caseId)).filter((e) => e.step === 'Notify')).toHaveLength(1);
    });

    it('close with notifications, the claim taken over: the marks are written, the status is not, ClaimLost', async () => {
      const inc = incident();
      const { caseId } = await ledger(T0).claim(inc, 'exec-a', 900);
      await ledger(new Date(T0.getTime() + 901_000)).claim(inc, 'exec-b', 900);
      const f = fold('Notify');
      await expect(ledger().close(inc, caseId, 'CONTAINED', 'exec-a', f, ['contained'])).rejects.toMatchObject({ name: 'ClaimLost' });
      expect(f.isWritten()).toBe(false);
      expect(await getItem(claimKey(inc), 'CLAIM')).toMatchObject({ status: 'IN_PROGRESS', owner: 'exec-b' });
      const item = await getItem(`CASE#${caseId}`, 'CASE');
      expect(item).toMatchObject({ status: 'IN_PROGRESS', notifications: { contained: expect.any(String) } });
      expect((await timelineItems(caseId)).filter((e) => e.step === 'Notify')).toHaveLength(0);
    });

    it('markNotifications: every mark once (the first time stays) and the entry in one write; none on a missing case', async () => {
      const l = ledger();
      const { caseId } = await l.claim(incident(), 'exec-a', 900);
      const f = fold('Notify');
      await l.markNotifications(caseId, ['contained', 'finding#x'], f);
      expect(f.isWritten()).toBe(true);
      const first = (await getItem(`CASE#${caseId}`, 'CASE'))?.notifications as Record<string, string>;
      expect(Object.keys(first).sort()).toEqual(['contained', 'finding#x']);
      await l.markNotifications(caseId, ['contained'], fold('Notify'));
      expect(((await getItem(`CASE#${caseId}`, 'CASE'))?.notifications as Record<string, string>).contained).toBe(first.contained);
      expect((await timelineItems(caseId)).filter((e) => e.step === 'Notify')).toHaveLength(2);

      const missing = 'fb-20260101-00000000ff';
      const g = fold('Notify');
      await expect(l.markNotifications(missing, ['contained'], g)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      expect(g.isWritten()).toBe(false);
      expect(await timelineItems(missing)).toHaveLength(0);
    });

    it('recordSnapshots: a batch and the entry in one write when every key is free; else the first record of each key wins and no entry is written', async () => {
      const l = ledger();
      const { caseId } = await l.claim(incident(), 'exec-a', 900);
      const snap = (volumeId: string, snapshotId: string) =>
        ({
          stage: 'source',
          volumeId,
          snapshotId,
          ownerAccount: '111111111111',
          encrypted: false,
          how: 'created',
          recordedAt: 'x',
        }) as const;
      const f = fold('SnapshotVolumes');
      expect(await l.recordSnapshots(caseId, [snap('vol-1', 'snap-1'), snap('vol-2', 'snap-2')], f)).toHaveLength(2);
      expect(f.isWritten()).toBe(true);
      const g = fold('SnapshotVolumes');
      const stored = await l.recordSnapshots(caseId, [snap('vol-2', 'snap-9'), snap('vol-3', 'snap-3')], g);
      expect(g.isWritten()).toBe(false);
      expect(stored.map((r) => r.snapshotId)).toEqual(['snap-2', 'snap-3']);
      const evidence = (await getItem(`CASE#${caseId}`, 'CASE'))?.evidence as Record<string, { snapshotId: string }>;
      expect(['vol-1', 'vol-2', 'vol-3'].map((v) => evidence[`snapshot#source#${v}`].snapshotId)).toEqual(['snap-1', 'snap-2', 'snap-3']);
      expect((await timelineItems(caseId)).filter((e) => e.step === 'SnapshotVolumes')).toHaveLength(1);
    });
  });
});
