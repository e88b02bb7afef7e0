import * as fs from 'node:fs';
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
  type AwsSecurityFinding,
} from '@aws-sdk/client-securityhub';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/harness/local/accounts';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import { guardDutyFindingIdentifier } from '../../lib/core/security-hub';
import { updateFindingWorkflow } from '../../lib/runtime/securityhub/workflow';
import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { readNotifications } from '../../lib/harness/local/notifications';
import { ChatbotNotificationSchema } from '../support/chatbot-schema';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { cli } from '../support/cli';
import { capturePages } from '../support/published-cards';

const BITCOIN = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
const REVERSE_SHELL = 'fixtures/events/guardduty-runtime-ec2-reverse-shell.json';
/** "Typical finding from GuardDuty", Amazon GuardDuty User Guide (securityhub-integration.html), verbatim. */
const EXAMPLE: AwsSecurityFinding = JSON.parse(fs.readFileSync('fixtures/securityhub/guardduty-asff-ssh-bruteforce.json', 'utf8'));
const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';

/** The GuardDuty finding's fields the Security Hub form is built from (the event's `detail`). */
interface GuardDutyDetail {
  arn: string;
  id: string;
  region: string;
  accountId: string;
  type: string;
  title: string;
  description: string;
  createdAt: string;
  updatedAt: string;
  service: { detectorId: string };
  resource: { instanceDetails: { instanceId: string } };
}

/**
 * The finding as GuardDuty sends it to Security Hub, from the EventBridge event: the documented example with the fields
 * GuardDuty forms from the finding (`Id` its ARN, `GeneratorId` the detector's ARN, `AwsAccountId`, `Types`, `Title`,
 * times, the instance) replaced by this finding's, and a new finding's workflow (`NEW`, `ACTIVE`).
 */
function asffOf(event: EventEnvelope): AwsSecurityFinding {
  const d = event.detail as unknown as GuardDutyDetail;
  const detector = `arn:aws:guardduty:${d.region}:${d.accountId}:detector/${d.service.detectorId}`;
  const instanceId = d.resource.instanceDetails.instanceId;
  return {
    ...EXAMPLE,
    Id: d.arn,
    ProductArn: `arn:aws:securityhub:${d.region}::product/aws/guardduty`,
    GeneratorId: detector,
    AwsAccountId: d.accountId,
    Types: [`TTPs/${d.type}`],
    Title: d.title,
    Description: d.description,
    CreatedAt: d.createdAt,
    UpdatedAt: d.updatedAt,
    ProductFields: { 'aws/guardduty/service/detectorId': d.service.detectorId },
    Resources: [
      { Type: 'AwsEc2Instance', Id: `arn:aws:ec2:${d.region}:${d.accountId}:instance/${instanceId}`, Partition: 'aws', Region: d.region },
    ],
  };
}

/** A Publish to the topic as a step sent it (its input). */
interface Published {
  Message: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, { StringValue?: string }>;
}

