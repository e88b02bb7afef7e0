import { GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { DeleteAccessKeyCommand, DeleteUserCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { awsDenyAllPolicyArn } from '../../lib/runtime/iam/policies';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import type { ApiCallTwin } from '../../lib/harness/local/api-call-twin';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

const STOP_LOGGING = 'fixtures/events/cloudtrail-stoplogging.json';
const ROOT_SIGNIN = 'fixtures/events/signin-root-console-login.json';

let serial = 0;
/** The fixture with its own CloudTrail event ID (each CloudTrail event is its own case), changed as given. */
function variant(
  file: string,
  change: (e: Record<string, unknown> & { detail: Record<string, unknown> }) => void = () => undefined,
): EventEnvelope {
  const e = JSON.parse(JSON.stringify(readEventFile(file)));
  e.detail.eventID = `${e.detail.eventID}-${++serial}`;
  change(e);
  return e;
}

async function actorState(session: LocalSession, t: ApiCallTwin) {
  const iam = session.env.member.iam;
  const keys = (await iam.send(new ListAccessKeysCommand({ UserName: t.userName }))).AccessKeyMetadata ?? [];
  const attached = ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: t.userName }))).AttachedPolicies ?? []).map(
    (p) => p.PolicyArn!,
  );
  return {
    eventKey: keys.find((k) => k.AccessKeyId === t.accessKeyId)?.Status,
    otherKey: keys.find((k) => k.AccessKeyId === t.otherAccessKeyId)?.Status,
    denyAll: attached.includes(awsDenyAllPolicyArn()),
  };
}

/** Sets a case's claim lease to the past, as if its execution had died long ago. */
async function expireClaim(session: LocalSession, caseId: string) {
  const { Items } = await session.env.security.ddb.send(
    new ScanCommand({
      TableName: session.env.ledgerTable,
      FilterExpression: 'caseId = :c AND sk = :s',
      ExpressionAttributeValues: { ':c': caseId, ':s': 'CLAIM' },
    }),
  );
  for (const claim of Items ?? []) {
    await session.env.security.ddb.send(
      new UpdateCommand({
        TableName: session.env.ledgerTable,
        Key: { pk: claim.pk, sk: 'CLAIM' },
        UpdateExpression: 'SET leaseExpiresAt = :t',
        ExpressionAttributeValues: { ':t': '2000-01-01T00:00:00.000Z' },
      }),
    );
  }
}

async function logging(session: LocalSession, trail: string) {
  return (await session.env.member.cloudtrail.send(new GetTrailStatusCommand({ Name: trail }))).IsLogging;
}

describe('cloudtrail-tamper playbook', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });

  it("restarts a stopped trail and revokes the actor's key and user", async () => {
    const { report, credentialTwin } = await replayEvent(local.session, readEventFile(STOP_LOGGING));
    const t = credentialTwin as ApiCallTwin;
    expect(report.routing.matched).toEqual(['firebreak-cloudtrail-tamper-trail']);
    expect(report.executions[0]).toMatchObject({ playbook: 'cloudtrail-tamper', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(await logging(local.session, t.trailName!)).toBe(true);
    expect(await actorState(local.session, t)).toEqual({ eventKey: 'Inactive', otherKey: 'Active', denyAll: true });
    const { item } = await readCase(local.session.env, report.executions[0].caseId!);
    expect(item?.status).toBe('CONTAINED');
    expect((item?.evidence?.tamper as { requestParameters: { name: string } }).requestParameters.name).toContain(t.trailName!);
  });

  it('treats a replay of the same event as already handled and changes nothing', async () => {
    const event = variant(STOP_LOGGING);
    const first = await replayEvent(local.session, event);
    const t = first.credentialTwin as ApiCallTwin;
    const before = await actorState(local.session, t);
    const second = await replayEvent(local.session, event, { credentialTwin: t });
    expect(second.report.executions[0].status).toBe('ALREADY_HANDLED');
    expect(second.report.apiCalls.byOperation['CloudTrail.StartLogging'] ?? 0).toBe(0);
    expect(await actorState(local.session, t)).toEqual(before);
  });

  it('does not respond to a failed call (errorCode present)', async () => {
    const { report, credentialTwin } = await replayEvent(
      local.session,
      variant(STOP_LOGGING, (e) => {
        e.detail.errorCode = 'AccessDenied';
      }),
    );
    expect(report.routing.matched).toEqual([]);
    expect(await logging(local.session, (credentialTwin as ApiCallTwin).trailName!)).toBe(false);
    expect(await actorState(local.session, credentialTwin as ApiCallTwin)).toEqual({
      eventKey: 'Active',
      otherKey: 'Active',
      denyAll: false,
    });
  });

  it('does not fail on a deleted trail, records it and still revokes the actor', async () => {
    const { report, credentialTwin } = await replayEvent(
      local.session,
      variant(STOP_LOGGING, (e) => {
        e.detail.eventName = 'DeleteTrail';
      }),
    );
    const x = report.executions[0];
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(x.steps.find((s) => s.name === 'RestoreLogging')?.status).toBe('SUCCEEDED');
    expect(await actorState(local.session, credentialTwin as ApiCallTwin)).toEqual({
      eventKey: 'Inactive',
      otherKey: 'Active',
      denyAll: true,
    });
    expect(report.apiCalls.byOperation['CloudTrail.StartLogging'] ?? 0).toBe(0);
  });

  it('ends with ResourceGone when the actor no longer exists, after restarting the trail', async () => {
    const built = await replayEvent(local.session, variant(STOP_LOGGING), { execute: { crashAfter: 'Normalize' } });
    const t = built.credentialTwin as ApiCallTwin;
    const iam = local.session.env.member.iam;
    for (const k of [t.accessKeyId, t.otherAccessKeyId])
      await iam.send(new DeleteAccessKeyCommand({ UserName: t.userName, AccessKeyId: k }));
    await iam.send(new DeleteUserCommand({ UserName: t.userName }));
    const x = await local.session.runner.execute('cloudtrail-tamper', built.injected);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'RESOURCE_GONE' });
    expect(x.steps.find((s) => s.name === 'RevokeActor')?.invocations).toBe(1);
    expect(await logging(local.session, t.trailName!)).toBe(true);
    expect((await readCase(local.session.env, x.caseId!)).item?.status).toBe('RESOURCE_GONE');
  });

  it.each(['Claim', 'JudgeTrailChange', 'RestoreLogging', 'RevokeActor', 'VerifyTamperResponse', 'Notify', 'CloseCase'])(
    'ends as an uninterrupted run after a crash right after %s',
    async (step) => {
      const crashed = await replayEvent(local.session, variant(STOP_LOGGING), { execute: { crashAfter: step } });
      expect(crashed.executions[0].status).toBe('CRASHED');
      const rerun = await local.session.runner.execute('cloudtrail-tamper', crashed.injected);
      expect(rerun.status).toBe(step === 'CloseCase' ? 'ALREADY_HANDLED' : 'SUCCEEDED');
      const t = crashed.credentialTwin as ApiCallTwin;
      expect(await logging(local.session, t.trailName!)).toBe(true);
      expect(await actorState(local.session, t)).toEqual({ eventKey: 'Inactive', otherKey: 'Active', denyAll: true });
      const { item, timeline } = await readCase(local.session.env, crashed.executions[0].caseId!);
      expect(item?.status).toBe('CONTAINED');
      expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
    },
  );
});

