import {
  DeleteTrailCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  PutEventSelectorsCommand,
  UpdateTrailCommand,
} from '@aws-sdk/client-cloudtrail';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import type { ApiCallTwin } from '../../lib/harness/local/api-call-twin';
import { readBaseline, readTrail, storeBaseline } from '../../lib/runtime/playbook/cloudtrail-tamper/baseline';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { readNotifications } from '../../lib/harness/local/notifications';
import { ChatbotNotificationSchema } from '../support/chatbot-schema';

/**
 * Issue 14: cloudtrail-tamper judges the change before it revokes anyone. Every outcome is read back from the emulator
 * (the trail, the actor's policies) and from the ledger (the case, its timeline, the trail's baseline).
 */

const ADD_DATA = 'fixtures/events/cloudtrail-puteventselectors-add-data.json';
const UPDATE_TRAIL = 'fixtures/events/cloudtrail-updatetrail.json';
const STOP_LOGGING = 'fixtures/events/cloudtrail-stoplogging.json';
/** The automation principal of this file's deployment: the twin of role `terraform-deployer` (its name gets a suffix). */
const AUTOMATION = 'arn:aws:iam::111111111111:role/terraform-deployer-*';

let serial = 0;
/** The fixture as a new CloudTrail event made now (its own event ID), changed as given. */
function variant(file: string, change: (d: Record<string, unknown>) => void = () => undefined): EventEnvelope {
  const e = JSON.parse(JSON.stringify(readEventFile(file)));
  e.detail.eventID = `${e.detail.eventID}-judged-${++serial}`;
  e.time = e.detail.eventTime = new Date().toISOString();
  change(e.detail);
  return e;
}

/** Every policy on the actor, read back from IAM: inline (Firebreak's revocation is one) and attached. */
async function actorPolicies(session: LocalSession, t: ApiCallTwin): Promise<string[]> {
  const iam = session.env.member.iam;
  if (t.roleName) {
    const inline = (await iam.send(new ListRolePoliciesCommand({ RoleName: t.roleName }))).PolicyNames ?? [];
    const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: t.roleName }))).AttachedPolicies ?? [];
    return [...inline, ...attached.map((p) => p.PolicyArn!)];
  }
  const inline = (await iam.send(new ListUserPoliciesCommand({ UserName: t.userName }))).PolicyNames ?? [];
  const attached = (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: t.userName }))).AttachedPolicies ?? [];
  return [...inline, ...attached.map((p) => p.PolicyArn!)];
}

/**
 * Builds the twin of an event's world without running the playbook (the trail as it was before the call), records the
 * trail's baseline as a Firebreak read a minute before the call would have, then makes the call in the emulator.
 */
async function trailWithBaseline(session: LocalSession, event: EventEnvelope, makeCall: (trail: string) => Promise<unknown>) {
  const built = await replayEvent(session, event, { execute: { crashAfter: 'Normalize' } });
  const t = built.credentialTwin as ApiCallTwin;
  const before = await readTrail(session.env.member.cloudtrail, t.trailName!);
  const readAt = new Date(Date.parse(event.time as string) - 60_000).toISOString();
  await storeBaseline(session.env.security.ddb, session.env.ledgerTable, before!.trailArn, {
    ...before!.config,
    readAt,
    caseId: 'earlier-case',
  });
  await makeCall(t.trailName!);
  return { t, injected: built.injected, trailArn: before!.trailArn };
}

const addDataEvents = (session: LocalSession) => (trail: string) =>
  session.env.member.cloudtrail.send(
    new PutEventSelectorsCommand({
      TrailName: trail,
      EventSelectors: [
        {
          ReadWriteType: 'All',
          IncludeManagementEvents: true,
          DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::mybucket/prefix', 'arn:aws:s3:::mybucket2/prefix2'] }],
        },
      ],
    }),
  );

/** Waits until a case has an unanswered approval request; returns its ID. */
async function pendingApproval(session: LocalSession): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const { Items } = await session.env.security.ddb.send(
      new ScanCommand({
        TableName: session.env.ledgerTable,
        FilterExpression: 'sk = :c AND attribute_exists(approval) AND playbook = :p',
        ExpressionAttributeValues: { ':c': 'CASE', ':p': 'cloudtrail-tamper' },
      }),
    );
    const found = (Items ?? []).find((c) => !c.approval.answer);
    if (found) return found.caseId as string;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no approval request appeared');
}

