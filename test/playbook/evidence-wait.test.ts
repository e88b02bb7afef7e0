import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { useLocalSession } from '../support/local';
import { caseSnapshots, readCase } from '../support/read-back';

const EVENT = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';

/**
 * moto completes snapshots at once, so the pending state is injected at the SDK boundary (a
 * fault injection, TOOLCHAIN.md): DescribeSnapshots by ID reports `pending` for a number of polls.
 */
function pendingFor(polls: number | 'always') {
  let seen = 0;
  return registerSdkInterceptor({
    after(call, output) {
      if (call.operation !== 'EC2.DescribeSnapshots' || !call.input.SnapshotIds) return;
      seen += 1;
      if (polls !== 'always' && seen > polls) return;
      const snaps = (output.Snapshots as { State?: string; Progress?: string }[] | undefined) ?? [];
      return { ...output, Snapshots: snaps.map((s) => ({ ...s, State: 'pending', Progress: '42%' })) };
    },
  });
}

describe('ec2-compromise evidence Wait-loops', () => {
  const local = useLocalSession({ environment: { FIREBREAK_EVIDENCE_DEADLINE_SECONDS: '2' } });

  it('polls with Wait states while snapshots are pending, then carries on', async () => {
    const remove = pendingFor(3);
    try {
      const { report } = await replayEvent(local.session, readEventFile(EVENT));
      const x = report.executions[0];
      expect(x.outcome).toBe('CONTAINED');
      const check = x.steps.find((s) => s.name === 'CheckSnapshots')!;
      expect(check.apiCalls['EC2.DescribeSnapshots']).toBe(4);
      const snaps = await caseSnapshots(local.session.env, x.caseId!);
      expect(snaps.security.every((s) => s.State === 'completed')).toBe(true);
    } finally {
      remove();
    }
  });

  it('gives the snapshots and both copies one deadline, set once for the execution, and fails the case by it', async () => {
    // The source snapshots stay pending for 1.2 s, every copy for ever. A deadline per stage (2 s each) would
    // fail the case 2 s after the member copies started, over 3.2 s after SnapshotVolumes; one deadline for
    // the execution fails it 2 s after SnapshotVolumes.
    let source: { ids: string[]; until: number } | undefined;
    const remove = registerSdkInterceptor({
      after(call, output) {
        if (call.operation !== 'EC2.DescribeSnapshots' || !call.input.SnapshotIds) return;
        const ids = call.input.SnapshotIds as string[];
        source ??= { ids, until: Date.now() + 1200 };
        if (ids.every((id) => source!.ids.includes(id)) && Date.now() > source.until) return;
        const snaps = (output.Snapshots as { State?: string }[] | undefined) ?? [];
        return { ...output, Snapshots: snaps.map((s) => ({ ...s, State: 'pending', Progress: '42%' })) };
      },
    });
    try {
      // Encrypted volumes: their snapshots go through the member (transit) copies, whose wait is the one that fails.
      const { report, executions } = await replayEvent(local.session, readEventFile(EVENT), {
        extras: { encryptedVolumes: ['root', 'data'] },
      });
      const x = executions[0];
      expect(report.executions[0].status).toBe('FAILED');
      expect(x.steps.find((s) => s.name === 'CheckSnapshots')!.status).toBe('SUCCEEDED');
      expect(x.steps.find((s) => s.name === 'CheckMemberCopies')!.status).toBe('FAILED');
      const { item, timeline } = await readCase(local.session.env, x.caseId!);
      expect(item?.status).toBe('FAILED');
      const entry = (step: string) => timeline.find((t) => t.step === step && t.status === 'SUCCEEDED')!;
      const snapshots = entry('SnapshotVolumes');
      const deadline = (snapshots.details as { batch: { deadline: string } }).batch.deadline;
      // Recorded on the case once for the execution, 2 s (FIREBREAK_EVIDENCE_DEADLINE_SECONDS) after SnapshotVolumes began.
      expect(item?.decisions?.[`evidenceDeadline#${x.executionName}`]).toBe(deadline);
      // Set while SnapshotVolumes ran: 2 s after a moment between its start and its end (recorded values, not a timing).
      expect(Date.parse(deadline) - Date.parse(snapshots.at)).toBeGreaterThanOrEqual(2000);
      expect(Date.parse(deadline) - Date.parse(snapshots.at)).toBeLessThanOrEqual(2000 + snapshots.durationMs!);
      // The member copies inherit it; the failure names it and comes by it, not 2 s after the copies began.
      expect((entry('CopySnapshots').details as { batch: { deadline: string } }).batch.deadline).toBe(deadline);
      const failure = timeline.find((t) => t.step === 'RecordFailure')!;
      expect(failure.error).toMatchObject({ name: 'EvidenceIncomplete', message: expect.stringContaining(`not completed by ${deadline}`) });
      expect(Date.parse(failure.at)).toBeGreaterThanOrEqual(Date.parse(deadline));
      expect(await readNotifications(local.session.env)).toEqual(
        expect.arrayContaining([expect.objectContaining({ caseId: x.caseId, kind: 'failed' })]),
      );
    } finally {
      remove();
    }
  });

  it('fails loudly, records and notifies when the deadline passes', async () => {
    const remove = pendingFor('always');
    try {
      const { report } = await replayEvent(local.session, readEventFile(EVENT));
      const x = report.executions[0];
      expect(x.status).toBe('FAILED');
      expect(x.error?.message).toMatch(/EvidenceIncomplete/);
      const { item, timeline } = await readCase(local.session.env, x.caseId!);
      expect(item?.status).toBe('FAILED');
      expect(timeline.some((t) => t.step === 'RecordFailure' && t.error?.name === 'EvidenceIncomplete')).toBe(true);
      // No copy was attempted from an incomplete snapshot.
      const snaps = await caseSnapshots(local.session.env, x.caseId!);
      expect(snaps.security).toEqual([]);
      expect(report.apiCalls.byOperation['SNS.Publish']).toBe(1);
    } finally {
      remove();
    }
  });
});