describe('Security Hub workflow status, chat cards and case events of a contained and released case (emulator)', () => {
  const local = useLocalSession({
    environment: {
      FIREBREAK_SECURITY_HUB_WORKFLOW: 'resolve-on-release',
      // Medium EC2 findings ask a person first (the approval request's page moves the finding too); the High ones here do not.
      FIREBREAK_CATALOG_OVERRIDES: JSON.stringify({ 'ec2-compromise-medium': { mode: 'approval' } }),
    },
  });
  let sh: SecurityHubClient;
  /** The operations `sh` sent, in order (a middleware reads each command's name). */
  const sent: string[] = [];
  const event = readEventFile(BITCOIN);
  const finding = asffOf(event);
  const statusOf = async (id: string) =>
    (await sh.send(new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: 'EQUALS' }] } }))).Findings?.[0];
  const statuses: string[] = [];
  let caseId: string;
  let missingCase: { caseId: string; status: string; outcome?: string };
  /** Every SNS Publish of the contained and released case, and what the SQS subscription received. */
  const published: Published[] = [];
  let queued: Awaited<ReturnType<typeof readNotifications>> = [];
  /** The queue a rule on Firebreak's bus (source `firebreak`, detail type `Firebreak Case`) delivers to, as another tool would subscribe. */
  let caseEventQueue: string;

  beforeAll(async () => {
    const { env } = local.session;
    sh = new SecurityHubClient({ region: LOCAL_REGION, endpoint: env.endpoint, credentials: LOCAL_CREDENTIALS });
    sh.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(context.commandName as string);
        return next(args);
      },
      { step: 'initialize', name: 'recordCommand' },
    );
    // GuardDuty's finding in the security account's Security Hub (the administrator's view of its member's finding).
    await sh.send(new BatchImportFindingsCommand({ Findings: [finding] }));
    // Another tool's subscription to the case events: a rule on Firebreak's bus with an SQS target.
    await env.security.events.send(new CreateEventBusCommand({ Name: 'firebreak' })).catch(() => undefined);
    caseEventQueue = (await env.security.sqs.send(new CreateQueueCommand({ QueueName: 'case-event-subscriber' }))).QueueUrl!;
    const queueArn = (
      await env.security.sqs.send(new GetQueueAttributesCommand({ QueueUrl: caseEventQueue, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    await env.security.events.send(
      new PutRuleCommand({
        Name: 'case-event-subscriber',
        EventBusName: 'firebreak',
        EventPattern: JSON.stringify({ source: ['firebreak'], 'detail-type': ['Firebreak Case'] }),
        State: 'ENABLED',
      }),
    );
    await env.security.events.send(
      new PutTargetsCommand({ Rule: 'case-event-subscriber', EventBusName: 'firebreak', Targets: [{ Id: 'subscriber', Arn: queueArn }] }),
    );
    statuses.push((await statusOf(finding.Id!))!.Workflow!.Status!);
    const remove = registerSdkInterceptor({
      before: (call) => {
        if (call.operation === 'SNS.Publish') published.push(call.input as unknown as Published);
      },
    });
    const contained = await replayEvent(local.session, event);
    expect(contained.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    caseId = contained.report.executions[0].caseId!;
    statuses.push((await statusOf(finding.Id!))!.Workflow!.Status!);
    const released = await local.session.runner.execute('release', { release: { caseId, reason: 'sanctioned test', operator: OPERATOR } });
    expect(released).toMatchObject({ status: 'SUCCEEDED', outcome: 'RELEASED' });
    statuses.push((await statusOf(finding.Id!))!.Workflow!.Status!);
    remove();
    queued = await readNotifications(env);
    // A finding GuardDuty never sent to Security Hub (not imported): the playbook goes on.
    const missing = await replayEvent(local.session, readEventFile(REVERSE_SHELL));
    missingCase = missing.report.executions[0] as typeof missingCase;
  }, 240_000);

  it('drives the finding NEW → NOTIFIED (contained, paged) → RESOLVED (released), with a note naming the case', async () => {
    expect(statuses).toEqual(['NEW', 'NOTIFIED', 'RESOLVED']);
    const now = (await statusOf(finding.Id!))!;
    expect(now.Note).toMatchObject({ UpdatedBy: 'Firebreak' });
    expect(now.Note!.Text).toContain(caseId);
    expect(now.Note!.Text).toContain('released');
    // The identifier the runtime builds is the one GuardDuty gives the finding (its ARN; the product's ARN).
    const d = event.detail as unknown as GuardDutyDetail;
    expect(
      guardDutyFindingIdentifier({
        partition: 'aws',
        region: d.region,
        account: d.accountId,
        detectorId: d.service.detectorId,
        findingId: d.id,
      }),
    ).toEqual({
      Id: finding.Id,
      ProductArn: finding.ProductArn,
    });
    // The example's own identifier is formed the same way.
    expect(EXAMPLE.Id).toBe(
      `${EXAMPLE.GeneratorId}/finding/${(EXAMPLE.ProductFields!['aws/securityhub/FindingId'] as string).split('/finding/')[1]}`,
    );
    // Each step's outcome is on the case's timeline, read from the ledger.
    const { timeline } = await readCase(local.session.env, caseId);
    const hub = (step: string) => timeline.find((t) => t.step === step)?.details?.securityHub;
    expect(hub('Notify')).toEqual({ target: 'NOTIFIED', findings: [{ id: finding.Id, from: 'NEW', to: 'NOTIFIED', outcome: 'updated' }] });
    expect(hub('NotifyRelease')).toEqual({
      target: 'RESOLVED',
      findings: [{ id: finding.Id, from: 'NOTIFIED', to: 'RESOLVED', outcome: 'updated' }],
    });
  });

  it('the approval request page moves the finding NEW → NOTIFIED while nothing is contained yet (a person was asked)', async () => {
    const medium = JSON.parse(JSON.stringify(event)) as EventEnvelope;
    const d = medium.detail as unknown as GuardDutyDetail & { severity: number };
    // Another finding of the same detector (its ID in its ARN too: Security Hub's `Id`), at Medium.
    Object.assign(d, {
      severity: 5,
      id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      arn: d.arn.replace(/[0-9a-f]{32}$/, 'a1b2c3d4e5f60718293a4b5c6d7e8f90'),
    });
    medium.id = 'f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f';
    const asked = asffOf(medium);
    expect(asked.Id).not.toBe(finding.Id);
    await sh.send(new BatchImportFindingsCommand({ Findings: [asked] }));
    const { env } = local.session;
    const captured = capturePages(() => replayEvent(local.session, medium));
    let waiting: { caseId: string; status?: string; timeline: Awaited<ReturnType<typeof readCase>>['timeline'] } | undefined;
    for (let i = 0; i < 200 && !waiting; i++) {
      const [found] =
        (
          await env.security.ddb.send(
            new ScanCommand({
              TableName: env.ledgerTable,
              FilterExpression: 'sk = :c AND attribute_exists(approval)',
              ExpressionAttributeValues: { ':c': 'CASE' },
            }),
          )
        ).Items ?? [];
      const timeline = found ? (await readCase(env, found.caseId as string)).timeline : [];
      if (timeline.some((t) => t.step === 'RequestApproval'))
        waiting = { caseId: found.caseId as string, status: found.status as string, timeline };
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(waiting?.status).toBe('IN_PROGRESS');
    const now = (await statusOf(asked.Id!))!;
    expect(now.Workflow!.Status).toBe('NOTIFIED');
    expect(now.Note!.Text).toBe(
      `Firebreak case ${waiting!.caseId}: waits for approval (a person was asked); workflow NOTIFIED. Details: firebreak cases show ${waiting!.caseId}`,
    );
    expect(waiting!.timeline.find((t) => t.step === 'RequestApproval')?.details?.securityHub).toEqual({
      target: 'NOTIFIED',
      findings: [{ id: asked.Id, from: 'NEW', to: 'NOTIFIED', outcome: 'updated' }],
    });
    expect((await cli(['deny', waiting!.caseId, '--reason', 'test', '--endpoint', local.session.sfn.endpoint])).code).toBe(0);
    const { result, pages } = await captured;
    expect(result.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED', caseId: waiting!.caseId });
    // NotifyOnly's later page finds it NOTIFIED already: nothing moves back or again.
    expect((await statusOf(asked.Id!))!.Workflow!.Status).toBe('NOTIFIED');
    expect(pages.map((p) => [p.kind, p.card?.metadata?.eventType])).toEqual([
      ['approval-request', 'approval-requested'],
      ['notify-only', 'opened'],
    ]);
  }, 60_000);

  it('a finding absent from Security Hub does not fail the playbook, and is recorded on the case', async () => {
    expect(missingCase).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const { timeline } = await readCase(local.session.env, missingCase.caseId);
    const entry = timeline.find((t) => t.step === 'Notify');
    expect(entry?.status).toBe('SUCCEEDED');
    expect(entry?.details?.securityHub).toEqual({
      target: 'NOTIFIED',
      findings: [{ id: expect.stringContaining('/finding/7d1e4c2a9b3f4e5d8a6c0b1d2e3f4a51'), outcome: 'not-in-security-hub' }],
    });
  });

  it('converges: a repeat reads and changes nothing, never moves RESOLVED back, never overrides SUPPRESSED', async () => {
    const request = { mode: 'resolve-on-release' as const, caseId, identifiers: [{ Id: finding.Id!, ProductArn: finding.ProductArn! }] };
    sent.length = 0;
    // A late page (NOTIFIED) and a repeated release (RESOLVED) on a RESOLVED finding: read only.
    expect(await updateFindingWorkflow(() => sh, { ...request, event: 'contained' })).toEqual({
      target: 'NOTIFIED',
      findings: [{ id: finding.Id, from: 'RESOLVED', outcome: 'unchanged' }],
    });
    expect(await updateFindingWorkflow(() => sh, { ...request, event: 'released' })).toMatchObject({
      findings: [{ outcome: 'unchanged' }],
    });
    expect(sent).toEqual(['GetFindingsCommand', 'GetFindingsCommand']);
    expect((await statusOf(finding.Id!))!.Workflow!.Status).toBe('RESOLVED');
    // A person suppressed another finding: left as it is.
    const other = { ...finding, Id: finding.Id!.replace(/[0-9a-f]{32}$/, '0'.repeat(32)) };
    await sh.send(new BatchImportFindingsCommand({ Findings: [other] }));
    await sh.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: other.Id, ProductArn: other.ProductArn }],
        Workflow: { Status: 'SUPPRESSED' },
      }),
    );
    const suppressed = await updateFindingWorkflow(() => sh, {
      ...request,
      event: 'released',
      identifiers: [{ Id: other.Id, ProductArn: other.ProductArn! }],
    });
    expect(suppressed).toEqual({ target: 'RESOLVED', findings: [{ id: other.Id, from: 'SUPPRESSED', outcome: 'suppressed' }] });
    expect((await statusOf(other.Id))!.Workflow!.Status).toBe('SUPPRESSED');
  });

  it('records a failed call instead of failing (a denial, an outage), and calls nothing when off or without a finding', async () => {
    const broken = new SecurityHubClient({
      region: LOCAL_REGION,
      endpoint: 'http://127.0.0.1:9',
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    const out = await updateFindingWorkflow(() => broken, {
      mode: 'resolve-on-release',
      event: 'released',
      caseId,
      identifiers: [{ Id: finding.Id!, ProductArn: finding.ProductArn! }],
    });
    expect(out).toMatchObject({ target: 'RESOLVED', findings: [{ id: finding.Id, outcome: 'failed', error: expect.any(String) }] });
    sent.length = 0;
    expect(
      await updateFindingWorkflow(() => sh, {
        mode: 'off',
        event: 'released',
        caseId,
        identifiers: [{ Id: finding.Id!, ProductArn: finding.ProductArn! }],
      }),
    ).toBeUndefined();
    expect(
      await updateFindingWorkflow(() => sh, { mode: 'resolve-on-release', event: 'released', caseId, identifiers: [] }),
    ).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it('the topic carries one Chatbot card per case event, and the unchanged JSON to its SQS subscribers', () => {
    expect(published.map((p) => p.MessageAttributes?.kind?.StringValue)).toEqual(['contained', 'released']);
    for (const p of published) {
      expect(p.MessageStructure).toBe('json');
      const byProtocol = JSON.parse(p.Message) as Record<string, string>;
      // The card for AWS Chatbot (https) only; every other protocol falls back to `default`, the unchanged JSON.
      expect(Object.keys(byProtocol).sort()).toEqual(['default', 'https']);
      const card = ChatbotNotificationSchema.parse(JSON.parse(byProtocol.https));
      expect(JSON.parse(byProtocol.default)).toMatchObject({ kind: p.MessageAttributes!.kind!.StringValue, caseId });
      expect(card.metadata?.threadId).toBe(caseId);
      expect(card.content.title).toContain(caseId);
    }
    const [contained, released] = published.map((p) => ChatbotNotificationSchema.parse(JSON.parse(JSON.parse(p.Message).https)));
    expect(contained.content.nextSteps).toEqual([
      `Investigate: \`firebreak cases show ${caseId}\``,
      `Release when cleared: \`firebreak release ${caseId} --reason "..."\``,
    ]);
    expect(released.metadata?.eventType).toBe('released');
    // The SQS subscription (raw delivery: the game day and the tests read it) received the raw JSON, not the card.
    expect(queued.filter((m) => m.caseId === caseId).map((m) => m.kind)).toEqual(['contained', 'released']);
    expect(queued.filter((m) => m.caseId === caseId).every((m) => JSON.parse(m.body).version === undefined)).toBe(true);
  });

  it('puts a Firebreak Case event on the bus at each case event, read back through a rule on the bus', async () => {
    const { env } = local.session;
    const events: { source: string; 'detail-type': string; detail: Record<string, unknown> }[] = [];
    for (;;) {
      const got = await env.security.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: caseEventQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (!got.Messages?.length) break;
      events.push(...got.Messages.map((m) => JSON.parse(m.Body!)));
    }
    const d = event.detail as unknown as GuardDutyDetail;
    const ofCase = events.filter((e) => e.detail.caseId === caseId);
    expect(ofCase.map((e) => [e.source, e['detail-type'], e.detail.event, e.detail.status])).toEqual([
      ['firebreak', 'Firebreak Case', 'contained', 'CONTAINED'],
      ['firebreak', 'Firebreak Case', 'released', 'RELEASED'],
    ]);
    expect(ofCase[0].detail).toEqual({
      version: '1',
      caseId,
      event: 'contained',
      status: 'CONTAINED',
      outcome: 'contained',
      playbook: 'ec2-compromise',
      account: d.accountId,
      region: d.region,
      finding: { id: d.id, type: d.type },
      resource: { type: 'Instance', id: expect.stringMatching(/^i-/) },
    });
    expect(ofCase[1].detail).toMatchObject({
      finding: { id: d.id, type: d.type },
      resource: ofCase[0].detail.resource,
      outcome: 'released',
    });
    // The other case's contained event too (its finding was not in Security Hub: the event goes on regardless).
    expect(events.filter((e) => e.detail.caseId === missingCase.caseId).map((e) => e.detail.event)).toEqual(['contained']);
    // Each put is on the case: the step's timeline entry carries its EventBridge ID.
    const { timeline } = await readCase(env, caseId);
    expect(timeline.find((t) => t.step === 'Notify')?.details?.caseEvent).toEqual({ event: 'contained', eventId: expect.any(String) });
    expect(timeline.find((t) => t.step === 'NotifyRelease')?.details?.caseEvent).toEqual({
      event: 'released',
      eventId: expect.any(String),
    });
  });
});