describe('root-activity playbook', () => {
  const local = useLocalSession();

  it('opens a notify-only case for a root console sign-in with no change in the member account', async () => {
    const { report } = await replayEvent(local.session, readEventFile(ROOT_SIGNIN));
    expect(report.routing.matched).toEqual(['firebreak-root-activity-console']);
    const x = report.executions[0];
    expect(x).toMatchObject({ playbook: 'root-activity', status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    const memberMutations = report.checks.find((c) => c.name === 'no-member-mutations');
    expect(memberMutations?.passed).toBe(true);
    expect(report.apiCalls.mutatingInMemberAccount).toBe(0);
    expect(report.apiCalls.byOperation['SNS.Publish']).toBe(1);
    expect((await readCase(local.session.env, x.caseId!)).item?.status).toBe('NOTIFIED');
    const again = await replayEvent(local.session, readEventFile(ROOT_SIGNIN));
    expect(again.report.executions[0].status).toBe('ALREADY_HANDLED');
  });

  it.each(['Claim', 'NotifyOnly', 'CloseNotified'])('ends as an uninterrupted run after a crash right after %s', async (step) => {
    const event = variant(ROOT_SIGNIN);
    const crashed = await replayEvent(local.session, event, { execute: { crashAfter: step } });
    expect(crashed.executions[0].status).toBe('CRASHED');
    // The claim lease (900 s by default) keeps other executions off a crashed case until it expires; expire it.
    await expireClaim(local.session, crashed.executions[0].caseId!);
    const rerun = await local.session.runner.execute('root-activity', crashed.injected);
    expect(rerun.status).toBe(step === 'CloseNotified' ? 'ALREADY_HANDLED' : 'SUCCEEDED');
    const { item, timeline } = await readCase(local.session.env, crashed.executions[0].caseId!);
    expect(item?.status).toBe('NOTIFIED');
    expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
    expect(rerun.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
  });

  it('routes a root CreateAccessKey to a notify-only case and a non-root sign-in to nothing', async () => {
    const createKey = variant(ROOT_SIGNIN, (e) => {
      e.source = 'aws.iam';
      e['detail-type'] = 'AWS API Call via CloudTrail';
      Object.assign(e.detail, { eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', eventID: 'root-create-key-1' });
    });
    const created = await replayEvent(local.session, createKey);
    expect(created.report.routing.matched).toEqual(['firebreak-root-activity-access-key']);
    expect(created.report.executions[0].outcome).toBe('NOTIFIED');
    const user = variant(ROOT_SIGNIN, (e) => {
      (e.detail.userIdentity as Record<string, unknown>).type = 'IAMUser';
    });
    expect((await replayEvent(local.session, user)).report.routing.matched).toEqual([]);
  });
});
