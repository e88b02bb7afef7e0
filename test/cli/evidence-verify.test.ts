import { CopySnapshotCommand } from '@aws-sdk/client-ec2';
import { CopyDBSnapshotCommand, CreateDBInstanceCommand, DeleteDBSnapshotCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectRetentionCommand,
  GetObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createHash, randomBytes } from 'node:crypto';
import { harnessClients } from '../../lib/harness/local/harness-clients';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { LocalEnvironment } from '../../lib/harness/local/seed';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';

/**
 * `firebreak evidence verify <caseId>` (issue 16, item 4) against a local stack: one contained ec2-compromise case, built
 * once, verified as it is; then tampered with as an attacker could, one tamper at a time (each undone before the next,
 * the destructive one last), and verified again. Asserts on the command's lines and exit code.
 *
 * The attacker modelled holds write access in the security account short of Object Lock COMPLIANCE: DynamoDB writes
 * to the (mutable) ledger, s3:PutObject on the evidence bucket, and, in GOVERNANCE mode (the local stack's bucket),
 * s3:BypassGovernanceRetention, with which a locked version can be deleted ("Bypassing governance mode", Amazon S3
 * User Guide: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-bypass).
 * No one can change the bytes of an existing object version; what an attacker can do is write new versions, delete
 * versions (with the bypass) and rewrite what the ledger records.
 */

const BITCOIN = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';

interface ManifestRef {
  bucket: string;
  key: string;
  sha256: string;
  versionId: string;
}

/** A ledger item as DynamoDB returns it, rewritten by the tampering (the shape is the ledger's, read loosely here). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Item = Record<string, any>;

/** A snapshot chain entry of the manifest. */
interface ChainEntry {
  snapshotId: string;
  sourceVolumeId: string;
  memberSnapshotId: string;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function caseItem(env: LocalEnvironment, caseId: string): Promise<Item> {
  const out = await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } }));
  return out.Item!;
}

async function putItem(env: LocalEnvironment, item: Item): Promise<void> {
  await env.security.ddb.send(new PutCommand({ TableName: env.ledgerTable, Item: item }));
}

async function readVersion(env: LocalEnvironment, bucket: string, key: string, versionId: string): Promise<Buffer> {
  const out = await env.security.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Writes a new version of a key, as anyone with s3:PutObject on the bucket may. */
async function putVersion(env: LocalEnvironment, bucket: string, key: string, body: Buffer): Promise<string> {
  const out = await env.security.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: env.evidenceKeyArn }),
  );
  return out.VersionId!;
}

/** Deletes a locked version with the governance bypass (s3:BypassGovernanceRetention). */
async function bypassDelete(env: LocalEnvironment, bucket: string, key: string, versionId: string): Promise<void> {
  await env.security.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId, BypassGovernanceRetention: true }));
}

