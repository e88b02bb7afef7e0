import { CloudTrailClient, DeleteTrailCommand, GetEventSelectorsCommand, PutEventSelectorsCommand } from '@aws-sdk/client-cloudtrail';
import { ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import type { ApiCallTwin } from '../../lib/harness/local/api-call-twin';
import { readBaseline, readTrail, storeBaseline } from '../../lib/runtime/playbook/cloudtrail-tamper/baseline';
import {
  recordTrailBaselines,
  recordTrailBaselinesStep,
  SWEEP_CONCURRENCY,
  SWEEP_READER,
  TRAIL_BASELINES_INCOMPLETE,
} from '../../lib/runtime/playbook/cloudtrail-tamper/record-trail-baselines';
import type { StepDeps } from '../../lib/runtime/playbook/deps-base';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * Issue 14, the proactive tamper baseline: record-trail-baselines reads every trail of the member accounts before any
 * change, so that the first change Firebreak sees on a trail is judged against a configuration it read, with no baseline
 * seeded by hand. Everything read back from the emulator (the trail, the actor's role) and the ledger (case, baseline).
 */

const ADD_DATA = 'fixtures/events/cloudtrail-puteventselectors-add-data.json';
const UNREACHABLE = '333333333333';

let serial = 0;
/** The fixture as a new CloudTrail event made now (its own event ID). */
function fresh(e: EventEnvelope): EventEnvelope {
  const out = JSON.parse(JSON.stringify(e)) as EventEnvelope & { detail: Record<string, unknown> };
  out.detail.eventID = `${String(out.detail.eventID)}-baselined-${++serial}`;
  out.time = out.detail.eventTime = new Date().toISOString();
  return out;
}

/** The stack's "CloudFormation Stack Status Change" after a deployment, as EventBridge delivers it (the local stack's ID). */
function deployed(session: LocalSession): EventEnvelope {
  return {
    version: '0',
    id: `deployed-${++serial}`,
    'detail-type': 'CloudFormation Stack Status Change',
    source: 'aws.cloudformation',
    account: session.env.securityAccount,
    time: new Date().toISOString(),
    region: session.env.region,
    resources: [],
    detail: {
      'stack-id': `arn:aws:cloudformation:${session.env.region}:${session.env.securityAccount}:stack/FirebreakSecurity/local`,
      'status-details': { status: 'UPDATE_COMPLETE', 'status-reason': '' },
    },
  } as unknown as EventEnvelope;
}

/** Delivers the deployment event to the default bus: the rules it matches invoke their functions, as EventBridge would. */
async function runAfterDeployment(session: LocalSession): Promise<unknown[]> {
  const event = deployed(session);
  const routed = await session.router.route(event, 'default');
  expect(routed.functions).toHaveLength(1);
  return Promise.all(routed.functions.map((id) => session.runner.invokeFunction(id, event)));
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('record-trail-baselines (issue 14)', () => {
  // An approval nobody answers times out after 8 s here: a case judged without a baseline fails this file quickly.
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' }, taskTokenTimeoutMs: 8000 });

  it('baselines a member trail after deployment, so PutEventSelectors adding data events is notify-only with nothing revoked', async () => {
    const s = local.session;
    // The member account's world: the trail (and the actor) the fixture names, as they were before the call.
    const built = await replayEvent(s, fresh(readEventFile(ADD_DATA) as EventEnvelope), { execute: { crashAfter: 'Normalize' } });
    const t = built.credentialTwin as ApiCallTwin;
    const [result] = (await runAfterDeployment(s)) as { outcomes: { account: string; status: string; baselined: string[] }[] }[];
    const outcome = result.outcomes.find((o) => o.account === s.env.memberAccount);
    expect(outcome?.status).toBe('baselined');
    const trailArn = outcome!.baselined.find((a) => a.endsWith(`:trail/${t.trailName}`))!;
    expect((await readBaseline(s.env.security.ddb, s.env.ledgerTable, trailArn))?.caseId).toBe(SWEEP_READER);
    // The call comes after the read (a baseline counts only when read over a second before the call).
    await pause(1100);
    await s.env.member.cloudtrail.send(
      new PutEventSelectorsCommand({
        TrailName: t.trailName,
        EventSelectors: [
          {
            ReadWriteType: 'All',
            IncludeManagementEvents: true,
            DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::mybucket/prefix', 'arn:aws:s3:::mybucket2/prefix2'] }],
          },
        ],
      }),
    );
    const x = await s.runner.execute('cloudtrail-tamper', fresh(built.injected));
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    expect(x.calls.filter((c) => c.mutating && c.account === s.env.memberAccount)).toEqual([]);
    // Read back: nothing on the role, the trail as the call left it, the case notify-only with the judgement "increases".
    const iam = s.env.member.iam;
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: t.roleName }))).PolicyNames).toEqual([]);
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: t.roleName }))).AttachedPolicies).toEqual([]);
    const selectors = await s.env.member.cloudtrail.send(new GetEventSelectorsCommand({ TrailName: t.trailName }));
    expect(selectors.EventSelectors?.[0].DataResources?.[0].Values).toEqual([
      'arn:aws:s3:::mybucket/prefix',
      'arn:aws:s3:::mybucket2/prefix2',
    ]);
    const { item, timeline } = await readCase(s.env, x.caseId!);
    expect(item?.status).toBe('NOTIFIED');
    expect(timeline.find((e) => e.step === 'JudgeTrailChange')?.details).toMatchObject({
      verdict: 'increases',
      route: 'notify',
      baselineFound: true,
    });
    expect(timeline.some((e) => e.step === 'RevokeActor' || e.step === 'RestoreLogging')).toBe(false);
  });

  it('marks the baseline of a trail the member deleted gone on the next run', async () => {
    const s = local.session;
    const built = await replayEvent(s, fresh(readEventFile(ADD_DATA) as EventEnvelope), { execute: { crashAfter: 'Normalize' } });
    const t = built.credentialTwin as ApiCallTwin;
    const [first] = (await runAfterDeployment(s)) as { outcomes: { baselined: string[] }[] }[];
    const trailArn = first.outcomes[0].baselined.find((a) => a.endsWith(`:trail/${t.trailName}`))!;
    await s.env.member.cloudtrail.send(new DeleteTrailCommand({ Name: t.trailName }));
    const [second] = (await runAfterDeployment(s)) as { outcomes: { status: string; gone: string[] }[] }[];
    expect(second.outcomes[0]).toMatchObject({ status: 'baselined', gone: expect.arrayContaining([trailArn]) });
    expect(await readBaseline(s.env.security.ddb, s.env.ledgerTable, trailArn)).toMatchObject({
      gone: true,
      caseId: SWEEP_READER,
      selectors: [],
    });
  });

  it('converges when run twice at once, and never replaces a newer read of a case with an older one of its own', async () => {
    const s = local.session;
    const built = await replayEvent(s, fresh(readEventFile(ADD_DATA) as EventEnvelope), { execute: { crashAfter: 'Normalize' } });
    const t = built.credentialTwin as ApiCallTwin;
    const targets = [{ account: s.env.memberAccount, region: s.env.region }];
    const deps = { ddb: s.env.security.ddb, table: s.env.ledgerTable, cloudtrailOf: () => s.env.member.cloudtrail, now: () => new Date() };
    const runs = await Promise.all([recordTrailBaselines(targets, deps), recordTrailBaselines(targets, deps)]);
    expect(runs.map((r) => r.unreachable)).toEqual([[], []]);
    expect(runs[0].outcomes).toEqual(runs[1].outcomes);
    const trail = (await readTrail(s.env.member.cloudtrail, t.trailName!))!;
    const stored = await readBaseline(s.env.security.ddb, s.env.ledgerTable, trail.trailArn);
    expect(stored).toMatchObject({ caseId: SWEEP_READER, settings: trail.config.settings, selectors: trail.config.selectors });
    // A case read the trail after the runs: a run whose reads end earlier (a slow run) leaves the case's read in place.
    const caseRead = new Date(Date.parse(stored!.readAt) + 60_000);
    await storeBaseline(s.env.security.ddb, s.env.ledgerTable, trail.trailArn, {
      ...trail.config,
      readAt: caseRead.toISOString(),
      caseId: 'a-case',
    });
    await recordTrailBaselines(targets, { ...deps, now: () => new Date(caseRead.getTime() - 1000) });
    expect((await readBaseline(s.env.security.ddb, s.env.ledgerTable, trail.trailArn))?.caseId).toBe('a-case');
  });

  it('baselines the reachable accounts when one cannot be reached, and fails the run naming that account', async () => {
    const s = local.session;
    const built = await replayEvent(s, fresh(readEventFile(ADD_DATA) as EventEnvelope), { execute: { crashAfter: 'Normalize' } });
    const t = built.credentialTwin as ApiCallTwin;
    // The account whose role cannot be assumed: its credentials fail as STS AssumeRole refuses an untrusted caller.
    const refused = new CloudTrailClient({
      region: s.env.region,
      endpoint: s.env.endpoint,
      maxAttempts: 1,
      credentials: () =>
        Promise.reject(Object.assign(new Error(`not authorized to assume a role in ${UNREACHABLE}`), { name: 'AccessDenied' })),
    });
    const cloudtrailOf = (account: string) => (account === UNREACHABLE ? refused : s.env.member.cloudtrail);
    const deps = {
      config: { memberAccountIds: [UNREACHABLE, s.env.memberAccount], region: s.env.region, ledgerTable: s.env.ledgerTable },
      clients: { security: () => ({ ddb: s.env.security.ddb }), member: (account: string) => ({ cloudtrail: cloudtrailOf(account) }) },
      now: () => new Date(),
    } as unknown as StepDeps;
    const run = recordTrailBaselinesStep({}, deps);
    await expect(run).rejects.toMatchObject({ name: 'FirebreakError' });
    await expect(run).rejects.toThrow(new RegExp(`^${TRAIL_BASELINES_INCOMPLETE}: ${UNREACHABLE}/${s.env.region} \\(AccessDenied: `));
    // The reachable account was baselined all the same: its trail's baseline, read back from the ledger, is this run's.
    // More accounts than are read at once: every one gets its outcome, in order (the others answer as the member does).
    const accounts = [UNREACHABLE, ...Array.from({ length: SWEEP_CONCURRENCY + 2 }, (_, i) => `4444444444${String(i).padStart(2, '0')}`)];
    const result = await recordTrailBaselines(
      [...accounts, s.env.memberAccount].map((account) => ({ account, region: s.env.region })),
      {
        ddb: s.env.security.ddb,
        table: s.env.ledgerTable,
        cloudtrailOf,
        now: () => new Date(),
      },
    );
    expect(result.outcomes.map((o) => [o.account, o.status])).toEqual([
      [UNREACHABLE, 'unreachable'],
      ...[...accounts.slice(1), s.env.memberAccount].map((a) => [a, 'baselined']),
    ]);
    expect(result.unreachable).toEqual([`${UNREACHABLE}/${s.env.region}`]);
    const member = result.outcomes.find((o) => o.account === s.env.memberAccount);
    expect(member?.status).toBe('baselined');
    const trailArn = (member as { baselined: string[] }).baselined.find((a) => a.endsWith(`:trail/${t.trailName}`))!;
    expect(await readBaseline(s.env.security.ddb, s.env.ledgerTable, trailArn)).toMatchObject({ caseId: SWEEP_READER });
  });
});
