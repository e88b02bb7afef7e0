import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ListAccessKeysCommand, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import { claimKey } from '../../lib/runtime/ledger/ledger';
import { useLocalSession } from '../support/local';
import { readCase, readContainment } from '../support/read-back';

/**
 * Shadow mode (catalog mode `shadow`, issue 14): a real-format High finding of a shadow entry runs the plan on the
 * deployed state machine (read calls in the member account), and the case is recorded in the ledger, closed SHADOW
 * with the plan, without a single mutating call in the member account and without a notification. Everything is read
 * back from the emulator: the API-call record the runner keeps, the instance and the principal, the ledger, the topic's
 * queue.
 */

/** A recorded finding with a fresh ID (a new finding each time) and a High severity. */
function finding(file: string): EventEnvelope {
  const e = JSON.parse(JSON.stringify(readEventFile(file)));
  e.detail.id = `shadow-${Math.random().toString(16).slice(2)}`;
  e.detail.severity = 8;
  return e;
}

/** The ledger's claim on a resource. */
async function claimOf(session: LocalSession, playbook: string, resourceId: string) {
  const key = claimKey({ playbook, account: session.env.memberAccount, region: session.env.region, resource: { id: resourceId } });
  return (await session.env.security.ddb.send(new GetCommand({ TableName: session.env.ledgerTable, Key: { pk: key, sk: 'CLAIM' } }))).Item;
}

describe('shadow mode: the plan recorded on a case, nothing changed, nobody notified', () => {
  const local = useLocalSession({
    environment: {
      FIREBREAK_CATALOG_OVERRIDES: JSON.stringify({
        'ec2-compromise-high': { mode: 'shadow' },
        'credential-compromise-high': { mode: 'shadow' },
      }),
    },
  });

  it('ec2-compromise: a High finding is planned on a SHADOW case with zero mutating calls in the member account', async () => {
    const { session } = local;
    const { report, twin, executions } = await replayEvent(session, finding('fixtures/events/guardduty-ec2-bitcoin-dns.json'));
    const x = executions[0];
    expect(x).toMatchObject({ playbook: 'ec2-compromise', status: 'SUCCEEDED', outcome: 'SHADOW' });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    expect(report.response).toBe(`shadow: planned and recorded, nothing changed, nobody notified (ec2-compromise, case ${x.caseId})`);
    // The runner's record of every AWS call: none that changes anything in the member account, and reads there (the plan).
    const member = x.calls.filter((c) => c.account === session.env.memberAccount);
    expect(member.filter((c) => c.mutating).map((c) => c.operation)).toEqual([]);
    expect(member.some((c) => c.operation === 'EC2.DescribeInstances')).toBe(true);
    expect(report.apiCalls.mutatingInMemberAccount).toBe(0);
    // Triage's shadow decision took the Claim path, never Contain.
    expect(x.calls.some((c) => c.operation.startsWith('EC2.Modify') || c.operation === 'EC2.CreateSecurityGroup')).toBe(false);

    // The instance as the emulator has it: untouched.
    const state = await readContainment(session.env, twin!.instanceId, twin!.vpcId);
    expect(state.firebreakGroups).toEqual([]);
    expect(state.terminationProtection).toBe(false);

    // The ledger: the case closed SHADOW, its claim freed, the plan and the decision on its timeline.
    const { item, timeline } = await readCase(session.env, x.caseId!);
    expect(item).toMatchObject({ status: 'SHADOW', resourceId: twin!.instanceId, playbook: 'ec2-compromise' });
    expect((await claimOf(session, 'ec2-compromise', twin!.instanceId))?.status).toBe('SHADOW');
    const closed = timeline.find((t) => t.step === 'CloseCase');
    expect(closed).toMatchObject({ status: 'SUCCEEDED', details: { status: 'SHADOW', decision: { action: 'shadow' } } });
    const operations = (closed!.details.plan.actions as { operation: string }[]).map((a) => a.operation);
    expect(operations).toEqual(expect.arrayContaining(['EC2.ModifyNetworkInterfaceAttribute', 'EC2.CreateSnapshots']));
    expect(timeline.find((t) => t.step === 'Claim')).toMatchObject({ status: 'SUCCEEDED', details: { outcome: 'CLAIMED' } });

    // Nobody was notified of it.
    expect((await readNotifications(session.env)).filter((n) => n.caseId === x.caseId)).toEqual([]);

    // A new finding on the same instance is judged afresh: a new SHADOW case, not attached to the closed one.
    const again = (await replayEvent(session, finding('fixtures/events/guardduty-ec2-bitcoin-dns.json'), { twin })).executions[0];
    expect(again).toMatchObject({ status: 'SUCCEEDED', outcome: 'SHADOW' });
    expect(again.caseId).not.toBe(x.caseId);
    expect(again.calls.filter((c) => c.mutating && c.account === session.env.memberAccount)).toEqual([]);
  });

  it('credential-compromise: a High finding is planned, the key stays active, the case is SHADOW and unnotified', async () => {
    const { session } = local;
    const { report, credentialTwin, executions } = await replayEvent(session, finding('fixtures/events/guardduty-iamuser-anomalous.json'));
    const x = executions[0];
    expect(x).toMatchObject({ playbook: 'credential-compromise', status: 'SUCCEEDED', outcome: 'SHADOW' });
    expect(report.apiCalls.mutatingInMemberAccount).toBe(0);
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const iam = session.env.member.iam;
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: credentialTwin!.userName }))).AccessKeyMetadata ?? [];
    expect(keys.find((k) => k.AccessKeyId === credentialTwin!.accessKeyId)?.Status).toBe('Active');
    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: credentialTwin!.userName }))).AttachedPolicies ?? []).toEqual(
      [],
    );
    const { item, timeline } = await readCase(session.env, x.caseId!);
    expect(item?.status).toBe('SHADOW');
    const closed = timeline.find((t) => t.step === 'CloseCase');
    expect(closed?.details.plan.actions.length).toBeGreaterThan(0);
    expect((await readNotifications(session.env)).filter((n) => n.caseId === x.caseId)).toEqual([]);
  });
});
