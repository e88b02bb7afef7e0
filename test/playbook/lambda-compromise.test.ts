import { GetFunctionConcurrencyCommand, ListVersionsByFunctionCommand } from '@aws-sdk/client-lambda';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import type { FunctionTwin } from '../../lib/harness/local/function-twin';
import { readNotifications } from '../../lib/harness/local/notifications';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

const HIGH = 'fixtures/events/guardduty-lambda-high.json';
const OPERATOR = 'arn:aws:iam::222222222222:user/responder-on-call';

/** The function read back from the emulator with the harness's clients. */
async function functionState(session: LocalSession, twin: FunctionTwin) {
  const { lambda, iam } = session.env.member;
  const reserved = (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: twin.functionName }))).ReservedConcurrentExecutions;
  const versions = ((await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: twin.functionName }))).Versions ?? [])
    .filter((v) => v.Version !== '$LATEST')
    .map((v) => ({ version: v.Version, description: v.Description, codeSha256: v.CodeSha256 }));
  const policies = (await iam.send(new ListRolePoliciesCommand({ RoleName: twin.roleName }))).PolicyNames ?? [];
  return { reserved: reserved ?? null, versions, policies };
}

async function caseItem(session: LocalSession, caseId: string) {
  const { env } = session;
  return (await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } }))).Item!;
}

/**
 * lambda-compromise through its synthesized state machine, the real handlers and the emulator, then release: the
 * contained function (reserved concurrency 0, the role's revocation policy, the evidence version), the evidence in the
 * security account (the manifest's hashes, the code package's equal to CodeSha256) and the released function are read back.
 */
