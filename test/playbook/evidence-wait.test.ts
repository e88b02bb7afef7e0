import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { readEventFile, replayEvent } from '../../lib/local/replay';
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
