import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';

import { putArtifactOnce, receivedEventKey, sha256Hex, storeReceivedEvent } from '../../lib/runtime/evidence/vault';
import { LOCAL_SECURITY_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients, HarnessClients } from '../../lib/harness/local/harness-clients';
import { useEmulator } from '../support/emulator';

/**
 * The evidence vault's write-once objects (issue 13: one conditional PutObject, `If-None-Match: *`, instead of a
 * HeadObject then a PutObject), read back from the emulator's bucket: an existing key is never given a new version.
 */
describe('evidence vault: write once with If-None-Match', () => {
  const emulator = useEmulator();
  const bucket = 'vault-test-evidence';
  let s3: HarnessClients['s3'];
  let keyArn: string;

  beforeAll(async () => {
    const security = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT);
    s3 = security.s3;
    keyArn = (await security.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  });

  async function versions(key: string): Promise<number> {
    const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    return (out.Versions ?? []).filter((v) => v.Key === key).length;
  }

  it('writes an artifact once: a second write of another body leaves the first, one version, and returns its hash', async () => {
    const key = 'cases/111111111111/fb-1/artifacts/a.json';
    const first = await putArtifactOnce({ bucket, key, name: 'a.json', body: '{"a":1}\n', kmsKeyId: keyArn }, { s3 });
    expect(first).toMatchObject({ sha256: sha256Hex('{"a":1}\n'), bytes: 8 });
    const again = await putArtifactOnce({ bucket, key, name: 'a.json', body: '{"a":2}\n', kmsKeyId: keyArn }, { s3 });
    expect(again).toMatchObject({ sha256: first.sha256, bytes: 8, versionId: first.versionId });
    expect(await versions(key)).toBe(1);
  });

  it('writes concurrent artifacts of one key once', async () => {
    const key = 'cases/111111111111/fb-1/artifacts/b.json';
    const all = await Promise.all(
      ['1', '2', '3', '4'].map((n) => putArtifactOnce({ bucket, key, name: 'b.json', body: n, kmsKeyId: keyArn }, { s3 })),
    );
    expect(new Set(all.map((a) => a.sha256)).size).toBe(1);
    expect(await versions(key)).toBe(1);
  });

  it('stores a received event once, and refuses an object at its key whose recorded SHA-256 is another', async () => {
    const event = { id: 'e-1', detail: { n: 1 } };
    const ref = await storeReceivedEvent({ bucket, kmsKeyId: keyArn, account: '111111111111', event }, { s3 });
    expect(await storeReceivedEvent({ bucket, kmsKeyId: keyArn, account: '111111111111', event }, { s3 })).toEqual(ref);
    expect(await versions(ref.key)).toBe(1);

    const planted = { id: 'e-2' };
    const key = receivedEventKey('111111111111', sha256Hex(JSON.stringify(planted)));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'other', Metadata: { sha256: sha256Hex('other') } }));
    await expect(storeReceivedEvent({ bucket, kmsKeyId: keyArn, account: '111111111111', event: planted }, { s3 })).rejects.toMatchObject({
      name: 'VerificationFailed',
    });
    expect(await versions(key)).toBe(1);
  });
});
