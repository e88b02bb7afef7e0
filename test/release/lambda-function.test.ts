import { CreateRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateFunctionCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { LOCAL_MEMBER_ACCOUNT, LOCAL_SECURITY_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients } from '../../lib/harness/local/harness-clients';
import { storedZip } from '../../lib/harness/local/function-twin';
import { instrumentClient } from '../../lib/runtime/clients';
import { sha256Hex } from '../../lib/runtime/evidence/vault';
import { ROLE_SESSION_REVOCATION_POLICY_NAME } from '../../lib/runtime/iam/policies';
import { ensureFunctionRoleRevoked, ensureFunctionThrottled, verifyFunctionContained } from '../../lib/runtime/lambda/contain';
import { ensureFunctionPreserved, FunctionRecorder, versionDescription, CodeFetcher } from '../../lib/runtime/lambda/preserve';
import { ensureFunctionReleased, FunctionPriorState, verifyFunctionReleased } from '../../lib/runtime/lambda/release';
import type { EvidenceTarget } from '../../lib/runtime/s3/preserve';
import { useEmulator } from '../support/emulator';
import { mutating, recordCalls } from './world';

/**
 * lambda-compromise's preservation, containment and release of a function, against the emulator, every result read
 * back with the harness's own clients (not the code's return values): the reserved concurrency, the execution role's
 * inline policies, the published evidence version, the evidence objects and their hashes (the code package's is the
 * function's CodeSha256); repeats, two at once, a crash after every mutating call, a dry run with zero mutating calls,
 * and release never leaving anything more open than before containment.
 */
describe('lambda-compromise: preserve, contain, release a function', () => {
  const emulator = useEmulator();
  let admin: { lambda: LambdaClient; iam: IAMClient };
  let member: { lambda: LambdaClient; iam: IAMClient };
  let securityS3: S3Client;
  let evidence: EvidenceTarget;
  const name = (p: string) => `${p}-${randomBytes(4).toString('hex')}`;
  const CUTOFF = new Date('2026-12-04T12:00:00Z');
  const PROTECTED = ['FirebreakResponder', 'FirebreakReleaser'];

  beforeAll(async () => {
    const h = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT);
    admin = { lambda: h.lambda, iam: h.iam };
    const m = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT);
    instrumentClient(m.lambda, 'Lambda', LOCAL_MEMBER_ACCOUNT);
    instrumentClient(m.iam, 'IAM', LOCAL_MEMBER_ACCOUNT);
    member = { lambda: m.lambda, iam: m.iam };
    const security = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT);
    securityS3 = security.s3;
    instrumentClient(security.s3, 'S3', LOCAL_SECURITY_ACCOUNT);
    const keyArn = (await security.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const bucket = name('lam-evidence');
    await security.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    evidence = { s3: security.s3, bucket, prefix: '', kmsKeyId: keyArn };
  });

  /** An in-memory prior-state record with the ledger's semantics: the first record of a key wins. */
  function ledger() {
    const prior: Record<string, unknown> = {};
    const record: FunctionRecorder = async <T>(key: string, value: T) => {
      if (!(key in prior)) prior[key] = structuredClone(value);
      return prior[key] as T;
    };
    const recordRole = (v: unknown) => record('role' as 'functionVersion', v) as never;
    return { record, recordRole, prior: prior as FunctionPriorState & Record<string, unknown> };
  }

  /** A function with its own execution role (or the role given), environment variables holding a "secret". */
  async function fn(opts: { roleArn?: string; reserved?: number } = {}) {
    const functionName = name('lam');
    let roleArn = opts.roleArn;
    if (!roleArn) {
      const trust = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      };
      roleArn = (
        await admin.iam.send(new CreateRoleCommand({ RoleName: `${functionName}-role`, AssumeRolePolicyDocument: JSON.stringify(trust) }))
      ).Role!.Arn!;
    }
    const code = storedZip('index.py', `def handler(e, c):\n    return "${functionName}"\n`);
    const created = await admin.lambda.send(
      new CreateFunctionCommand({
        FunctionName: functionName,
        Runtime: 'python3.12',
        Role: roleArn,
        Handler: 'index.handler',
        Code: { ZipFile: code },
        Environment: { Variables: { DB_PASSWORD: 'hunter2-secret', MODE: 'prod' } },
      }),
    );
    if (opts.reserved !== undefined)
      await admin.lambda.send(
        new PutFunctionConcurrencyCommand({ FunctionName: functionName, ReservedConcurrentExecutions: opts.reserved }),
      );
    return { functionName, roleArn, roleName: roleArn.split('/').pop()!, code, codeSha256: created.CodeSha256! };
  }

  type Fn = Awaited<ReturnType<typeof fn>>;
  const caseOf = (f: Fn) => ({ functionName: f.functionName, caseId: `fb-${f.functionName}` });
  const evidenceFor = (f: Fn): EvidenceTarget => ({ ...evidence, prefix: `cases/${LOCAL_MEMBER_ACCOUNT}/fb-${f.functionName}/` });

  /** Preserve, throttle, revoke: the playbook's order. */
  async function containAll(f: Fn, l: ReturnType<typeof ledger>, clients = member, opts: { revokeShared?: boolean } = {}) {
    const preserved = await ensureFunctionPreserved(clients.lambda, caseOf(f), 'apply', l.record, evidenceFor(f));
    const throttled = await ensureFunctionThrottled(clients.lambda, f.functionName, 'apply', l.record);
    const role = await ensureFunctionRoleRevoked(
      { lambda: clients.lambda, iam: clients.iam, recordRole: l.recordRole },
      {
        functionName: f.functionName,
        roleArn: f.roleArn,
        cutoff: CUTOFF,
        mode: 'apply',
        protectedRoleNames: PROTECTED,
        revokeShared: opts.revokeShared ?? false,
      },
    );
    return { preserved, throttled, role };
  }

  /** What the emulator holds now. */
  async function readBack(f: Fn) {
    const reserved =
      (await admin.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: f.functionName }))).ReservedConcurrentExecutions ?? null;
    const policies = (await admin.iam.send(new ListRolePoliciesCommand({ RoleName: f.roleName }))).PolicyNames ?? [];
    const versions = ((await admin.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: f.functionName }))).Versions ?? []).filter(
      (v) => v.Version !== '$LATEST',
    );
    return { reserved, policies, versions };
  }

  async function object(key: string): Promise<Buffer> {
    const out = await securityS3.send(new GetObjectCommand({ Bucket: evidence.bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  it('contains: a published evidence version, concurrency 0, the role revoked; the evidence read back with its hashes', async () => {
    const f = await fn();
    const l = ledger();
    const out = await containAll(f, l);
    const after = await readBack(f);
    expect(after.reserved).toBe(0);
    expect(after.policies).toEqual([ROLE_SESSION_REVOCATION_POLICY_NAME]);
    const doc = (await admin.iam.send(new GetRolePolicyCommand({ RoleName: f.roleName, PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME })))
      .PolicyDocument!;
    expect(JSON.parse(decodeURIComponent(doc)).Statement[0]).toMatchObject({
      Effect: 'Deny',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-12-04T12:00:00Z' } },
    });
    expect(after.versions).toEqual([
      expect.objectContaining({ Description: versionDescription(`fb-${f.functionName}`), CodeSha256: f.codeSha256 }),
    ]);
    expect(l.prior).toMatchObject({
      functionVersion: { version: after.versions[0].Version, codeSha256: f.codeSha256 },
      reservedConcurrency: { functionName: f.functionName, reservedConcurrentExecutions: null },
      role: { roleName: f.roleName },
    });
    expect(
      await verifyFunctionContained(admin, { functionName: f.functionName, roleName: f.roleName, cutoff: '2026-12-04T12:00:00Z' }),
    ).toEqual([]);
    // Every artifact read back from the evidence bucket: its bytes hash to the recorded SHA-256.
    const names = out.preserved.artifacts.map((a) => a.name).sort();
    expect(names).toEqual([
      'event-source-mappings.json',
      'function-code.json',
      'function-code.zip',
      'function-configuration.json',
      'function-url-config.json',
      'reserved-concurrency.json',
      'resource-policy.json',
    ]);
    for (const a of out.preserved.artifacts) expect(sha256Hex(await object(a.key))).toBe(a.sha256);
    const zip = await object(out.preserved.artifacts.find((a) => a.name === 'function-code.zip')!.key);
    expect(zip.equals(f.code)).toBe(true);
    expect(createHash('sha256').update(zip).digest('base64')).toBe(f.codeSha256);
    const config = (await object(out.preserved.artifacts.find((a) => a.name === 'function-configuration.json')!.key)).toString();
    expect(config).not.toContain('hunter2-secret');
    expect(JSON.parse(config).configuration.Environment).toMatchObject({ VariableNames: ['DB_PASSWORD', 'MODE'], valuesOmitted: true });
  });

  it('releases: concurrency back to none, the revocation policy gone, the evidence version kept', async () => {
    const f = await fn();
    const l = ledger();
    await containAll(f, l);
    const out = await ensureFunctionReleased(member, f.functionName, l.prior, PROTECTED);
    expect(out.notRestored).toEqual([]);
    const after = await readBack(f);
    expect(after.reserved).toBeNull();
    expect(after.policies).toEqual([]);
    expect(after.versions).toHaveLength(1);
    expect(await verifyFunctionReleased(admin, f.functionName, l.prior, PROTECTED)).toEqual([]);
  });

  it('releases a recorded reserved concurrency of 7 back to 7', async () => {
    const f = await fn({ reserved: 7 });
    const l = ledger();
    await containAll(f, l);
    expect((await readBack(f)).reserved).toBe(0);
    await ensureFunctionReleased(member, f.functionName, l.prior, PROTECTED);
    expect((await readBack(f)).reserved).toBe(7);
  });

  it('repeats change nothing: a second containment and a second release make no mutating Lambda or IAM call', async () => {
    const f = await fn();
    const l = ledger();
    await containAll(f, l);
    const again = await recordCalls(() => containAll(f, l));
    expect(again.error).toBeUndefined();
    expect(mutating(again.calls).filter((c) => !c.startsWith('S3.'))).toEqual([]);
    expect((await readBack(f)).versions).toHaveLength(1);
    await ensureFunctionReleased(member, f.functionName, l.prior, PROTECTED);
    const twice = await recordCalls(() => ensureFunctionReleased(member, f.functionName, l.prior, PROTECTED));
    expect(twice.error).toBeUndefined();
    expect(mutating(twice.calls)).toEqual([]);
  });

  it('two at once converge: contained once, one recorded version holding the code, then released by two at once', async () => {
    const f = await fn({ reserved: 3 });
    const l = ledger();
    const runs = await Promise.all([containAll(f, l), containAll(f, l)]);
    expect(runs[0].preserved.version).toBe(runs[1].preserved.version);
    const after = await readBack(f);
    expect(after.reserved).toBe(0);
    expect(after.policies).toEqual([ROLE_SESSION_REVOCATION_POLICY_NAME]);
    expect(after.versions.find((v) => v.Version === runs[0].preserved.version)).toMatchObject({ CodeSha256: f.codeSha256 });
    expect(l.prior.reservedConcurrency).toEqual({ functionName: f.functionName, reservedConcurrentExecutions: 3 });
    await Promise.all([
      ensureFunctionReleased(member, f.functionName, l.prior, PROTECTED),
      ensureFunctionReleased(member, f.functionName, l.prior, PROTECTED),
    ]);
    expect(await readBack(f)).toMatchObject({ reserved: 3, policies: [] });
  });

  /** Member clients that throw right after their `n`-th mutating call (counted across Lambda and IAM) succeeded. */
  function crashingMember(n: number) {
    const c = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT);
    let count = 0;
    for (const client of [c.lambda, c.iam] as { middlewareStack: LambdaClient['middlewareStack'] }[])
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const out = await next(args);
          const op = String(context.commandName ?? '').replace(/Command$/, '');
          if (!/^(Get|List|Head)/.test(op) && ++count === n) throw new Error(`crash after ${op}`);
          return out;
        },
        { step: 'initialize', name: 'crashAfterNthMutation' },
      );
    return { lambda: c.lambda, iam: c.iam };
  }

  it.each([1, 2, 3])('a crash right after mutating call %i of containment: the re-run converges, release restores', async (n) => {
    const f = await fn({ reserved: 5 });
    const l = ledger();
    await expect(containAll(f, l, crashingMember(n))).rejects.toThrow(/crash after/);
    await containAll(f, l);
    const after = await readBack(f);
    expect(after).toMatchObject({ reserved: 0, policies: [ROLE_SESSION_REVOCATION_POLICY_NAME] });
    expect(after.versions.filter((v) => v.Description === versionDescription(`fb-${f.functionName}`))).toHaveLength(1);
    expect(l.prior.reservedConcurrency).toEqual({ functionName: f.functionName, reservedConcurrentExecutions: 5 });
    await ensureFunctionReleased(member, f.functionName, l.prior, PROTECTED);
    expect(await readBack(f)).toMatchObject({ reserved: 5, policies: [] });
  });

  it('a look-alike version a member publishes after a crash is never taken for the case’s evidence version', async () => {
    const f = await fn();
    const l = ledger();
    // The crash right after PublishVersion: Firebreak's version exists, nothing is recorded yet.
    await expect(ensureFunctionPreserved(crashingMember(1).lambda, caseOf(f), 'apply', l.record, evidenceFor(f))).rejects.toThrow(
      /crash after/,
    );
    const [ours] = (await readBack(f)).versions;
    expect(ours).toMatchObject({ Description: versionDescription(`fb-${f.functionName}`), CodeSha256: f.codeSha256 });
    // The member, who can now read the case's description, changes the code and publishes it under that description.
    const other = storedZip('index.py', 'def handler(e, c):\n    return "planted"\n');
    await admin.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: f.functionName, ZipFile: other }));
    const planted = await admin.lambda.send(
      new PublishVersionCommand({ FunctionName: f.functionName, Description: versionDescription(`fb-${f.functionName}`) }),
    );
    expect(planted.Version).not.toBe(ours.Version);
    const out = await ensureFunctionPreserved(member.lambda, caseOf(f), 'apply', l.record, evidenceFor(f));
    expect(out).toMatchObject({ version: ours.Version, codeSha256: f.codeSha256 });
    expect(l.prior.functionVersion).toMatchObject({ version: ours.Version, codeSha256: f.codeSha256 });
    const zip = await object(out.artifacts.find((a) => a.name === 'function-code.zip')!.key);
    expect(createHash('sha256').update(zip).digest('base64')).toBe(f.codeSha256);
  });

  it.each([1, 2])('a crash right after mutating call %i of release: the re-run restores the rest', async (n) => {
    const f = await fn();
    const l = ledger();
    await containAll(f, l);
    await expect(ensureFunctionReleased(crashingMember(n), f.functionName, l.prior, PROTECTED)).rejects.toThrow(/crash after/);
    await ensureFunctionReleased(member, f.functionName, l.prior, PROTECTED);
    expect(await readBack(f)).toMatchObject({ reserved: null, policies: [] });
  });

  it('a dry run (plan) makes no mutating call and records nothing', async () => {
    const f = await fn();
    const l = ledger();
    const out = await recordCalls(async () => {
      const p = await ensureFunctionPreserved(member.lambda, caseOf(f), 'plan', l.record, evidenceFor(f));
      const t = await ensureFunctionThrottled(member.lambda, f.functionName, 'plan', l.record);
      const r = await ensureFunctionRoleRevoked(
        { lambda: member.lambda, iam: member.iam, recordRole: l.recordRole },
        {
          functionName: f.functionName,
          roleArn: f.roleArn,
          cutoff: CUTOFF,
          mode: 'plan',
          protectedRoleNames: PROTECTED,
          revokeShared: false,
        },
      );
      return [...p.actions, ...t.actions, ...r.actions].map((a) => a.operation);
    });
    expect(out.error).toBeUndefined();
    expect(out.result).toEqual(['Lambda.PublishVersion', 'Lambda.PutFunctionConcurrency', 'IAM.PutRolePolicy']);
    expect(mutating(out.calls)).toEqual([]);
    expect(l.prior).toEqual({});
    expect(await readBack(f)).toEqual({ reserved: null, policies: [], versions: [] });
  });

  it('a role shared with another function is not revoked (reported), unless revokeSharedLambdaRole', async () => {
    const f = await fn();
    const other = await fn({ roleArn: f.roleArn });
    const out = await containAll(f, ledger());
    expect(out.role).toMatchObject({ roleName: f.roleName, sharedWith: [other.functionName], actions: [] });
    expect(out.role.notRevoked).toMatch(/shared with 1 other function/);
    expect(await readBack(f)).toMatchObject({ reserved: 0, policies: [] });
    await containAll(f, ledger(), member, { revokeShared: true });
    expect((await readBack(f)).policies).toEqual([ROLE_SESSION_REVOCATION_POLICY_NAME]);
  });

  it('never widens: a concurrency set since containment and a revocation policy not Firebreak’s are left as they are', async () => {
    const f = await fn();
    const l = ledger();
    await containAll(f, l);
    await admin.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: f.functionName, ReservedConcurrentExecutions: 2 }));
    const stricter = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] };
    await admin.iam.send(
      new PutRolePolicyCommand({
        RoleName: f.roleName,
        PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME,
        PolicyDocument: JSON.stringify(stricter),
      }),
    );
    const out = await ensureFunctionReleased(member, f.functionName, l.prior, PROTECTED);
    expect(out.restored).toEqual([]);
    expect(out.notRestored.map((i) => i.item).sort()).toEqual(['inline-policy', 'reserved-concurrency']);
    expect(await readBack(f)).toMatchObject({ reserved: 2, policies: [ROLE_SESSION_REVOCATION_POLICY_NAME] });
  });

  it('a protected (Firebreak) execution role is never revoked', async () => {
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    };
    const role = await admin.iam.send(
      new CreateRoleCommand({ RoleName: name('firebreak-own'), AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    const f = await fn({ roleArn: role.Role!.Arn! });
    const out = await containAll(f, ledger());
    expect(out.role.notRevoked).toMatch(/Firebreak's own/);
    expect(await readBack(f)).toMatchObject({ reserved: 0, policies: [] });
  });

  it('a failed code download does not stop preservation: the rest is stored, the code stays in the published version', async () => {
    const f = await fn();
    const failing: CodeFetcher = async () => {
      throw new Error('the code location answered HTTP 403');
    };
    const out = await ensureFunctionPreserved(member.lambda, caseOf(f), 'apply', ledger().record, evidenceFor(f), failing);
    expect(out.codeNotStored).toMatch(/download failed \(the code location answered HTTP 403\)/);
    expect(out.artifacts).toHaveLength(6);
    expect((await readBack(f)).versions).toHaveLength(1);
  });

  it('code whose SHA-256 is not the CodeSha256 is not accepted as evidence', async () => {
    const f = await fn();
    const tampered: CodeFetcher = async () => Buffer.from('not the code');
    const out = await ensureFunctionPreserved(member.lambda, caseOf(f), 'apply', ledger().record, evidenceFor(f), tampered);
    expect(out.codeNotStored).toMatch(/is not the version's CodeSha256/);
    expect(out.artifacts.map((a) => a.name)).not.toContain('function-code.zip');
    const record = JSON.parse((await object(out.artifacts.find((a) => a.name === 'function-code.json')!.key)).toString());
    expect(record).toMatchObject({ stored: false, codeSha256: f.codeSha256 });
  });
});
