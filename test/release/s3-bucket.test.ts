import { CreateKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { LOCAL_MEMBER_ACCOUNT, LOCAL_SECURITY_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients } from '../../lib/harness/local/harness-clients';
import { instrumentClient } from '../../lib/runtime/clients';
import { sha256Hex } from '../../lib/runtime/evidence/vault';
import { readBucketPolicy, readPublicAccessBlock } from '../../lib/runtime/s3/bucket';
import { BUCKET_POLICY_MAX_BYTES, denyPrincipalSid, statementsOf, parseBucketPolicy } from '../../lib/runtime/s3/bucket-policy';
import { BucketContainment, ensureBucketContained, PriorRecorder, verifyBucketContained } from '../../lib/runtime/s3/contain';
import { ensureBucketPreserved, EvidenceTarget } from '../../lib/runtime/s3/preserve';
import { BucketPriorState, ensureBucketReleased, verifyBucketReleased } from '../../lib/runtime/s3/release';
import { offendingPrincipal } from '../../lib/runtime/s3/principal';
import { useEmulator } from '../support/emulator';
import { mutating, recordCalls } from './world';

/**
 * s3-compromise's preservation, containment and release of a bucket, against the emulator, every result read back from
 * it with the harness's own clients (not the code's return values): the deny statement and every other statement, the
 * public access block, versioning, the evidence objects and their hashes; repeats, two at once, a crash after every
 * mutating call, and a dry run with zero mutating calls.
 */
describe('s3-compromise: preserve, contain, release a bucket', () => {
  const emulator = useEmulator();
  let admin: S3Client;
  let member: S3Client;
  let evidence: EvidenceTarget;
  const name = (p: string) => `${p}-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    admin = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT).s3;
    member = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT).s3;
    instrumentClient(member, 'S3', LOCAL_MEMBER_ACCOUNT);
    const security = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT);
    const keyArn = (await security.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const bucket = name('s3c-evidence');
    await security.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    evidence = { s3: security.s3, bucket, prefix: 'cases/111111111111/fb-test/', kmsKeyId: keyArn };
  });

  /** An in-memory prior-state record with the ledger's semantics: the first record of a key wins. */
  function ledger(): { record: PriorRecorder; prior: Record<string, unknown> } {
    const prior: Record<string, unknown> = {};
    const record: PriorRecorder = async <T>(key: string, value: T) => {
      if (!(key in prior)) prior[key] = structuredClone(value);
      return prior[key] as T;
    };
    return { record, prior };
  }

  const otherStatements = (bucket: string) => [
    {
      Sid: 'AppRead',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${LOCAL_MEMBER_ACCOUNT}:role/app` },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${bucket}/*`,
    },
    {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ];

  /** A bucket with a policy of two statements (or none), two objects, and a public access block (or none). */
  async function bucket(opts: { policy?: boolean; pab?: 'none' | 'partial'; versioning?: 'Suspended' } = {}) {
    const b = name('s3c');
    await admin.send(new CreateBucketCommand({ Bucket: b }));
    if (opts.versioning) await admin.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Suspended' } }));
    await admin.send(new PutObjectCommand({ Bucket: b, Key: 'data/a.txt', Body: 'a' }));
    await admin.send(new PutObjectCommand({ Bucket: b, Key: 'data/b.txt', Body: 'b' }));
    if (opts.policy !== false)
      await admin.send(
        new PutBucketPolicyCommand({ Bucket: b, Policy: JSON.stringify({ Version: '2012-10-17', Statement: otherStatements(b) }) }),
      );
    if (opts.pab === 'partial')
      await admin.send(
        new PutPublicAccessBlockCommand({
          Bucket: b,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: false,
            BlockPublicPolicy: false,
            RestrictPublicBuckets: false,
          },
        }),
      );
    return b;
  }

  const principal = offendingPrincipal({ partition: 'aws', account: LOCAL_MEMBER_ACCOUNT, userType: 'IAMUser', userName: 'report-reader' });
  if (!principal.named) throw new Error('expected a named principal');
  const target = (b: string, blockPublicAccess = true): BucketContainment => ({
    bucket: b,
    bucketArn: `arn:aws:s3:::${b}`,
    principal,
    blockPublicAccess,
  });

  /** What the emulator holds now: the policy's statements, the public access block, versioning. */
  async function readBack(b: string) {
    const text = await readBucketPolicy(admin, b);
    const versioning = (await admin.send(new GetBucketVersioningCommand({ Bucket: b }))).Status ?? 'never-enabled';
    return {
      statements: text === undefined ? undefined : statementsOf(parseBucketPolicy(text)),
      pab: await readPublicAccessBlock(admin, b),
      versioning,
    };
  }

  /** Preserve then contain, as the playbook does. */
  async function containAll(b: string, record: PriorRecorder, client = member) {
    const preserved = await ensureBucketPreserved(client, b, 'apply', record, evidence);
    const contained = await ensureBucketContained(client, target(b), 'apply', record);
    return { preserved, contained };
  }

  it('preserves (versioning on, five artifacts with their SHA-256), contains (one deny statement, the public access block on), and releases', async () => {
    const b = await bucket({ pab: 'partial' });
    const { record, prior } = ledger();
    const { preserved, contained } = await containAll(b, record);
    const sid = denyPrincipalSid(principal.principalArn);
    const after = await readBack(b);
    expect(after.versioning).toBe('Enabled');
    expect(after.statements).toEqual([...otherStatements(b), expect.objectContaining({ Sid: sid, Effect: 'Deny', Action: 's3:*' })]);
    expect(after.statements![2].Condition).toEqual({
      ArnLike: {
        'aws:PrincipalArn': [
          `arn:aws:iam::${LOCAL_MEMBER_ACCOUNT}:user/report-reader`,
          `arn:aws:iam::${LOCAL_MEMBER_ACCOUNT}:user/*/report-reader`,
        ],
      },
    });
    expect(after.pab).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(contained).toMatchObject({ policy: 'added', sid, publicAccessBlock: 'turned-on' });
    // The evidence objects, read back from the evidence bucket: each one's bytes hash to what the result names.
    expect(preserved.artifacts.map((a) => a.name).sort()).toEqual([
      'bucket-acl.json',
      'bucket-policy.json',
      'object-versions.json',
      'public-access-block.json',
      'versioning.json',
    ]);
    for (const a of preserved.artifacts) {
      const body = await (await evidence.s3.send(new GetObjectCommand({ Bucket: a.bucket, Key: a.key }))).Body!.transformToString();
      expect(sha256Hex(body)).toBe(a.sha256);
    }
    const listing = preserved.artifacts.find((a) => a.name === 'object-versions.json')!;
    const listed = JSON.parse(
      await (await evidence.s3.send(new GetObjectCommand({ Bucket: listing.bucket, Key: listing.key }))).Body!.transformToString(),
    );
    expect(listed.entries.map((e: { key: string }) => e.key).sort()).toEqual(['data/a.txt', 'data/b.txt']);
    expect(prior).toMatchObject({
      versioning: { status: 'never-enabled' },
      publicAccessBlock: { config: { BlockPublicAcls: true, IgnorePublicAcls: false } },
    });

    await verifyBucketContained(member, target(b));
    const released = await ensureBucketReleased(member, b, prior as BucketPriorState);
    await verifyBucketReleased(member, b, prior as BucketPriorState, released.notRestored);
    const end = await readBack(b);
    expect(end.statements).toEqual(otherStatements(b));
    expect(end.pab).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false });
    expect(end.versioning).toBe('Suspended');
    expect(released.notRestored).toEqual([
      expect.objectContaining({ item: 'versioning', detail: expect.stringContaining('cannot return it to unversioned') }),
    ]);
  });

  it('a bucket with no policy and no public access block: release deletes the policy and the block it added', async () => {
    const b = await bucket({ policy: false, pab: 'none', versioning: 'Suspended' });
    const { record, prior } = ledger();
    await containAll(b, record);
    expect((await readBack(b)).statements).toHaveLength(1);
    const released = await ensureBucketReleased(member, b, prior as BucketPriorState);
    expect(released.restored.map((r) => r.operation)).toEqual(
      expect.arrayContaining(['S3.DeleteBucketPolicy', 'S3.DeletePublicAccessBlock']),
    );
    expect(released.notRestored).toEqual([]);
    expect(await readBack(b)).toEqual({ statements: undefined, pab: 'none', versioning: 'Suspended' });
    // The objects are all there, never touched.
    expect(await (await admin.send(new GetObjectCommand({ Bucket: b, Key: 'data/a.txt' }))).Body!.transformToString()).toBe('a');
  });

  it('repeats change nothing: a second containment and a second release make no mutating call', async () => {
    const b = await bucket();
    const { record, prior } = ledger();
    await containAll(b, record);
    const contained = await readBack(b);
    const again = await recordCalls(() => containAll(b, record));
    expect(again.error).toBeUndefined();
    expect(mutating(again.calls).filter((c) => c.startsWith('S3.') && !c.includes('PutObject'))).toEqual([]);
    expect(await readBack(b)).toEqual(contained);
    await ensureBucketReleased(member, b, prior as BucketPriorState);
    const released = await readBack(b);
    const twice = await recordCalls(() => ensureBucketReleased(member, b, prior as BucketPriorState));
    expect(mutating(twice.calls)).toEqual([]);
    expect(await readBack(b)).toEqual(released);
  });

  it('two containments at once, then two releases at once, converge on one statement and then none', async () => {
    const b = await bucket();
    const { record, prior } = ledger();
    const results = await Promise.allSettled([containAll(b, record), containAll(b, record)]);
    // A run whose read-back saw the other's put in between may ask to run again (NotYetConsistent); one more run converges.
    if (results.some((r) => r.status === 'rejected')) await containAll(b, record);
    const after = await readBack(b);
    expect(after.statements!.filter((s) => s.Sid === denyPrincipalSid(principal.principalArn))).toHaveLength(1);
    expect(after.statements!.slice(0, 2)).toEqual(otherStatements(b));
    await Promise.all([
      ensureBucketReleased(member, b, prior as BucketPriorState),
      ensureBucketReleased(member, b, prior as BucketPriorState),
    ]);
    expect((await readBack(b)).statements).toEqual(otherStatements(b));
  });

  /** A client that throws right after its `n`-th mutating S3 call succeeded (the call took effect: a crash after it). */
  function crashingClient(n: number): S3Client {
    const c = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT).s3;
    let count = 0;
    c.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        const op = String(context.commandName ?? '').replace(/Command$/, '');
        if (!/^(Get|List|Head)/.test(op) && ++count === n) throw new Error(`crash after ${op}`);
        return out;
      },
      { step: 'initialize', name: 'crashAfterNthMutation' },
    );
    return c;
  }

  it.each([1, 2, 3])(
    'a crash right after mutating call %i of containment: the re-run ends as an uninterrupted run, and release restores',
    async (n) => {
      const b = await bucket({ pab: 'partial' });
      const { record, prior } = ledger();
      await expect(containAll(b, record, crashingClient(n))).rejects.toThrow(/crash after/);
      await containAll(b, record);
      const after = await readBack(b);
      expect(after.statements).toEqual([...otherStatements(b), expect.objectContaining({ Sid: denyPrincipalSid(principal.principalArn) })]);
      expect(after.pab).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
      expect(prior).toMatchObject({ versioning: { status: 'never-enabled' }, bucketPolicy: { text: expect.any(String) } });
      await ensureBucketReleased(member, b, prior as BucketPriorState);
      expect((await readBack(b)).statements).toEqual(otherStatements(b));
      expect((await readBack(b)).pab).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      });
    },
  );

  it.each([1, 2, 3])('a crash right after mutating call %i of release: the re-run restores the rest', async (n) => {
    const b = await bucket({ pab: 'partial' });
    const { record, prior } = ledger();
    await containAll(b, record);
    await expect(ensureBucketReleased(crashingClient(n), b, prior as BucketPriorState)).rejects.toThrow(/crash after/);
    const rerun = await ensureBucketReleased(member, b, prior as BucketPriorState);
    await verifyBucketReleased(member, b, prior as BucketPriorState, rerun.notRestored);
    expect(await readBack(b)).toEqual({
      statements: otherStatements(b),
      pab: { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false },
      versioning: 'Suspended',
    });
  });

  it('a dry run (plan) makes no mutating call and records nothing', async () => {
    const b = await bucket({ pab: 'partial' });
    const { record, prior } = ledger();
    const before = await readBack(b);
    const out = await recordCalls(async () => {
      const p = await ensureBucketPreserved(member, b, 'plan', record, evidence);
      const c = await ensureBucketContained(member, target(b), 'plan', record);
      return [...p.actions, ...c.actions].map((a) => a.operation);
    });
    expect(out.result).toEqual(['S3.PutBucketVersioning', 'S3.PutBucketPolicy', 'S3.PutPublicAccessBlock']);
    expect(mutating(out.calls)).toEqual([]);
    expect(prior).toEqual({});
    expect(await readBack(b)).toEqual(before);
  });

  it('fails closed when the statement would take the policy over 20 KB: nothing changed, nothing recorded', async () => {
    const b = await bucket({ policy: false });
    const filler: object[] = [];
    const policyOf = () => JSON.stringify({ Version: '2012-10-17', Statement: filler });
    // Statements of about 120 bytes each, up to within 250 bytes of the limit: Firebreak's (~300 bytes) does not fit.
    while (Buffer.byteLength(policyOf()) < BUCKET_POLICY_MAX_BYTES - 250) {
      const i = filler.length;
      filler.push({
        Sid: `F${i}`,
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${LOCAL_MEMBER_ACCOUNT}:role/r${i}` },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${b}/*`,
      });
    }
    const text = policyOf();
    expect(Buffer.byteLength(text)).toBeLessThan(BUCKET_POLICY_MAX_BYTES);
    expect(Buffer.byteLength(text)).toBeGreaterThan(BUCKET_POLICY_MAX_BYTES - 300);
    await admin.send(new PutBucketPolicyCommand({ Bucket: b, Policy: text }));
    const { record, prior } = ledger();
    const out = await recordCalls(() => ensureBucketContained(member, target(b, false), 'apply', record));
    expect(out.error).toMatchObject({ name: 'QuotaExceeded' });
    expect(mutating(out.calls)).toEqual([]);
    expect(prior).toEqual({});
    expect(await readBucketPolicy(admin, b)).toBe(text);
  });

  it("a member's statement that carries Firebreak's Sid is never replaced or removed: containment fails closed, nothing changed", async () => {
    const b = await bucket({ policy: false });
    const sid = denyPrincipalSid(principal.principalArn);
    // The member's own deny, broader than Firebreak's, under the Sid Firebreak would use (the Sid is predictable).
    const own = { Sid: sid, Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${b}/*` };
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [...otherStatements(b), own] });
    await admin.send(new PutBucketPolicyCommand({ Bucket: b, Policy: text }));
    const { record, prior } = ledger();
    const out = await recordCalls(() => ensureBucketContained(member, target(b, false), 'apply', record));
    expect(out.error).toMatchObject({ name: 'InvalidInput' });
    expect(mutating(out.calls)).toEqual([]);
    expect(prior).toEqual({});
    expect(await readBucketPolicy(admin, b)).toBe(text);
  });

  it('when the deny statement cannot be added, an exposure finding still gets the public access block on, and the case fails', async () => {
    const b = await bucket({ policy: false, pab: 'partial' });
    // A statement under Firebreak's Sid that is not Firebreak's (anyone who can put the policy can write it) makes the
    // policy part fail; so would S3 refusing the put (BlockPublicPolicy with a public policy, or the 20 KB limit).
    const own = {
      Sid: denyPrincipalSid(principal.principalArn),
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:DeleteObject',
      Resource: `arn:aws:s3:::${b}/*`,
    };
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [own] });
    await admin.send(new PutBucketPolicyCommand({ Bucket: b, Policy: text }));
    const { record, prior } = ledger();
    await expect(ensureBucketContained(member, target(b, true), 'apply', record)).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(await readPublicAccessBlock(admin, b)).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(await readBucketPolicy(admin, b)).toBe(text);
    expect(prior).toEqual({
      publicAccessBlock: {
        bucket: b,
        config: { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false },
      },
    });
  });

  it("a member's statement under Firebreak's Sid written while containment ran is never removed by release", async () => {
    const b = await bucket({ policy: false });
    const own = {
      Sid: denyPrincipalSid(principal.principalArn),
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:DeleteObject',
      Resource: `arn:aws:s3:::${b}/*`,
    };
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [own] });
    const { record: recordOnly, prior } = ledger();
    // The member's write lands right after the prior state is recorded, before Firebreak's second read.
    const record: PriorRecorder = async <T>(key: 'bucketPolicy' | 'publicAccessBlock' | 'versioning', value: T) => {
      const out = await recordOnly(key, value);
      if (key === 'bucketPolicy') await admin.send(new PutBucketPolicyCommand({ Bucket: b, Policy: text }));
      return out;
    };
    await expect(ensureBucketContained(member, target(b, false), 'apply', record)).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(prior).toHaveProperty('bucketPolicy');
    const released = await ensureBucketReleased(member, b, prior as BucketPriorState);
    expect(await readBucketPolicy(admin, b)).toBe(text);
    expect(released.notRestored).toEqual([expect.objectContaining({ item: 'bucket-policy' })]);
    await verifyBucketReleased(member, b, prior as BucketPriorState, released.notRestored);
  });

  it('never widens: whatever policy the bucket had, every statement is still there unchanged after containment and after release', async () => {
    const statement = fc.record(
      {
        Sid: fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
        Effect: fc.constantFrom('Allow', 'Deny'),
        Principal: fc.oneof(
          fc.constant('*'),
          fc.record({ AWS: fc.constantFrom(`arn:aws:iam::${LOCAL_MEMBER_ACCOUNT}:root`, `arn:aws:iam::${LOCAL_MEMBER_ACCOUNT}:role/app`) }),
        ),
        Action: fc.oneof(
          fc.constantFrom('s3:GetObject', 's3:PutObject', 's3:*'),
          fc.subarray(['s3:GetObject', 's3:ListBucket', 's3:DeleteObject'], { minLength: 1 }),
        ),
        Condition: fc.option(fc.record({ Bool: fc.record({ 'aws:SecureTransport': fc.constantFrom('true', 'false') }) }), {
          nil: undefined,
        }),
      },
      { requiredKeys: ['Effect', 'Principal', 'Action'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(statement, { minLength: 0, maxLength: 6 }), fc.boolean(), async (stmts, asObject) => {
        const b = await bucket({ policy: false });
        const withResource = stmts.map((s) => ({ ...s, Resource: `arn:aws:s3:::${b}/*` }));
        if (withResource.length) {
          const Statement = asObject && withResource.length === 1 ? withResource[0] : withResource;
          await admin.send(new PutBucketPolicyCommand({ Bucket: b, Policy: JSON.stringify({ Version: '2012-10-17', Statement }) }));
        }
        const before = (await readBack(b)).statements ?? [];
        const { record, prior } = ledger();
        await ensureBucketContained(member, target(b, false), 'apply', record);
        const contained = (await readBack(b)).statements!;
        for (const s of before) expect(contained).toContainEqual(s);
        await ensureBucketReleased(member, b, prior as BucketPriorState);
        expect((await readBack(b)).statements ?? []).toEqual(before);
      }),
      { numRuns: 25 },
    );
  });
});