describe('lambda-compromise playbook (synthesized state machine, real handlers, emulator)', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });
  const release = (caseId: string) =>
    local.session.runner.execute('release', { release: { caseId, reason: 'false positive: test', operator: OPERATOR } });

  it('contains a High finding: evidence first, concurrency 0, the role revoked; release restores it and keeps the version', async () => {
    const { report, functionTwin } = await replayEvent(local.session, readEventFile(HIGH));
    const x = report.executions[0];
    expect(x).toMatchObject({ playbook: 'lambda-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const twin = functionTwin!;
    const codeSha256 = createHash('sha256').update(twin.code).digest('base64');
    const contained = await functionState(local.session, twin);
    expect(contained).toEqual({
      reserved: 0,
      versions: [{ version: '1', description: `Firebreak evidence for case ${x.caseId}`, codeSha256 }],
      policies: ['FirebreakRevokeOlderSessions'],
    });
    // The timeline says what PreserveFunction and ContainFunction changed (the case report's "Actions and prior state" lists it).
    const { timeline } = await readCase(local.session.env, x.caseId!);
    const preserve = timeline.find((t) => t.step === 'PreserveFunction')!;
    expect((preserve.details.actions as { operation: string }[]).map((a) => a.operation)).toEqual(['Lambda.PublishVersion']);
    const contain = timeline.find((t) => t.step === 'ContainFunction')!;
    expect((contain.details.actions as { operation: string }[]).map((a) => a.operation)).toEqual([
      'Lambda.PutFunctionConcurrency',
      'IAM.PutRolePolicy',
    ]);

    // The evidence: every artifact the manifest names, with the SHA-256 of its stored bytes; the prior state on the case.
    const item = await caseItem(local.session, x.caseId!);
    expect(item.priorState).toMatchObject({
      functionVersion: { functionName: twin.functionName, version: '1', codeSha256 },
      reservedConcurrency: { functionName: twin.functionName, reservedConcurrentExecutions: null },
      role: { roleName: twin.roleName },
    });
    const manifestRef = item.evidence.manifest as { bucket: string; key: string; sha256: string };
    const s3 = local.session.env.security.s3;
    const bytes = async (key: string) =>
      Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: manifestRef.bucket, Key: key }))).Body!.transformToByteArray());
    const manifestBytes = await bytes(manifestRef.key);
    expect(createHash('sha256').update(manifestBytes).digest('hex')).toBe(manifestRef.sha256);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { artifacts: { name: string; key: string; sha256: string }[] };
    expect(manifest.artifacts.map((a) => a.name).sort()).toEqual([
      'event-source-mappings.json',
      'function-code.json',
      'function-code.zip',
      'function-configuration.json',
      'function-url-config.json',
      'reserved-concurrency.json',
      'resource-policy.json',
    ]);
    for (const a of manifest.artifacts) {
      const stored = await bytes(a.key);
      expect([a.name, createHash('sha256').update(stored).digest('hex')]).toEqual([a.name, a.sha256]);
      expect([a.name, stored.includes('twin-secret-value')]).toEqual([a.name, false]);
    }
    const zip = await bytes(manifest.artifacts.find((a) => a.name === 'function-code.zip')!.key);
    expect(createHash('sha256').update(zip).digest('base64')).toBe(codeSha256);

    // The notification says what containment did to the role (or why not).
    const notes = (await readNotifications(local.session.env)).filter((n) => n.caseId === x.caseId && n.kind === 'contained');
    expect(notes).toHaveLength(1);
    expect(JSON.parse(notes[0].body).functionContainment).toMatchObject({ functionName: twin.functionName, roleName: twin.roleName });

    const released = await release(x.caseId!);
    expect(released).toMatchObject({ playbook: 'release', status: 'SUCCEEDED', outcome: 'RELEASED' });
    expect(
      released.calls
        .filter((c) => c.mutating && c.account === local.session.env.memberAccount)
        .every((c) => c.role === 'FirebreakReleaser'),
    ).toBe(true);
    expect(await functionState(local.session, twin)).toEqual({ ...contained, reserved: null, policies: [] });
    expect((await caseItem(local.session, x.caseId!)).status).toBe('RELEASED');
    // A second release changes nothing.
    const again = await release(x.caseId!);
    expect(again).toMatchObject({ status: 'SUCCEEDED', outcome: 'ALREADY_RELEASED' });
    expect(again.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
  }, 120_000);

  it('a dry run (an operator start with dryRun) makes zero mutating calls in the member account and plans every change', async () => {
    const event = readEventFile(HIGH) as EventEnvelope & { detail: { id: string } };
    const built = await replayEvent(local.session, event, { execute: { crashAfter: 'Normalize' } });
    const twin = built.functionTwin!;
    const before = await functionState(local.session, twin);
    const dry = await local.session.runner.execute('lambda-compromise', {
      firebreak: { dryRun: true, trigger: 'manual', reason: 'plan only', operator: OPERATOR },
      event: { ...built.injected, detail: { ...(built.injected.detail as object), id: `${event.detail.id.slice(0, 28)}dry0` } },
    });
    expect(dry.status).toBe('DRY_RUN');
    expect(dry.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    const plan = (dry.output?.plan as { actions: { operation: string }[] }).actions.map((a) => a.operation);
    expect(plan).toEqual(['Lambda.PublishVersion', 'Lambda.PutFunctionConcurrency', 'IAM.PutRolePolicy']);
    expect(await functionState(local.session, twin)).toEqual(before);
  }, 120_000);

  it('a sample finding is never contained: a dry run on its placeholder function, nothing looked up', async () => {
    const event = readEventFile(HIGH) as EventEnvelope & { detail: { id: string; service: Record<string, unknown> } };
    const sample = {
      ...event,
      detail: {
        ...event.detail,
        id: `${event.detail.id.slice(0, 26)}sample`,
        service: { ...event.detail.service, additionalInfo: { sample: true } },
      },
    };
    const { report, executions } = await replayEvent(local.session, sample);
    expect(report.executions[0].status).toBe('DRY_RUN');
    expect(executions[0].calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
  }, 120_000);
});