describe('cloudtrail-tamper judges the change (issue 14)', () => {
  const local = useLocalSession({
    environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0', FIREBREAK_TAMPER_AUTOMATION_PRINCIPALS: JSON.stringify([AUTOMATION]) },
    // An approval nobody answers times out after 8 s here (the entry's timeout action: notify).
    taskTokenTimeoutMs: 8000,
  });

  it('opens a notify-only case for PutEventSelectors that adds data events, and revokes nothing', async () => {
    const event = variant(ADD_DATA);
    const { t, injected, trailArn } = await trailWithBaseline(local.session, event, addDataEvents(local.session));
    const x = await local.session.runner.execute('cloudtrail-tamper', injected);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    expect(x.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    // Read back: no deny or revocation policy on the role, the trail as the call left it (data events on).
    expect(t.roleName).toMatch(/^OrganizationAccountAccessRole-/);
    expect(await actorPolicies(local.session, t)).toEqual([]);
    const selectors = await local.session.env.member.cloudtrail.send(new GetEventSelectorsCommand({ TrailName: t.trailName }));
    expect(selectors.EventSelectors?.[0].DataResources?.[0].Values).toEqual([
      'arn:aws:s3:::mybucket/prefix',
      'arn:aws:s3:::mybucket2/prefix2',
    ]);
    const { item, timeline } = await readCase(local.session.env, x.caseId!);
    expect(item?.status).toBe('NOTIFIED');
    expect(item?.decisions?.tamperJudgement).toMatchObject({ verdict: 'increases', reductions: [] });
    expect(timeline.find((e) => e.step === 'JudgeTrailChange')?.details).toMatchObject({ verdict: 'increases', route: 'notify' });
    expect(timeline.some((e) => e.step === 'RevokeActor' || e.step === 'RestoreLogging')).toBe(false);
    expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
    // Decide counted the case on the blast-radius breaker; judged harmless, it gave its place back (read from the ledger).
    for (const pk of [`BREAKER#account#${local.session.env.memberAccount}`, 'BREAKER#organization']) {
      const breaker = await local.session.env.security.ddb.send(
        new GetCommand({ TableName: local.session.env.ledgerTable, Key: { pk, sk: 'BREAKER' }, ConsistentRead: true }),
      );
      expect(breaker.Item?.version).toBeGreaterThan(0);
      expect(Object.keys(breaker.Item?.cases ?? {})).not.toContain(x.caseId);
    }
    // The trail's baseline is now what the judging case read (data events on), newer than the one it judged against.
    const baseline = await readBaseline(local.session.env.security.ddb, local.session.env.ledgerTable, trailArn);
    expect(baseline?.caseId).toBe(x.caseId);
    expect(baseline?.selectors.some((s) => s.conditions.some((c) => c.values.includes('arn:aws:s3:::mybucket/prefix')))).toBe(true);
  });

  it('contains PutEventSelectors that drops management events, as StopLogging is: the role revoked', async () => {
    const event = variant(ADD_DATA, (d) => {
      (d.requestParameters as Record<string, unknown>).eventSelectors = [
        { readWriteType: 'ReadOnly', includeManagementEvents: false, dataResources: [], excludeManagementEventSources: [] },
      ];
    });
    const { t, injected } = await trailWithBaseline(local.session, event, (trail) =>
      local.session.env.member.cloudtrail.send(
        new PutEventSelectorsCommand({
          TrailName: trail,
          EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: false, DataResources: [] }],
        }),
      ),
    );
    const x = await local.session.runner.execute('cloudtrail-tamper', injected);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(await actorPolicies(local.session, t)).toEqual(['FirebreakRevokeOlderSessions']);
    const { item, timeline } = await readCase(local.session.env, x.caseId!);
    expect(item?.status).toBe('CONTAINED');
    expect(timeline.find((e) => e.step === 'JudgeTrailChange')?.details).toMatchObject({
      verdict: 'reduces',
      route: 'contain',
      reductions: [expect.objectContaining({ kind: 'management-events-narrowed' })],
    });
  });

  it('contains UpdateTrail that moves the logs to another bucket', async () => {
    const event = variant(UPDATE_TRAIL);
    const { t, injected } = await trailWithBaseline(local.session, event, async (trail) => {
      await local.session.env.member.s3.send(new CreateBucketCommand({ Bucket: 'amzn-s3-demo-bucket' }));
      return local.session.env.member.cloudtrail.send(new UpdateTrailCommand({ Name: trail, S3BucketName: 'amzn-s3-demo-bucket' }));
    });
    const x = await local.session.runner.execute('cloudtrail-tamper', injected);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(await actorPolicies(local.session, t)).toEqual(['arn:aws:iam::aws:policy/AWSDenyAll']);
    const { timeline } = await readCase(local.session.env, x.caseId!);
    expect(timeline.find((e) => e.step === 'JudgeTrailChange')?.details).toMatchObject({
      verdict: 'reduces',
      reductions: [expect.objectContaining({ kind: 'destination-changed' })],
    });
  });

  it('asks a person when the trail was never read before, and revokes nothing while nobody answers', async () => {
    const published: { Message: string; MessageStructure?: string }[] = [];
    const remove = registerSdkInterceptor({
      before: (call) => {
        if (call.operation === 'SNS.Publish') published.push(call.input as unknown as (typeof published)[number]);
      },
    });
    const { report, credentialTwin } = await replayEvent(local.session, variant(ADD_DATA)).finally(remove);
    const x = report.executions[0];
    // The approval page and its card say what a tamper case does (restore logging, revoke the actor), not "contained".
    const [page] = (await readNotifications(local.session.env)).filter((n) => n.caseId === x.caseId && n.kind === 'approval-request');
    expect(page.body).toMatch(/waits for approval before restoring logging on \S+ in \d{12}\/[a-z0-9-]+ and revoking the change's actor/);
    expect(page.body).toMatch(/the case is notify-only\./);
    expect(page.body).not.toMatch(/before containing|case is contained/);
    const asked = published.find((p) => p.MessageStructure === 'json' && p.Message.includes('approval-request'))!;
    const card = ChatbotNotificationSchema.parse(JSON.parse((JSON.parse(asked.Message) as { https: string }).https));
    expect(card.content.description).toContain("Waits for approval before restoring logging and revoking the change's actor");
    expect(card.content.description).toMatch(/then notify-only\./);
    expect(card.content.description).not.toMatch(/contained/);
    const t = credentialTwin as ApiCallTwin;
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    expect(await actorPolicies(local.session, t)).toEqual([]);
    const { item, timeline } = await readCase(local.session.env, x.caseId!);
    expect(timeline.find((e) => e.step === 'JudgeTrailChange')?.details).toMatchObject({
      verdict: 'unknown',
      route: 'approval',
      baselineFound: false,
      unknowns: [expect.objectContaining({ kind: 'prior-configuration-unknown' })],
    });
    expect(item?.approval?.answer).toMatchObject({ decision: 'timeout', action: 'notify' });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    expect(timeline.some((e) => e.step === 'RevokeActor' || e.step === 'RestoreLogging')).toBe(false);
  });

  it('contains an unknown change once a person approves, and only then', async () => {
    const running = replayEvent(local.session, variant(ADD_DATA));
    const caseId = await pendingApproval(local.session);
    const { item: waitingCase, timeline: waiting } = await readCase(local.session.env, caseId);
    expect(waiting.find((e) => e.step === 'JudgeTrailChange')?.details).toMatchObject({ verdict: 'unknown', route: 'approval' });
    // Waiting: the role read back from IAM has no revocation policy yet.
    const roleName = (waitingCase?.incident.resource as { actor: { roleName: string } }).actor.roleName;
    expect(roleName).toMatch(/^OrganizationAccountAccessRole-/);
    expect((await local.session.env.member.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames).toEqual([]);
    const approved = await cli(['approve', caseId, '--reason', 'not a planned change', '--endpoint', local.session.sfn.endpoint]);
    expect(approved.code).toBe(0);
    const { report, credentialTwin } = await running;
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    expect(await actorPolicies(local.session, credentialTwin as ApiCallTwin)).toEqual(['FirebreakRevokeOlderSessions']);
    const { timeline } = await readCase(local.session.env, caseId);
    expect(timeline.filter((e) => e.step === 'JudgeTrailChange').map((e) => e.details?.route)).toEqual(['approval', 'contain']);
  });

  it('restores logging for a known automation principal and notifies, revoking nothing', async () => {
    const event = variant(ADD_DATA, (d) => {
      Object.assign(d, { eventName: 'StopLogging', requestParameters: { name: 'org-trail' } });
      const u = d.userIdentity as { arn: string; sessionContext: { sessionIssuer: { arn: string; userName: string } } };
      u.arn = 'arn:aws:sts::111111111111:assumed-role/terraform-deployer/pipeline';
      u.sessionContext.sessionIssuer.userName = 'terraform-deployer';
      u.sessionContext.sessionIssuer.arn = 'arn:aws:iam::111111111111:role/terraform-deployer';
    });
    const { report, credentialTwin } = await replayEvent(local.session, event);
    const x = report.executions[0];
    const t = credentialTwin as ApiCallTwin;
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const status = await local.session.env.member.cloudtrail.send(new GetTrailStatusCommand({ Name: t.trailName }));
    expect(status.IsLogging).toBe(true);
    expect(t.roleName).toMatch(/^terraform-deployer-/);
    expect(await actorPolicies(local.session, t)).toEqual([]);
    const { timeline } = await readCase(local.session.env, x.caseId!);
    expect(timeline.find((e) => e.step === 'JudgeTrailChange')?.details).toMatchObject({
      verdict: 'reduces',
      route: 'restore',
      automationPrincipal: AUTOMATION,
    });
    expect(timeline.some((e) => e.step === 'RevokeActor')).toBe(false);
    expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['actor-not-revoked', 'trail-logging-again']));
  });

  it('routes a re-run after a crash right after JudgeTrailChange as the first run did, though the baseline moved on', async () => {
    const event = variant(ADD_DATA);
    const { t, injected, trailArn } = await trailWithBaseline(local.session, event, addDataEvents(local.session));
    const crashed = await local.session.runner.execute('cloudtrail-tamper', injected, { crashAfter: 'JudgeTrailChange' });
    expect(crashed.status).toBe('CRASHED');
    // The crashed run stored what it read as the trail's baseline: judged again against it, the call would look unchanged.
    expect((await readBaseline(local.session.env.security.ddb, local.session.env.ledgerTable, trailArn))?.caseId).toBe(crashed.caseId);
    const rerun = await local.session.runner.execute('cloudtrail-tamper', injected);
    expect(rerun).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED', caseId: crashed.caseId });
    expect(await actorPolicies(local.session, t)).toEqual([]);
    const { timeline } = await readCase(local.session.env, crashed.caseId!);
    const judged = timeline.filter((e) => e.step === 'JudgeTrailChange').map((e) => [e.details?.verdict, e.details?.route]);
    expect(judged).toEqual([
      ['increases', 'notify'],
      ['increases', 'notify'],
    ]);
  });

  it('plans, in a dry run, what the judgement would route to: StopLogging contained, the added data events nothing', async () => {
    const dryRun = async (event: EventEnvelope) => {
      const built = await replayEvent(local.session, event, { execute: { crashAfter: 'Normalize' } });
      const x = await local.session.runner.execute('cloudtrail-tamper', { firebreak: { dryRun: true }, event: built.injected });
      expect(x).toMatchObject({ status: 'DRY_RUN' });
      expect(x.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
      return x.output?.plan as { actions: { operation: string }[]; affected?: string };
    };
    const stop = await dryRun(variant(STOP_LOGGING));
    expect(stop.actions.map((a) => a.operation)).toEqual(
      expect.arrayContaining(['CloudTrail.StartLogging', 'IAM.UpdateAccessKey', 'IAM.AttachUserPolicy']),
    );
    const add = await dryRun(variant(ADD_DATA));
    expect(add.actions).toEqual([]);
    expect(add.affected).toMatch(/^JudgeTrailChange decides with the trail's baseline/);
  });

  it("contains DeleteTrail and marks the trail's baseline gone, so that a trail re-created under its name starts without one", async () => {
    const { t, trailArn } = await trailWithBaseline(local.session, variant(STOP_LOGGING), (trail) =>
      local.session.env.member.cloudtrail.send(new DeleteTrailCommand({ Name: trail })),
    );
    const deleted = variant(STOP_LOGGING, (d) => {
      d.eventName = 'DeleteTrail';
    });
    const { report } = await replayEvent(local.session, deleted, { credentialTwin: t });
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(await actorPolicies(local.session, t)).toEqual(['arn:aws:iam::aws:policy/AWSDenyAll']);
    const baseline = await readBaseline(local.session.env.security.ddb, local.session.env.ledgerTable, trailArn);
    expect(baseline).toMatchObject({ gone: true, caseId: report.executions[0].caseId, selectors: [] });
  });

  it('still contains a StopLogging by an IAM user, which no automation entry names', async () => {
    const event = variant(STOP_LOGGING);
    const { report, credentialTwin } = await replayEvent(local.session, event);
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(await actorPolicies(local.session, credentialTwin as ApiCallTwin)).toEqual(['arn:aws:iam::aws:policy/AWSDenyAll']);
  });
});

describe("cloudtrail-tamper judgement under concurrency (the deployment's claim lease)", () => {
  const concurrent = useLocalSession();

  it('converges on one notify-only case when the same increase is run twice at once', async () => {
    const event = variant(ADD_DATA);
    const { t, injected } = await trailWithBaseline(concurrent.session, event, addDataEvents(concurrent.session));
    const runs = await Promise.all([0, 1].map(() => concurrent.session.runner.execute('cloudtrail-tamper', injected)));
    const caseIds = new Set(runs.map((x) => x.caseId));
    expect(caseIds.size).toBe(1);
    expect(runs.map((x) => x.outcome ?? x.status).sort()).toEqual(['ALREADY_HANDLED', 'NOTIFIED']);
    expect(await actorPolicies(concurrent.session, t)).toEqual([]);
    const { item, timeline } = await readCase(concurrent.session.env, runs[0].caseId!);
    expect(item?.decisions?.tamperJudgement).toMatchObject({ verdict: 'increases' });
    expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
  });
});
