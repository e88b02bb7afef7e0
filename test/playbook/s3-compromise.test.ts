import { GetBucketVersioningCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import type { BucketTwin } from '../../lib/harness/local/bucket-twin';
import { readBucketPolicy, readPublicAccessBlock } from '../../lib/runtime/s3/bucket';
import { parseBucketPolicy, statementsOf } from '../../lib/runtime/s3/bucket-policy';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

const HIGH = 'fixtures/events/guardduty-s3-high.json';
const EXPOSURE = 'fixtures/events/guardduty-s3-exposure.json';
const OPERATOR = 'arn:aws:iam::222222222222:user/responder-on-call';

/** The bucket read back from the emulator with the harness's clients. */
async function bucketState(session: LocalSession, twin: BucketTwin) {
  const s3 = session.env.member.s3;
  const text = await readBucketPolicy(s3, twin.bucketName);
  return {
    statements: text === undefined ? undefined : statementsOf(parseBucketPolicy(text)),
    pab: await readPublicAccessBlock(s3, twin.bucketName),
    versioning: (await s3.send(new GetBucketVersioningCommand({ Bucket: twin.bucketName }))).Status ?? 'never-enabled',
  };
}

async function caseItem(session: LocalSession, caseId: string) {
  const { env } = session;
  return (await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } }))).Item!;
}

/**
 * s3-compromise through its synthesized state machine, the real handlers and the emulator, then release: the contained
 * bucket, the evidence in the security account (with the manifest's hashes) and the released bucket are read back.
 */
describe('s3-compromise playbook (synthesized state machine, real handlers, emulator)', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });
  const release = (caseId: string) =>
    local.session.runner.execute('release', { release: { caseId, reason: 'false positive: test', operator: OPERATOR } });

  it('contains a High finding: evidence first, the principal denied, the bucket own statement kept; release restores it', async () => {
    const { report, bucketTwin } = await replayEvent(local.session, readEventFile(HIGH));
    const x = report.executions[0];
    expect(x).toMatchObject({ playbook: 's3-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const twin = bucketTwin!;
    const original = statementsOf(parseBucketPolicy(twin.policy));
    const contained = await bucketState(local.session, twin);
    expect(contained.versioning).toBe('Enabled');
    expect(contained.statements!.slice(0, original.length)).toEqual(original);
    expect(contained.statements![original.length]).toMatchObject({
      Effect: 'Deny',
      Action: 's3:*',
      Condition: {
        ArnLike: {
          'aws:PrincipalArn': [expect.stringMatching(/:user\/report-reader$/), expect.stringMatching(/:user\/\*\/report-reader$/)],
        },
      },
    });
    expect(contained.pab).toBe('none');
    // The timeline says what PreserveBucket and ContainBucket changed (the case report's "Actions and prior state" lists it).
    const { timeline } = await readCase(local.session.env, x.caseId!);
    const preserve = timeline.find((t) => t.step === 'PreserveBucket')!;
    expect(preserve.details.actions).toEqual([
      { operation: 'S3.PutBucketVersioning', target: twin.bucketName, change: 'versioning never-enabled → Enabled' },
    ]);
    const contain = timeline.find((t) => t.step === 'ContainBucket')!;
    expect(contain.details.actions).toEqual([
      { operation: 'S3.PutBucketPolicy', target: twin.bucketName, change: expect.stringMatching(/^add statement FirebreakDeny/) },
    ]);

    // The evidence: every artifact the manifest names, with the SHA-256 of its stored bytes; the prior state on the case.
    const item = await caseItem(local.session, x.caseId!);
    expect(item.priorState).toMatchObject({ versioning: { status: 'never-enabled' }, bucketPolicy: { text: twin.policy } });
    const manifestRef = item.evidence.manifest as { bucket: string; key: string; sha256: string };
    const s3 = local.session.env.security.s3;
    const bytes = async (key: string) =>
      Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: manifestRef.bucket, Key: key }))).Body!.transformToByteArray());
    const manifestBytes = await bytes(manifestRef.key);
    expect(createHash('sha256').update(manifestBytes).digest('hex')).toBe(manifestRef.sha256);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { artifacts: { name: string; key: string; sha256: string }[] };
    expect(manifest.artifacts.map((a) => a.name).sort()).toEqual([
      'bucket-acl.json',
      'bucket-policy.json',
      'object-versions.json',
      'public-access-block.json',
      'versioning.json',
    ]);
    for (const a of manifest.artifacts)
      expect([
        a.name,
        createHash('sha256')
          .update(await bytes(a.key))
          .digest('hex'),
      ]).toEqual([a.name, a.sha256]);

    const released = await release(x.caseId!);
    expect(released).toMatchObject({ playbook: 'release', status: 'SUCCEEDED', outcome: 'RELEASED' });
    expect(
      released.calls
        .filter((c) => c.mutating && c.account === local.session.env.memberAccount)
        .every((c) => c.role === 'FirebreakReleaser'),
    ).toBe(true);
    expect(await bucketState(local.session, twin)).toEqual({ statements: original, pab: 'none', versioning: 'Suspended' });
    expect((await caseItem(local.session, x.caseId!)).status).toBe('RELEASED');
    // A second release changes nothing.
    const again = await release(x.caseId!);
    expect(again).toMatchObject({ status: 'SUCCEEDED', outcome: 'ALREADY_RELEASED' });
    expect(again.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
  }, 120_000);

  it('routes a Policy:S3 exposure finding on an access key here, blocks public access and denies nobody; release removes the block', async () => {
    const { report, bucketTwin } = await replayEvent(local.session, readEventFile(EXPOSURE));
    const x = report.executions[0];
    expect(report.executions.map((e) => e.playbook)).toEqual(['s3-compromise']);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const original = statementsOf(parseBucketPolicy(bucketTwin!.policy));
    expect(await bucketState(local.session, bucketTwin!)).toEqual({
      statements: original,
      pab: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      versioning: 'Enabled',
    });
    expect(await release(x.caseId!)).toMatchObject({ status: 'SUCCEEDED', outcome: 'RELEASED' });
    expect(await bucketState(local.session, bucketTwin!)).toEqual({ statements: original, pab: 'none', versioning: 'Suspended' });
  }, 120_000);

  it('a dry run (an operator start with dryRun) makes zero mutating calls in the member account and plans every change', async () => {
    const event = readEventFile(HIGH) as EventEnvelope & { detail: { id: string } };
    const built = await replayEvent(local.session, event, { execute: { crashAfter: 'Normalize' } });
    const twin = built.bucketTwin!;
    const before = await bucketState(local.session, twin);
    const dry = await local.session.runner.execute('s3-compromise', {
      firebreak: { dryRun: true, trigger: 'manual', reason: 'plan only', operator: OPERATOR },
      event: { ...built.injected, detail: { ...(built.injected.detail as object), id: `${event.detail.id.slice(0, 28)}dry0` } },
    });
    expect(dry.status).toBe('DRY_RUN');
    expect(dry.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    const plan = (dry.output?.plan as { actions: { operation: string }[] }).actions.map((a) => a.operation);
    expect(plan).toEqual(['S3.PutBucketVersioning', 'S3.PutBucketPolicy']);
    expect(await bucketState(local.session, twin)).toEqual(before);
  }, 120_000);
});
