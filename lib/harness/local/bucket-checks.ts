import { GetBucketVersioningCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { readBucketPolicy, readPublicAccessBlock, isFullyBlocked } from '../../runtime/s3/bucket';
import { parseBucketPolicy, statementsOf } from '../../runtime/s3/bucket-policy';
import type { BucketTwin } from './bucket-twin';
import type { Check } from './checks';
import type { LocalEnvironment } from './seed';

/** What an s3-compromise execution put on its state (`$.bucketContainment`), as far as the checks read it. */
interface ContainmentOutput {
  readonly policy?: string;
  readonly sid?: string;
  readonly publicAccessBlock?: string;
}

/**
 * The read-back of a contained bucket (s3-compromise), from the emulator with the harness's clients: versioning
 * Enabled; Firebreak's statement in the policy when a principal was denied, and every statement the twin had still
 * there; the public access block fully on when it was asked; and the case's manifest in the evidence bucket naming every
 * artifact with the SHA-256 of its stored bytes.
 */
export async function bucketContainedChecks(
  env: LocalEnvironment,
  twin: BucketTwin,
  caseId: string,
  output: ContainmentOutput | undefined,
): Promise<Check[]> {
  const s3 = env.member.s3;
  const text = await readBucketPolicy(s3, twin.bucketName);
  const statements = statementsOf(text === undefined ? undefined : parseBucketPolicy(text));
  const original = statementsOf(parseBucketPolicy(twin.policy));
  const versioning = (await s3.send(new GetBucketVersioningCommand({ Bucket: twin.bucketName }))).Status;
  const checks: Check[] = [
    { name: 'bucket-versioning-enabled', passed: versioning === 'Enabled', details: `versioning ${versioning ?? '(never enabled)'}` },
    {
      name: 'bucket-policy-kept',
      passed: original.every((o) => statements.some((s) => JSON.stringify(s) === JSON.stringify(o))),
      details: `${statements.length} statement(s) now; the bucket's own ${original.length} still there`,
    },
  ];
  if (output?.policy === 'added' || output?.policy === 'present')
    checks.push({
      name: 'bucket-principal-denied',
      passed: statements.some((s) => s.Sid === output.sid && s.Effect === 'Deny'),
      details: `statement ${output.sid ?? '?'} ${statements.some((s) => s.Sid === output.sid) ? 'present' : 'missing'}`,
    });
  if (output?.publicAccessBlock === 'turned-on' || output?.publicAccessBlock === 'already-on') {
    const pab = await readPublicAccessBlock(s3, twin.bucketName);
    checks.push({ name: 'bucket-public-access-blocked', passed: isFullyBlocked(pab), details: JSON.stringify(pab) });
  }
  checks.push(...(await manifestHashChecks(env, caseId)));
  return checks;
}

/** The case's manifest, read back: every artifact it names is in the evidence bucket with the SHA-256 it records. */
async function manifestHashChecks(env: LocalEnvironment, caseId: string): Promise<Check[]> {
  const item = (await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } })))
    .Item;
  const ref = (item?.evidence as { manifest?: { bucket: string; key: string } } | undefined)?.manifest;
  if (!ref) return [{ name: 'bucket-evidence-manifest', passed: false, details: 'the case records no manifest' }];
  const read = async (bucket: string, key: string) =>
    Buffer.from(await (await env.security.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
  const manifest = JSON.parse((await read(ref.bucket, ref.key)).toString('utf8')) as {
    artifacts: { name: string; key: string; sha256: string }[];
  };
  const bad: string[] = [];
  for (const a of manifest.artifacts) {
    const sha = createHash('sha256')
      .update(await read(ref.bucket, a.key))
      .digest('hex');
    if (sha !== a.sha256) bad.push(a.name);
  }
  return [
    {
      name: 'bucket-evidence-manifest',
      passed: manifest.artifacts.length === 5 && bad.length === 0,
      details: `${manifest.artifacts.length} artifact(s): ${manifest.artifacts.map((a) => a.name).join(', ')}${bad.length ? `; hash mismatch: ${bad.join(', ')}` : ''}`,
    },
  ];
}
