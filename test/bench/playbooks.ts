/**
 * Per playbook, one recorded event replayed on the local session (`npm run bench`): the state transitions its execution
 * made (the figure AWS Step Functions Standard bills, "AWS Step Functions Pricing"), its outcome and its AWS calls.
 * The events are the project's fixtures (fixtures/README.md names their sources); one per playbook the catalog routes.
 */
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';

/** The fixture replayed for each playbook. */
export const PLAYBOOK_FIXTURES: readonly string[] = [
  'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json',
  'fixtures/events/guardduty-iamuser-anomalous.json',
  'fixtures/events/cloudtrail-stoplogging.json',
  'fixtures/events/signin-root-console-login.json',
  'fixtures/events/guardduty-s3-medium.json',
];

/** One playbook's execution of its fixture. */
export interface PlaybookFigure {
  readonly playbook: string;
  readonly fixture: string;
  readonly outcome: string;
  /** States entered, retries and Wait-loop polls included. */
  readonly stateTransitions: number | undefined;
  readonly apiCalls: number;
  readonly mutatingApiCalls: number;
}

/**
 * Replays each of {@link PLAYBOOK_FIXTURES} once, in order, on `session`.
 * @returns one figure per execution the replays started (a fixture routed to no playbook gives none).
 */
export async function measurePlaybooks(session: LocalSession): Promise<PlaybookFigure[]> {
  const figures: PlaybookFigure[] = [];
  for (const fixture of PLAYBOOK_FIXTURES) {
    const { report } = await replayEvent(session, readEventFile(fixture));
    for (const x of report.executions)
      figures.push({
        playbook: x.playbook,
        fixture,
        outcome: x.outcome,
        stateTransitions: x.stateTransitions,
        apiCalls: report.apiCalls.total,
        mutatingApiCalls: report.apiCalls.mutating,
      });
  }
  return figures;
}
