/**
 * The figure of issue 11 (`npm run bench:faults`): an incident replayed N times (default 20 seeds), each under 20 %
 * transient faults on every HTTP attempt of every call of every Lambda client (the drill fault
 * `{ kind: transient, operations: '*', rate: 0.2 }`, beneath the SDK's retry), judged from the emulator's state:
 * contained, FAILED and notified, FAILED with only the alarm, or silent.
 * Usage: npm run bench:faults -- [runs=20] [rate=0.2] [fixture=fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json] [severity]
 * (`severity` sets the finding's, as a drill's `mutate.severity` does: the credential drill's High `guardduty-iamuser-anomalous.json` is 8.)
 */
import { readEventFile } from '../../lib/harness/local/replay';
import { openLocalSession } from '../../lib/harness/local/session';
import { runUnderTransientFaults, summarizeFigure } from '../../lib/harness/gameday/fault-figure';

const runs = Number(process.argv[2] ?? 20);
const rate = Number(process.argv[3] ?? 0.2);
const fixture = process.argv[4] ?? 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json';
const severity = process.argv[5] === undefined ? undefined : Number(process.argv[5]);

async function main(): Promise<void> {
  // The blast-radius breaker (issue 14) wide open: this measures containment itself, many instances per account.
  const session = await openLocalSession({
    environment: { FIREBREAK_BREAKER: JSON.stringify({ perAccount: 1000, perOrganization: 10000 }) },
  });
  try {
    const recorded = readEventFile(fixture);
    const event =
      severity === undefined ? recorded : { ...recorded, detail: { ...(recorded.detail as Record<string, unknown>), severity } };
    const world = fixture.includes('ec2') ? { autoScalingGroup: true, targetGroup: true } : undefined;
    const seeds = Array.from({ length: runs }, (_, i) => `transient-${rate}-${i + 1}`);
    const results = await runUnderTransientFaults(session, event, {
      seeds,
      rate,
      world,
      onRun: (r) =>
        process.stderr.write(
          `${r.seed}: ${r.verdict} (${r.status}/${r.outcome ?? '-'}, case ${r.caseStatus ?? '-'}, told ${r.notifications.join(',') || 'nothing'}; ${r.injected}/${r.attempts} attempts faulted, ${r.callsFailed} calls answered an error after the SDK's retries (expected ones included), ${r.stepRetries} step retries; ${r.durationMs} ms)${r.error ? ` ${r.error}` : ''}\n`,
        ),
    });
    process.stdout.write(`${JSON.stringify({ fixture, severity, rate, ...summarizeFigure(results), results }, null, 2)}\n`);
  } finally {
    await session.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? (err as Error).message}\n`);
  process.exitCode = 1;
});
