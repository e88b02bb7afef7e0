import { installFaults } from '../../lib/harness/gameday/faults';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { activeInterceptors, isInvocationCrashed, markInvocationCrashed, registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { currentCallContext } from '../../lib/runtime/telemetry';
import { ChatbotNotificationSchema } from '../support/chatbot-schema';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * The breaker's trip page survives a throttled publish (never silent): RequestApproval marks the trip, and when the page
 * cannot be sent it takes the mark back, so the state machine's retry pages. Before, the mark stayed, the retry found
 * the trip "already paged", and the held case waited for an approval nobody had been asked for.
 */

const FIXTURE = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';

function highFinding(tag: string) {
  const e = JSON.parse(JSON.stringify(readEventFile(FIXTURE)));
  e.detail.id = `${tag}-${Math.random().toString(16).slice(2)}`;
  return e;
}

describe('the blast-radius breaker page under a throttled publish', () => {
  const local = useLocalSession({
    environment: { FIREBREAK_BREAKER: JSON.stringify({ perAccount: 1, perOrganization: 100, windowSeconds: 3600 }) },
    taskTokenTimeoutMs: 30_000,
  });
  afterEach(() => expect(activeInterceptors()).toEqual([]));

  it('pages the trip once, after the retry, and the held case can be answered', async () => {
    const first = await replayEvent(local.session, highFinding('trip-a'));
    expect(first.report.executions[0]).toMatchObject({ outcome: 'CONTAINED' });
    // The second containment trips the breaker: its first SNS.Publish (the trip's page) is throttled.
    const installed = installFaults([{ kind: 'throttle', operation: 'SNS.Publish', rate: 1, times: 1 }], {
      seed: 'breaker-page',
      deleteResource: () => Promise.reject(new Error('no deletion here')),
    });
    // The trip's Publish, as sent: the held case's approval-requested card goes with it (Chatbot shows nothing else).
    const tripPublishes: Record<string, unknown>[] = [];
    const capture = registerSdkInterceptor({
      before(call) {
        if (call.operation === 'SNS.Publish' && JSON.stringify(call.input.MessageAttributes ?? {}).includes('breaker-tripped')) {
          tripPublishes.push(call.input);
        }
      },
    });
    let running: ReturnType<typeof replayEvent> | undefined;
    try {
      running = replayEvent(local.session, highFinding('trip-b'));
      let pages: Awaited<ReturnType<typeof readNotifications>> = [];
      for (let i = 0; i < 150 && pages.length === 0; i++) {
        pages = (await readNotifications(local.session.env)).filter((n) => n.kind === 'breaker-tripped');
        if (!pages.length) await new Promise((r) => setTimeout(r, 100));
      }
      expect(pages).toHaveLength(1);
      expect(installed.reports()[0]).toMatchObject({ injected: 1 });
      const caseId = pages[0].caseId!;
      const { item } = await readCase(local.session.env, caseId);
      expect(item?.approval?.hold).toMatchObject({ brake: 'breaker' });
      const sent = tripPublishes[tripPublishes.length - 1];
      expect(sent.MessageStructure).toBe('json');
      const byProtocol = JSON.parse(sent.Message as string) as Record<string, string>;
      expect(byProtocol.default).toContain('firebreak breaker reset');
      const card = ChatbotNotificationSchema.parse(JSON.parse(byProtocol.https));
      expect(card).toMatchObject({ metadata: { threadId: caseId, eventType: 'approval-requested' } });
      expect(card.content.nextSteps).toContain(`Approve: \`firebreak approve ${caseId} --reason "..."\``);
      expect(card.content.description).toContain('breaker');
      const r = await cli(['deny', caseId, '--reason', 'test', '--endpoint', local.session.sfn.endpoint]);
      expect(r.code).toBe(0);
      expect((await running).report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
      // Still one page for the trip.
      expect((await readNotifications(local.session.env)).filter((n) => n.kind === 'breaker-tripped')).toHaveLength(1);
    } finally {
      installed.remove();
      capture();
      await running?.catch(() => undefined);
    }
  }, 120_000);

  it('pages the trip when the function crashed after marking it and before the page (the retry pages)', async () => {
    // A new trip: the reset clears the breaker (and the previous test's trip); one containment fills it again.
    const reset = await cli(['breaker', 'reset', '--reason', 'next test', '--endpoint', local.session.sfn.endpoint]);
    expect(reset.code).toBe(0);
    const first = await replayEvent(local.session, highFinding('crash-a'));
    expect(first.report.executions[0]).toMatchObject({ outcome: 'CONTAINED' });
    // The invocation that would page the trip dies right before its SNS.Publish (a Lambda timeout, an out-of-memory
    // kill): no code of it runs after, so nothing it marked can be taken back; every later call of it fails.
    let crashed = 0;
    const remove = registerSdkInterceptor({
      before: (call) => {
        const id = currentCallContext().invocationId;
        if (isInvocationCrashed(id)) throw new Error('the function crashed');
        const kind = (call.input.MessageAttributes as Record<string, { StringValue?: string }> | undefined)?.kind?.StringValue;
        if (call.operation !== 'SNS.Publish' || kind !== 'breaker-tripped' || crashed > 0 || !id) return;
        crashed += 1;
        markInvocationCrashed(id);
        throw new Error('the function crashed before the page');
      },
    });
    let running: ReturnType<typeof replayEvent> | undefined;
    try {
      running = replayEvent(local.session, highFinding('crash-b'));
      const trips = async () => (await readNotifications(local.session.env)).filter((n) => n.kind === 'breaker-tripped');
      let pages: Awaited<ReturnType<typeof trips>> = [];
      for (let i = 0; i < 150 && pages.length < 2; i++) {
        pages = await trips();
        if (pages.length < 2) await new Promise((r) => setTimeout(r, 100));
      }
      expect(crashed).toBe(1);
      // The previous test's page, and this trip's, sent by the retry.
      expect(pages).toHaveLength(2);
      const caseId = pages[1].caseId!;
      const { item } = await readCase(local.session.env, caseId);
      expect(item?.approval?.hold).toMatchObject({ brake: 'breaker' });
      const r = await cli(['deny', caseId, '--reason', 'test', '--endpoint', local.session.sfn.endpoint]);
      expect(r.code).toBe(0);
      expect((await running).report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    } finally {
      remove();
      await running?.catch(() => undefined);
    }
  }, 120_000);
});