describe('firebreak evidence verify', () => {
  const local = useLocalSession();
  let endpoint: string;
  let caseId: string;
  let notifiedCaseId: string;
  let original: Item;
  let ref: ManifestRef;

  const verify = (id: string, ...more: string[]) => cli(['evidence', 'verify', id, '--endpoint', endpoint, ...more]);

  beforeAll(async () => {
    endpoint = local.session.sfn.endpoint;
    const contained = await replayEvent(local.session, readEventFile(BITCOIN));
    expect(contained.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    caseId = contained.report.executions[0].caseId!;
    // A notify-only case (Medium severity): no evidence is preserved.
    const e = JSON.parse(JSON.stringify(readEventFile(BITCOIN)));
    e.detail.severity = 5;
    e.detail.id = `evidence-${Math.random().toString(16).slice(2)}`;
    notifiedCaseId = (await replayEvent(local.session, e)).report.executions[0].caseId!;
    original = await caseItem(local.session.env, caseId);
    ref = original.evidence.manifest;
  }, 180_000);

  it('passes on the contained case: every check on its own line, the snapshots listed, exit 0', async () => {
    const { env } = local.session;
    const r = await verify(caseId);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toBe(`Evidence of case ${caseId} (ec2-compromise, CONTAINED)`);
    const checks = r.stdout.filter((l) => /^(PASS|FAIL) /.test(l));
    expect(checks.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    const manifest = JSON.parse((await readVersion(env, ref.bucket, ref.key, ref.versionId)).toString('utf8'));
    // bucket, manifest (content, lock, history, parsed), 3 per artifact, the case prefix, the chain, two per snapshot
    // (the snapshot, its EBS snapshot lock).
    expect(checks).toHaveLength(1 + 4 + 3 * manifest.artifacts.length + 1 + 1 + 2 * manifest.snapshots.length);
    expect(checks).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^PASS  manifest +s3://${env.evidenceBucket}/${ref.key}@${ref.versionId}: SHA-256 ${ref.sha256}, \\d+ bytes, as recorded$`,
        ),
      ),
    );
    expect(checks).toContainEqual(expect.stringMatching(/^PASS {2}manifest lock +.*: GOVERNANCE until \S+, legal hold OFF$/));
    for (const a of manifest.artifacts)
      expect(checks).toContainEqual(
        expect.stringMatching(new RegExp(`^PASS  artifact ${a.name} +.*SHA-256 ${a.sha256}, ${a.bytes} bytes`)),
      );
    for (const s of manifest.snapshots) {
      expect(checks).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^PASS  snapshot ${s.snapshotId} +copy of ${s.sourceVolumeId}, owner ${env.securityAccount}, encrypted under ${env.evidenceKeyArn}, completed$`,
          ),
        ),
      );
      // The local stack's Lambdas lock in the template's default mode, COMPLIANCE (stricter than the bucket's GOVERNANCE).
      expect(checks).toContainEqual(expect.stringMatching(new RegExp(`^PASS  snapshot lock ${s.snapshotId} +compliance until \\S+$`)));
      expect(r.stdout).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^  ${s.snapshotId}  volume ${s.sourceVolumeId}  owner ${env.securityAccount}  key ${env.evidenceKeyArn}  encrypted  completed  lock compliance until \\S+$`,
          ),
        ),
      );
    }
    expect(r.stdout.at(-1)).toBe(`Summary: ${checks.length} checks, all passed: the evidence of case ${caseId} verifies`);

    const json = await verify(caseId, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout.join('\n'))).toMatchObject({
      caseId,
      verdict: 'verified',
      snapshots: manifest.snapshots.map((s: ChainEntry) =>
        expect.objectContaining({ snapshotId: s.snapshotId, ownerAccount: env.securityAccount }),
      ),
    });
  });

  it("rds-compromise: lists and checks the security account's DB snapshot copy named by the verified snapshots.json", async () => {
    const { env } = local.session;
    // guardduty-rds-medium.json raised to the High type of "RDS Protection finding types" (GuardDuty User Guide,
    // https://docs.aws.amazon.com/guardduty/latest/ug/findings-rds-protection.html), on this test's own DB instance, as
    // test/playbook/rds-compromise.test.ts does.
    const db = `orders-${randomBytes(4).toString('hex')}`;
    await env.member.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: db,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'admin1',
        MasterUserPassword: 'password-123',
        AllocatedStorage: 20,
        StorageEncrypted: true,
      }),
    );
    const e = structuredClone(readEventFile('fixtures/events/guardduty-rds-medium.json')) as Item;
    e.detail.type = 'CredentialAccess:RDS/TorIPCaller.SuccessfulLogin';
    e.detail.severity = 8;
    e.detail.id = randomBytes(16).toString('hex');
    e.detail.resource.rdsDbInstanceDetails.dbInstanceIdentifier = db;
    const x = (await replayEvent(local.session, e as Parameters<typeof replayEvent>[1])).report.executions[0];
    expect(x).toMatchObject({ playbook: 'rds-compromise', outcome: 'CONTAINED' });
    const r = await verify(x.caseId!);
    expect(r.stdout.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(r.code).toBe(0);
    const line = r.stdout.find((l) => l.startsWith('PASS  db snapshot '))!;
    expect(line.replace(/ {2,}/g, '  ')).toMatch(
      new RegExp(
        `^PASS  db snapshot (firebreak-evidence-\\S+)  DB instance ${db}, owner ${env.securityAccount}, encrypted under ${env.evidenceKeyArn}, available$`,
      ),
    );
    expect(r.stdout).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^  firebreak-evidence-\\S+  DB instance ${db}  owner ${env.securityAccount}  key ${env.evidenceKeyArn}  encrypted  available$`,
        ),
      ),
    );
    // The ledger's playbook is not trusted: rewritten to one without a DB snapshot chain, it would skip the DB snapshot
    // check; the hashed manifest names the playbook, and the two must agree.
    const item = await caseItem(env, x.caseId!);
    await putItem(env, { ...item, playbook: 'ec2-compromise' });
    try {
      const forged = await verify(x.caseId!);
      expect(forged.code).toBe(1);
      expect(forged.stdout).toContainEqual(
        expect.stringMatching(/^FAIL {2}manifest content +playbook rds-compromise, the ledger says ec2-compromise/),
      );
    } finally {
      await putItem(env, item);
    }
    // Last (destructive): the security copy replaced under the same identifier, which the creator of a DB snapshot
    // chooses. Deleted, then copied again (from the transit copy still shared with the security account) under the
    // evidence key: owner, key, encryption and status all hold; the creation time RDS gives the copy does not.
    const copyId = /^PASS {2}db snapshot (\S+)/.exec(line)![1];
    const securityRds = harnessClients(env.endpoint, env.securityAccount).rds;
    const genuine = (await securityRds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: copyId }))).DBSnapshots![0];
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await securityRds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: copyId }));
    await securityRds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: genuine.SourceDBSnapshotIdentifier,
        TargetDBSnapshotIdentifier: copyId,
        KmsKeyId: env.evidenceKeyArn,
      }),
    );
    const replaced = await verify(x.caseId!);
    expect(replaced.code).toBe(1);
    expect(replaced.stdout.filter((l) => l.startsWith('FAIL')).map((l) => l.replace(/ {2,}/g, '  '))).toEqual([
      expect.stringMatching(
        new RegExp(`^FAIL  db snapshot ${copyId}  created \\S+, recorded ${genuine.SnapshotCreateTime!.toISOString().slice(0, 19)}`),
      ),
    ]);
  });

  it('reports a case with no evidence as such, exit 1, and refuses a malformed or unknown case ID with exit 2', async () => {
    const none = await verify(notifiedCaseId);
    expect(none.code).toBe(1);
    expect(none.stdout).toEqual([
      `Evidence of case ${notifiedCaseId} (ec2-compromise, NOTIFIED)`,
      'NO EVIDENCE  the case is NOTIFIED: its playbook preserved nothing (a manifest is recorded only once evidence is preserved)',
      `Summary: nothing to verify: case ${notifiedCaseId} records no evidence`,
    ]);
    const bad = await verify('fb-1-x');
    expect([bad.code, bad.stdout, bad.stderr]).toEqual([2, [], [expect.stringMatching(/fb-1-x is not a case ID/)]]);
    const unknown = await verify('fb-20261204-0000000000');
    expect([unknown.code, unknown.stderr]).toEqual([2, [expect.stringMatching(/no case fb-20261204-0000000000 in the ledger/)]]);
  });

  it('fails naming the snapshot when the recorded copy is replaced by one another account owns (manifest and ledger rewritten to match)', async () => {
    const { env } = local.session;
    // The attacker swaps the security account's copy for the member account's own snapshot of the volume (which the
    // member account, i.e. the compromised side, controls), and covers it: a new manifest version naming it, and the
    // ledger's manifest reference (version, SHA-256), chain and snapshot record rewritten to match. Every hash then agrees;
    // the snapshot read back by ID does not belong to the security account.
    const manifestText = (await readVersion(env, ref.bucket, ref.key, ref.versionId)).toString('utf8');
    const manifest = JSON.parse(manifestText);
    const chain = manifest.snapshots[0];
    const swapped = manifestText.split(chain.snapshotId).join(chain.memberSnapshotId);
    const forgedVersion = await putVersion(env, ref.bucket, ref.key, Buffer.from(swapped));
    const evidence = JSON.parse(JSON.stringify(original.evidence));
    evidence.manifest = { ...ref, versionId: forgedVersion, sha256: sha(swapped) };
    evidence.snapshots = JSON.parse(swapped).snapshots;
    evidence[`snapshot#evidence#${chain.sourceVolumeId}`].snapshotId = chain.memberSnapshotId;
    await putItem(env, { ...original, evidence });
    try {
      const r = await verify(caseId);
      expect(r.code).toBe(1);
      expect(r.stdout).toContainEqual(expect.stringMatching(new RegExp(`^PASS  manifest +.*@${forgedVersion}: SHA-256 ${sha(swapped)}`)));
      expect(r.stdout).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^FAIL  snapshot ${chain.memberSnapshotId} +owner ${env.memberAccount}, not the security account ${env.securityAccount}`,
          ),
        ),
      );
      expect(r.stdout).toContainEqual(
        expect.stringMatching(new RegExp(`^FAIL  manifest history +.*another version was written to the key: ${ref.versionId}`)),
      );
      expect(r.stdout.at(-1)).toMatch(/checks, \d+ failed: the evidence of case .* does NOT verify$/);
    } finally {
      await putItem(env, original);
      await bypassDelete(env, ref.bucket, ref.key, forgedVersion);
    }
    expect((await verify(caseId)).code).toBe(0);
  });

  it("fails naming the snapshot's lock when the recorded copy is swapped for an unlocked copy of it (manifest and ledger rewritten to match)", async () => {
    const { env } = local.session;
    // The locked copy cannot be deleted; the attacker copies it within the security account (owner, key, encryption
    // and state all hold), names the unlocked copy in a new manifest version and in the ledger, to delete it later.
    const manifestText = (await readVersion(env, ref.bucket, ref.key, ref.versionId)).toString('utf8');
    const chain = JSON.parse(manifestText).snapshots[0];
    const unlocked = (
      await env.security.ec2.send(
        new CopySnapshotCommand({
          SourceSnapshotId: chain.snapshotId,
          SourceRegion: env.region,
          Encrypted: true,
          KmsKeyId: env.evidenceKeyArn,
        }),
      )
    ).SnapshotId!;
    const swapped = manifestText.split(chain.snapshotId).join(unlocked);
    const forgedVersion = await putVersion(env, ref.bucket, ref.key, Buffer.from(swapped));
    const evidence = JSON.parse(JSON.stringify(original.evidence));
    evidence.manifest = { ...ref, versionId: forgedVersion, sha256: sha(swapped) };
    evidence.snapshots = JSON.parse(swapped).snapshots;
    evidence[`snapshot#evidence#${chain.sourceVolumeId}`].snapshotId = unlocked;
    await putItem(env, { ...original, evidence });
    try {
      const r = await verify(caseId);
      expect(r.code).toBe(1);
      expect(r.stdout).toContainEqual(expect.stringMatching(new RegExp(`^PASS  snapshot ${unlocked} +copy of ${chain.sourceVolumeId}`)));
      expect(r.stdout).toContainEqual(
        expect.stringMatching(new RegExp(`^FAIL  snapshot lock ${unlocked} +not locked \\(lock state none\\)`)),
      );
      expect(r.stdout).toContainEqual(expect.stringMatching(new RegExp(`^  ${unlocked}  .*  completed  lock none$`)));
    } finally {
      await putItem(env, original);
      await bypassDelete(env, ref.bucket, ref.key, forgedVersion);
    }
    expect((await verify(caseId)).code).toBe(0);
  });

  it('fails when the manifest is changed: the ledger pointed at a forged version, the recorded hash kept', async () => {
    const { env } = local.session;
    // The attacker writes a manifest that leaves out an artifact and points the ledger's reference at it, keeping the
    // recorded SHA-256 (the hash of the genuine manifest): the bytes read at the recorded version do not match.
    const manifest = JSON.parse((await readVersion(env, ref.bucket, ref.key, ref.versionId)).toString('utf8'));
    const dropped = manifest.artifacts[0].name;
    const forged = `${JSON.stringify({ ...manifest, artifacts: manifest.artifacts.slice(1) }, null, 2)}\n`;
    const forgedVersion = await putVersion(env, ref.bucket, ref.key, Buffer.from(forged));
    await putItem(env, { ...original, evidence: { ...original.evidence, manifest: { ...ref, versionId: forgedVersion } } });
    try {
      const r = await verify(caseId);
      expect(r.code).toBe(1);
      expect(r.stdout).toContainEqual(
        expect.stringMatching(
          new RegExp(`^FAIL  manifest +s3://${ref.bucket}/${ref.key}@${forgedVersion}: SHA-256 ${sha(forged)}, recorded ${ref.sha256}`),
        ),
      );
      // Unverified, the manifest's list is not trusted: no artifact is checked against it.
      expect(r.stdout.some((l) => l.includes(`artifact ${dropped}`))).toBe(false);
    } finally {
      await putItem(env, original);
      await bypassDelete(env, ref.bucket, ref.key, forgedVersion);
    }
    expect((await verify(caseId)).code).toBe(0);
  });

  it("fails when the ledger names a bucket another account owns (the evidence copied there, out of the security account's reach)", async () => {
    const { env } = local.session;
    // The attacker copies the evidence into a bucket of an account they control (here the member account) and points
    // the ledger at it. Every S3 call is sent with ExpectedBucketOwner = the security account, so S3 refuses (403).
    const bucket = `elsewhere-${randomBytes(4).toString('hex')}`;
    await env.member.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    await putItem(env, { ...original, evidence: { ...original.evidence, manifest: { ...ref, bucket } } });
    try {
      const r = await verify(caseId);
      expect(r.code).toBe(1);
      expect(r.stdout.filter((l) => /^(PASS|FAIL) /.test(l))).toEqual([
        `FAIL  bucket  ${bucket}: S3 refused to read it as the security account's (${env.securityAccount}) bucket (403): another account owns it, or the caller may not read its Object Lock configuration`,
      ]);
    } finally {
      await putItem(env, original);
    }
  });

  it("fails an artifact whose lock was shortened below the bucket's retention (PutObjectRetention with the governance bypass)", async () => {
    const { env } = local.session;
    // The first step of deleting evidence in GOVERNANCE mode: shorten the version's retention (allowed with the bypass,
    // PutObjectRetention: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html), then wait.
    const manifest = JSON.parse((await readVersion(env, ref.bucket, ref.key, ref.versionId)).toString('utf8'));
    const a = manifest.artifacts.find((x: { name: string }) => x.name === 'instance.json');
    const at = { Bucket: ref.bucket, Key: a.key, VersionId: a.versionId };
    const head = await env.security.s3.send(new GetObjectCommand(at));
    await head.Body!.transformToByteArray();
    const before = { Mode: head.ObjectLockMode, RetainUntilDate: head.ObjectLockRetainUntilDate };
    const shortened = new Date(Date.now() + 3_600_000);
    await env.security.s3.send(
      new PutObjectRetentionCommand({
        ...at,
        BypassGovernanceRetention: true,
        Retention: { Mode: 'GOVERNANCE', RetainUntilDate: shortened },
      }),
    );
    try {
      const r = await verify(caseId);
      expect(r.code).toBe(1);
      const failed = r.stdout.filter((l) => l.startsWith('FAIL')).map((l) => l.replace(/ {2,}/g, '  '));
      expect(failed).toEqual([
        expect.stringMatching(
          new RegExp(
            `^FAIL  artifact instance\\.json lock  s3://${ref.bucket}/${a.key}@${a.versionId}: retained until ${shortened.toISOString().slice(0, 19)}\\S*, short of 1 days from its creation`,
          ),
        ),
      ]);
    } finally {
      await env.security.s3.send(new PutObjectRetentionCommand({ ...at, Retention: before }));
    }
    expect((await verify(caseId)).code).toBe(0);
  });

  it("fails when the ledger points at a forged manifest under a new key that leaves an artifact out (every object under the case's prefix must be accounted for)", async () => {
    const { env } = local.session;
    // With s3:PutObject and the ledger, the attacker writes a new manifest under a fresh key of the case's prefix (one
    // version, the bucket's default lock applies) listing every artifact but one, and points the ledger at it: its hash,
    // version, lock and history all check. The genuine manifest and the left-out artifact are still in the bucket (locked).
    const manifest = JSON.parse((await readVersion(env, ref.bucket, ref.key, ref.versionId)).toString('utf8'));
    const dropped = manifest.artifacts.find((x: { key: string }) => x.key.startsWith(ref.key.replace(/manifest\.json$/, '')));
    const forged = `${JSON.stringify({ ...manifest, artifacts: manifest.artifacts.filter((x: { key: string }) => x !== dropped) }, null, 2)}\n`;
    const forgedKey = ref.key.replace(/manifest\.json$/, `manifest-${randomBytes(8).toString('hex')}.json`);
    const forgedVersion = await putVersion(env, ref.bucket, forgedKey, Buffer.from(forged));
    const forgedRef = { bucket: ref.bucket, key: forgedKey, sha256: sha(forged), versionId: forgedVersion };
    const prefix = ref.key.replace(/manifest\.json$/, '');
    try {
      await putItem(env, { ...original, evidence: { ...original.evidence, manifest: forgedRef } });
      const r = await verify(caseId);
      expect(r.code).toBe(1);
      expect(r.stdout.map((l) => l.replace(/ {2,}/g, '  '))).toContainEqual(
        `FAIL  case prefix  s3://${ref.bucket}/${prefix}: the manifest does not list ${[ref.key, dropped.key].sort().join(', ')}`,
      );
      // The genuine manifest marked superseded in the ledger too: the left-out artifact still fails.
      const superseded = {
        ...original.evidence,
        manifest: forgedRef,
        [`superseded#${ref.key}`]: { ...ref, supersededAt: new Date().toISOString() },
      };
      await putItem(env, { ...original, evidence: superseded });
      const again = await verify(caseId);
      expect(again.code).toBe(1);
      expect(again.stdout.map((l) => l.replace(/ {2,}/g, '  '))).toContainEqual(
        `FAIL  case prefix  s3://${ref.bucket}/${prefix}: the manifest does not list ${dropped.key}`,
      );
    } finally {
      await putItem(env, original);
      await bypassDelete(env, ref.bucket, forgedKey, forgedVersion);
    }
    const r = await verify(caseId);
    expect(r.code).toBe(0);
    expect(r.stdout.map((l) => l.replace(/ {2,}/g, '  '))).toContainEqual(
      expect.stringMatching(
        new RegExp(`^PASS  case prefix  s3://${ref.bucket}/${prefix}: \\d+ object\\(s\\), each the manifest or an artifact it lists$`),
      ),
    );
  });

  it('fails a forged manifest that adds an artifact when the ledger records the genuine one as superseded (a superseded manifest lists the same artifacts)', async () => {
    const { env } = local.session;
    // The attacker adds a fabricated artifact under the case's prefix and a manifest under a fresh key that lists it with
    // every genuine artifact; the ledger names the forgery and records the genuine manifest as superseded (as a re-run
    // that replaced a snapshot would: CaseLedger.supersedeManifest). Every object under the prefix is then accounted for.
    const manifest = JSON.parse((await readVersion(env, ref.bucket, ref.key, ref.versionId)).toString('utf8'));
    const prefix = ref.key.replace(/manifest\.json$/, '');
    const extra = Buffer.from('{"planted": true}\n');
    const extraKey = `${prefix}artifacts/planted-${randomBytes(4).toString('hex')}.json`;
    const extraVersion = await putVersion(env, ref.bucket, extraKey, extra);
    const artifacts = [
      ...manifest.artifacts,
      { name: 'planted.json', key: extraKey, sha256: sha(extra), bytes: extra.length, versionId: extraVersion },
    ];
    const forged = `${JSON.stringify({ ...manifest, artifacts }, null, 2)}\n`;
    const forgedKey = `${prefix}manifest-${randomBytes(8).toString('hex')}.json`;
    const forgedVersion = await putVersion(env, ref.bucket, forgedKey, Buffer.from(forged));
    const evidence = {
      ...original.evidence,
      manifest: { bucket: ref.bucket, key: forgedKey, sha256: sha(forged), versionId: forgedVersion },
      [`superseded#${ref.key}`]: { ...ref, supersededAt: new Date().toISOString() },
    };
    await putItem(env, { ...original, evidence });
    try {
      const r = await verify(caseId);
      expect(r.code).toBe(1);
      expect(r.stdout.filter((l) => l.startsWith('FAIL')).map((l) => l.replace(/ {2,}/g, '  '))).toEqual([
        `FAIL  superseded manifest content  s3://${ref.bucket}/${ref.key}@${ref.versionId}: lists other artifacts than the manifest (the manifest also lists ${extraKey})`,
      ]);
      // The superseded record named after the genuine manifest but pointing at the forgery: the key read is the record's.
      const forgedRef = evidence.manifest;
      await putItem(env, {
        ...original,
        evidence: { ...evidence, [`superseded#${ref.key}`]: { ...forgedRef, supersededAt: new Date().toISOString() } },
      });
      const again = await verify(caseId);
      expect(again.code).toBe(1);
      expect(again.stdout.map((l) => l.replace(/ {2,}/g, '  '))).toContainEqual(
        `FAIL  case prefix  s3://${ref.bucket}/${prefix}: the manifest does not list ${ref.key}`,
      );
    } finally {
      await putItem(env, original);
      await bypassDelete(env, ref.bucket, forgedKey, forgedVersion);
      await bypassDelete(env, ref.bucket, extraKey, extraVersion);
    }
  });

  it('fails an evidence object not encrypted under the evidence key (a manifest written with SSE-S3, needing no KMS permission)', async () => {
    const { env } = local.session;
    // s3:PutObject alone, without kms:GenerateDataKey on the evidence key, still writes an object with SSE-S3. The
    // attacker copies the genuine manifest's bytes to a fresh key that way, marks the genuine one superseded in the ledger
    // and points the ledger at the copy: every hash, lock and listing agrees; only the copy's encryption does not.
    const text = await readVersion(env, ref.bucket, ref.key, ref.versionId);
    const copyKey = ref.key.replace(/manifest\.json$/, `manifest-${randomBytes(8).toString('hex')}.json`);
    const out = await env.security.s3.send(
      new PutObjectCommand({ Bucket: ref.bucket, Key: copyKey, Body: text, ServerSideEncryption: 'AES256' }),
    );
    const copyRef = { bucket: ref.bucket, key: copyKey, sha256: ref.sha256, versionId: out.VersionId! };
    const evidence = {
      ...original.evidence,
      manifest: copyRef,
      [`superseded#${ref.key}`]: { ...ref, supersededAt: new Date().toISOString() },
    };
    await putItem(env, { ...original, evidence });
    try {
      const r = await verify(caseId);
      expect(r.code).toBe(1);
      expect(r.stdout.filter((l) => l.startsWith('FAIL')).map((l) => l.replace(/ {2,}/g, '  '))).toEqual([
        `FAIL  manifest  s3://${ref.bucket}/${copyKey}@${out.VersionId}: encrypted under no KMS key, not ${env.evidenceKeyArn}`,
      ]);
    } finally {
      await putItem(env, original);
      await bypassDelete(env, ref.bucket, copyKey, out.VersionId!);
    }
  });

  it('fails naming the artifact when one byte of it is changed (its recorded version deleted with the governance bypass, a changed one put)', async () => {
    const { env } = local.session;
    // Last: a deleted version cannot be restored. The attacker deletes the recorded version of one artifact with the
    // governance bypass and writes the same bytes with one changed; the manifest still names the deleted version.
    const manifest = JSON.parse((await readVersion(env, ref.bucket, ref.key, ref.versionId)).toString('utf8'));
    const a = manifest.artifacts.find((x: { name: string }) => x.name === 'instance.json') ?? manifest.artifacts[0];
    const bytes = await readVersion(env, ref.bucket, a.key, a.versionId);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    await bypassDelete(env, ref.bucket, a.key, a.versionId);
    const changed = await putVersion(env, ref.bucket, a.key, bytes);
    const r = await verify(caseId);
    expect(r.code).toBe(1);
    const failed = r.stdout.filter((l) => l.startsWith('FAIL'));
    expect(failed).toHaveLength(1);
    expect(failed[0].replace(/ {2,}/g, '  ')).toBe(
      `FAIL  artifact ${a.name}  s3://${ref.bucket}/${a.key}@${a.versionId}: the recorded version is gone (the key now has version(s) ${changed})`,
    );
    expect(r.stdout.at(-1)).toMatch(/checks, 1 failed/);
  });
});
