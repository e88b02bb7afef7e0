import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import { SUPPRESSION_PK } from '../../lib/runtime/brakes/suppression-rules';
import { claimKey } from '../../lib/runtime/ledger/ledger';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';
import { readCase, readContainment } from '../support/read-back';

/**
 * Suppression (issue 14, item 5), on the emulator: a rule added with `firebreak suppress add` turns a matching finding
 * into a recorded case closed SUPPRESSED, with the rule on its timeline, no notification (the topic's queue read back)
 * and no change (the runner's API-call record, and the instance or the key read back); a rule past its expiry no longer
 * applies, and the same finding is then contained. Each rule is removed (or expired) by the test that added it.
 */

const EC2 = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
const USER = 'fixtures/events/guardduty-iamuser-anomalous.json';

/** A recorded finding with a fresh ID and the given severity. */
function finding(file: string, severity: number): EventEnvelope {
  const e = JSON.parse(JSON.stringify(readEventFile(file)));
  e.detail.id = `suppression-${Math.random().toString(16).slice(2)}`;
  e.detail.severity = severity;
  return e;
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe('suppression rules: a matching finding is a recorded, unnotified case that changes nothing', () => {
  const local = useLocalSession();
  const endpoint = () => ['--endpoint', local.session.sfn.endpoint];

  /** `suppress add` through the CLI; the new rule's ID. */
  async function addRule(args: string[]): Promise<string> {
    const r = await cli(['suppress', 'add', ...args, '--expires', inDays(7), '--json', ...endpoint()]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout.join('\n')).id as string;
  }

  /** The messages the topic delivered about a case. */
  const notificationsOf = async (session: LocalSession, caseId: string) =>
    (await readNotifications(session.env)).filter((n) => n.caseId === caseId);

  it('ec2-compromise, automatic path: Contain claims the case SUPPRESSED after its reads; once the rule expires, the same finding is contained', async () => {
    const { session } = local;
    const ruleId = await addRule([
      '--type',
      'CryptoCurrency:EC2/*',
      '--account',
      session.env.memberAccount,
      '--reason',
      'mining lab, approved',
    ]);
    const first = await replayEvent(session, finding(EC2, 8));
    const x = first.executions[0];
    expect(x).toMatchObject({ playbook: 'ec2-compromise', status: 'SUCCEEDED', outcome: 'SUPPRESSED' });
    expect(first.report.checks.filter((c) => !c.passed)).toEqual([]);
    expect(first.report.response).toMatch(/^suppressed by a rule: recorded, nothing changed, nobody notified \(ec2-compromise, case fb-/);
    // No change in the member account (the API-call record), and the instance read back as it was.
    expect(x.calls.filter((c) => c.mutating && c.account === session.env.memberAccount)).toEqual([]);
    expect(first.report.apiCalls.mutatingInMemberAccount).toBe(0);
    // The automatic path: Contain ran (its reads) and stopped, no Claim state.
    expect(x.calls.some((c) => c.operation === 'EC2.DescribeInstances')).toBe(true);
    const twin = first.twin!;
    const untouched = await readContainment(session.env, twin.instanceId, twin.vpcId);
    expect(untouched.firebreakGroups).toEqual([]);
    expect(untouched.terminationProtection).toBe(false);
    // Recorded: the case and its claim SUPPRESSED, the rule on the Claim entry, on the case and on the close.
    const { item, timeline } = await readCase(session.env, x.caseId!);
    expect(item).toMatchObject({ status: 'SUPPRESSED', decisions: { suppression: { ruleId, reason: 'mining lab, approved' } } });
    expect(timeline.find((t) => t.step === 'Claim' && t.status === 'SUCCEEDED')?.details.suppression).toMatchObject({ ruleId });
    expect(timeline.find((t) => t.step === 'CloseCase')).toMatchObject({ details: { status: 'SUPPRESSED', suppression: { ruleId } } });
    const key = claimKey({
      playbook: 'ec2-compromise',
      account: session.env.memberAccount,
      region: session.env.region,
      resource: { id: twin.instanceId },
    });
    const claim = await session.env.security.ddb.send(
      new GetCommand({ TableName: session.env.ledgerTable, Key: { pk: key, sk: 'CLAIM' } }),
    );
    expect(claim.Item?.status).toBe('SUPPRESSED');
    // Nobody notified.
    expect(await notificationsOf(session, x.caseId!)).toEqual([]);

    // `cases list --suppressed` shows it; `suppress list` shows the rule active.
    const listed = await cli(['cases', 'list', '--suppressed', '--json', ...endpoint()]);
    expect(JSON.parse(listed.stdout.join('\n')).map((c: { caseId: string }) => c.caseId)).toContain(x.caseId);
    const rules = JSON.parse((await cli(['suppress', 'list', '--json', ...endpoint()])).stdout.join('\n'));
    expect(rules.find((r: { id: string }) => r.id === ruleId)).toMatchObject({ state: 'active' });

    // The rule expires (its expiry moved into the past in the ledger, as time passing would): the same finding on the
    // same instance is contained.
    await session.env.security.ddb.send(
      new UpdateCommand({
        TableName: session.env.ledgerTable,
        Key: { pk: SUPPRESSION_PK, sk: `RULE#${ruleId}` },
        UpdateExpression: 'SET expiresAt = :e',
        ExpressionAttributeValues: { ':e': new Date(Date.now() - 1000).toISOString() },
      }),
    );
    const expired = JSON.parse((await cli(['suppress', 'list', '--json', ...endpoint()])).stdout.join('\n'));
    expect(expired.find((r: { id: string }) => r.id === ruleId)).toMatchObject({ state: 'expired' });
    const again = await replayEvent(session, finding(EC2, 8), { twin });
    expect(again.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(again.executions[0].caseId).not.toBe(x.caseId);
    expect(again.report.checks.filter((c) => !c.passed)).toEqual([]);
    const contained = await readContainment(session.env, twin.instanceId, twin.vpcId);
    expect(contained.isolation).toHaveLength(1);
    expect((await notificationsOf(session, again.executions[0].caseId!)).map((n) => n.kind)).toContain('contained');
  });

  it('ec2-compromise, a notify-only decision (Claim path): suppressed in Claim, no notify-only message', async () => {
    const { session } = local;
    const ruleId = await addRule(['--type', 'CryptoCurrency:EC2/BitcoinTool.B!DNS', '--reason', 'known medium noise']);
    const { executions, twin } = await replayEvent(session, finding(EC2, 5));
    const x = executions[0];
    expect(x).toMatchObject({ playbook: 'ec2-compromise', status: 'SUCCEEDED', outcome: 'SUPPRESSED' });
    expect(x.calls.filter((c) => c.mutating && c.account === session.env.memberAccount)).toEqual([]);
    expect((await readContainment(session.env, twin!.instanceId, twin!.vpcId)).firebreakGroups).toEqual([]);
    const { item, timeline } = await readCase(session.env, x.caseId!);
    expect(item?.status).toBe('SUPPRESSED');
    expect(timeline.find((t) => t.step === 'Claim')?.details.suppression).toMatchObject({ ruleId, reason: 'known medium noise' });
    expect(await notificationsOf(session, x.caseId!)).toEqual([]);
    const removed = await cli(['suppress', 'remove', ruleId, '--reason', 'noise fixed upstream', ...endpoint()]);
    expect(removed.code).toBe(0);
    expect(removed.stdout[0]).toMatch(new RegExp(`^Removed suppression rule ${ruleId} by arn:aws:iam::\\d{12}:user/`));
  });

  it.each([
    ['finding-triage', 'fixtures/events/guardduty-eks-audit-medium.json', 'Discovery:Kubernetes/TorIPCaller'],
    ['rds-compromise', 'fixtures/events/guardduty-rds-medium.json', 'Discovery:RDS/TorIPCaller'],
    ['s3-compromise', 'fixtures/events/guardduty-s3-medium.json', 'Discovery:S3/TorIPCaller'],
    ['cloudtrail-tamper', 'fixtures/events/cloudtrail-stoplogging.json', 'cloudtrail.amazonaws.com:StopLogging'],
    ['root-activity', 'fixtures/events/signin-root-console-login.json', 'signin.amazonaws.com:*'],
  ])('%s (Claim path): suppressed before Decide, nothing changed in the member account, nobody notified', async (playbook, file, type) => {
    const { session } = local;
    const ruleId = await addRule(['--type', type, '--reason', `${playbook} drill noise`]);
    const { executions, report } = await replayEvent(session, JSON.parse(JSON.stringify(readEventFile(file))));
    const x = executions[0];
    expect(x).toMatchObject({ playbook, status: 'SUCCEEDED', outcome: 'SUPPRESSED' });
    expect(report.apiCalls.mutatingInMemberAccount).toBe(0);
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const { item, timeline } = await readCase(session.env, x.caseId!);
    expect(item?.status).toBe('SUPPRESSED');
    expect(timeline.find((t) => t.step === 'Claim')?.details.suppression).toMatchObject({ ruleId });
    expect(timeline.some((t) => t.step === 'Decide' || t.step === 'NotifyOnly')).toBe(false);
    expect(await notificationsOf(session, x.caseId!)).toEqual([]);
    expect((await cli(['suppress', 'remove', ruleId, '--reason', 'done', ...endpoint()])).code).toBe(0);
  });

  it('credential-compromise (Claim path): a High finding suppressed by a rule leaves the key active and notifies nobody', async () => {
    const { session } = local;
    const ruleId = await addRule(['--type', 'CredentialAccess:IAMUser/AnomalousBehavior', '--reason', 'red team exercise']);
    const { executions, credentialTwin, report } = await replayEvent(session, finding(USER, 8));
    const x = executions[0];
    expect(x).toMatchObject({ playbook: 'credential-compromise', status: 'SUCCEEDED', outcome: 'SUPPRESSED' });
    expect(report.apiCalls.mutatingInMemberAccount).toBe(0);
    const keys = (await session.env.member.iam.send(new ListAccessKeysCommand({ UserName: credentialTwin!.userName }))).AccessKeyMetadata;
    expect(keys?.find((k) => k.AccessKeyId === credentialTwin!.accessKeyId)?.Status).toBe('Active');
    expect((await readCase(session.env, x.caseId!)).item?.status).toBe('SUPPRESSED');
    expect(await notificationsOf(session, x.caseId!)).toEqual([]);

    // Removed, the rule no longer applies: the next finding about the same user is revoked.
    expect((await cli(['suppress', 'remove', ruleId, '--reason', 'exercise over', ...endpoint()])).code).toBe(0);
    const after = await replayEvent(session, finding(USER, 8), { credentialTwin });
    expect(after.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const rules = JSON.parse((await cli(['suppress', 'list', '--json', ...endpoint()])).stdout.join('\n'));
    expect(rules.find((r: { id: string }) => r.id === ruleId)).toMatchObject({
      state: 'removed',
      removed: { by: expect.stringMatching(/^arn:aws:iam::/), reason: 'exercise over' },
    });
  });
});
