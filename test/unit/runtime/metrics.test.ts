import { MetricPoint, METRICS } from '../../../lib/core/metrics';
import { emitMetrics, subscribeMetrics } from '../../../lib/runtime/metrics';

/** lib/runtime/metrics.ts: one EMF line per dimension set, stdout unless a listener takes the lines, never a throw. */
describe('emitMetrics', () => {
  const points: MetricPoint[] = [
    { metric: METRICS.cases, value: 1, dimensions: { playbook: 'ec2-compromise', outcome: 'contained' } },
    { metric: METRICS.timeToIsolate, value: 1.25, dimensions: { playbook: 'ec2-compromise' } },
    { metric: METRICS.timeToContain, value: 2.5, dimensions: { playbook: 'ec2-compromise' } },
  ];

  it('prints one EMF line per dimension set on stdout (what CloudWatch Logs reads from a Lambda)', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(emitMetrics('blue', points, { caseId: 'fb-20261205-0123456789' })).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    const docs = written.map((w) => JSON.parse(w) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } });
    expect(docs).toHaveLength(2);
    expect(docs[0]).toMatchObject({
      service: 'blue',
      playbook: 'ec2-compromise',
      outcome: 'contained',
      Cases: 1,
      caseId: 'fb-20261205-0123456789',
      _aws: {
        CloudWatchMetrics: [
          { Namespace: 'Firebreak', Dimensions: [['service', 'playbook', 'outcome']], Metrics: [{ Name: 'Cases', Unit: 'Count' }] },
        ],
      },
    });
    expect(docs[1]).toMatchObject({
      TimeToIsolate: 1.25,
      TimeToContain: 2.5,
      _aws: { CloudWatchMetrics: [{ Dimensions: [['service', 'playbook']] }] },
    });
  });

  it('hands the lines to a listener instead of stdout, and returns a failure instead of throwing', () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write');
    const unsubscribe = subscribeMetrics((m) => lines.push(m.line));
    try {
      expect(emitMetrics('blue', points.slice(0, 1), {})).toBeUndefined();
      // A value Powertools refuses (not a number): the error comes back as a message; nothing is thrown.
      expect(emitMetrics('blue', [{ metric: METRICS.cases, value: 'x' as unknown as number, dimensions: {} }], {})).toEqual(
        expect.any(String),
      );
    } finally {
      unsubscribe();
      write.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(write).not.toHaveBeenCalled();
  });
});
