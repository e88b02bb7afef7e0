import { DeleteObjectCommand, GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { buildCredentialTwin, CredentialTwin } from '../../lib/harness/local/credential-twin';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalEnvironment } from '../../lib/harness/local/seed';
import { GuardDutyEventSchema } from '../../lib/core/incident/schema';
import { lookupPrincipalEvents } from '../../lib/runtime/evidence/principal-events';
import { awsDenyAllPolicyArn } from '../../lib/runtime/iam/policies';
import { verifyRevocationState } from '../../lib/harness/local/checks';
import { cli } from '../support/cli';
import { denyLookupEvents } from '../support/deny-lookup';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * PreserveCredentialEvidence (issue 16, item 4) on the emulator: a High IAM-user finding contained by
 * credential-compromise, its evidence read back from the vault, the manifest and the ledger independently of the step's
 * result; `firebreak evidence verify` passes, and fails once one byte of an artifact changes. One world per file.
 * The principal's CloudTrail records are the documented StopLogging record (fixtures/events/cloudtrail-stoplogging.json,
 * user `ci-deployer` and key `AKIAEXAMPLEKEY000001`, the same principal as guardduty-iamuser-anomalous.json), its user
 * and key remapped to the twin's as the replay remaps the finding, as LookupEvents' `Event` carries a record
 * (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Event.html).
 */

const USER = 'fixtures/events/guardduty-iamuser-anomalous.json';
const STOP_LOGGING = 'fixtures/events/cloudtrail-stoplogging.json';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface ManifestDoc {
  playbook: string;
  artifacts: { name: string; key: string; sha256: string; bytes: number; versionId?: string }[];
}

/** The stored record as LookupEvents returns it, for the twin's user and key, `minutes` after `at`. */
function lookupEventOf(twin: CredentialTwin, at: Date, minutes: number, n: number) {
  const detail = (readEventFile(STOP_LOGGING) as EventEnvelope & { detail: Record<string, unknown> }).detail as {
    userIdentity: Record<string, string>;
    eventID: string;
    eventName: string;
    eventSource: string;
    readOnly: boolean;
  };
  const t = new Date(at.getTime() + minutes * 60_000);
  const record = {
    ...detail,
    userIdentity: { ...detail.userIdentity, userName: twin.userName!, accessKeyId: twin.accessKeyId! },
    eventTime: t.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventID: `${detail.eventID.slice(0, -3)}${String(n).padStart(3, '0')}`,
  };
  return {
    EventId: record.eventID,
    EventName: record.eventName,
    ReadOnly: String(record.readOnly),
    AccessKeyId: twin.accessKeyId,
    EventTime: t.getTime() / 1000,
    EventSource: record.eventSource,
    Username: twin.userName,
    Resources: [],
    CloudTrailEvent: JSON.stringify(record),
  };
}

/** Puts events in the member's us-east-1 event history (the emulator's FirebreakRecordEvents, emulator/firebreak_moto/cloudtrail_lookup.py). */
async function recordEvents(env: LocalEnvironment, events: unknown[]): Promise<void> {
  const r = await fetch(`${env.endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'CloudTrail_20131101.FirebreakRecordEvents',
      'x-moto-account-id': env.memberAccount,
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/cloudtrail/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify({ Region: 'us-east-1', Events: events }),
  });
  expect(r.status).toBe(200);
}

async function read(env: LocalEnvironment, key: string, versionId?: string): Promise<Buffer> {
  const out = await env.security.s3.send(new GetObjectCommand({ Bucket: env.evidenceBucket, Key: key, VersionId: versionId }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

async function versionsOf(env: LocalEnvironment, prefix: string) {
  const out = await env.security.s3.send(new ListObjectVersionsCommand({ Bucket: env.evidenceBucket, Prefix: prefix }));
  return (out.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`).sort();
}

describe('credential evidence: PreserveCredentialEvidence (credential-compromise, emulator)', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });
  let caseId: string;
  let twin: CredentialTwin;
  let manifest: ManifestDoc;
  let docs: Record<string, Record<string, unknown>>;
  let firstVersions: string[];
  let prefix: string;
  let finalState: Record<string, unknown>;

  beforeAll(async () => {
    const { env } = local.session;
    const event = JSON.parse(JSON.stringify(readEventFile(USER)));
    event.detail.severity = 8;
    twin = await buildCredentialTwin(GuardDutyEventSchema.parse(event), env.member);
    const at = new Date(event.time);
    // Three calls of the principal around the finding, one of another user, one a day and a half before (outside).
    const other = { ...twin, userName: 'someone-else', accessKeyId: 'AKIAEXAMPLEKEY000002' };
    const paged = { ...twin, userName: 'paged-user', accessKeyId: 'AKIAEXAMPLEKEY000003' };
    await recordEvents(env, [
      lookupEventOf(twin, at, -60, 1),
      lookupEventOf(twin, at, 5, 2),
      lookupEventOf(twin, at, 10, 3),
      lookupEventOf(other, at, 7, 4),
      lookupEventOf(twin, at, -36 * 60, 5),
      // 55 calls of another user, for the page cap.
      ...Array.from({ length: 55 }, (_, n) => lookupEventOf(paged, at, n, 100 + n)),
    ]);
    // Crash right after the evidence step returned, then the same finding again: the case is resumed and every step runs
    // again (the revocation converges, the evidence is written once).
    const crashed = await replayEvent(local.session, event, {
      credentialTwin: twin,
      execute: { crashAfter: 'PreserveCredentialEvidence' },
    });
    caseId = crashed.report.executions[0].caseId!;
    prefix = `cases/${env.memberAccount}/${caseId}/`;
    firstVersions = await versionsOf(env, prefix);
    const { report, executions } = await replayEvent(local.session, event, { credentialTwin: twin });
    finalState = executions[0].output!;
    expect(report.executions[0]).toMatchObject({ playbook: 'credential-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    const { item } = await readCase(env, caseId);
    const ref = item!.evidence.manifest as { key: string; versionId: string; sha256: string };
    const text = await read(env, ref.key, ref.versionId);
    expect(sha(text)).toBe(ref.sha256);
    manifest = JSON.parse(text.toString('utf8')) as ManifestDoc;
    docs = {};
    for (const a of manifest.artifacts.filter((x) => x.key.includes('/credential/')))
      docs[a.name] = JSON.parse((await read(env, a.key, a.versionId)).toString('utf8')) as Record<string, unknown>;
  }, 240_000);

  it('stores each artifact once, its SHA-256 in the manifest, the finding as the event Normalize stored', async () => {
    const { env } = local.session;
    expect(manifest.playbook).toBe('credential-compromise');
    expect(manifest.artifacts.map((a) => a.name).sort()).toEqual([
      'cloudtrail-events.json',
      'finding.json',
      'policies-after.json',
      'policies-before.json',
    ]);
    for (const a of manifest.artifacts) {
      const bytes = await read(env, a.key, a.versionId);
      expect([a.name, sha(bytes), bytes.length]).toEqual([a.name, a.sha256, a.bytes]);
    }
    const finding = manifest.artifacts.find((a) => a.name === 'finding.json')!;
    expect(finding.key).toMatch(new RegExp(`^received-events/${env.memberAccount}/${finding.sha256}\\.json$`));
    // The re-run after the crash wrote no new version of anything under the case's prefix.
    expect(await versionsOf(env, prefix)).toEqual(firstVersions);
  });

  it("keeps the principal's records in the window (newest first), not another user's nor older ones, and says it was not truncated", () => {
    const ct = docs['cloudtrail-events.json'] as {
      lookupAttribute: { key: string; value: string };
      regions: { region: string; truncated: boolean; events: { EventId: string; Username: string }[] }[];
      truncated: boolean;
      pageCap: number;
    };
    expect(ct.lookupAttribute).toMatchObject({ key: 'Username', value: twin.userName });
    expect(ct.regions.map((r) => r.region)).toEqual(['us-east-1']);
    expect(ct.regions[0].events.map((e) => e.EventId.slice(-3))).toEqual(['003', '002', '001']);
    expect([ct.truncated, ct.pageCap]).toEqual([false, 10]);
  });

  it('records the policies before containment (the prior state) and after (AWSDenyAll attached)', () => {
    const before = docs['policies-before.json'] as { user: { attachedPolicies: string[]; inlinePolicies: string[] } };
    const after = docs['policies-after.json'] as { user: { attachedPolicies: string[]; inlinePolicies: string[] } };
    expect(before.user.attachedPolicies).not.toContain(awsDenyAllPolicyArn());
    expect(before.user.inlinePolicies).toEqual(['deploy']);
    expect(after.user.attachedPolicies).toContain(awsDenyAllPolicyArn());
    expect(after.user.inlinePolicies).toEqual(['deploy']);
  });

  it('runs after the revocation, on the timeline', async () => {
    const { timeline } = await readCase(local.session.env, caseId);
    const steps = timeline.map((e) => `${e.step}:${e.status}`);
    expect(steps).toContain('PreserveCredentialEvidence:SUCCEEDED');
    const firstEvidence = timeline.findIndex((e) => e.step === 'PreserveCredentialEvidence');
    expect(timeline.findIndex((e) => e.step === 'RevokeCredentials')).toBeLessThan(firstEvidence);
  });

  it('pages LookupEvents (50 a page, paced 500 ms apart) with a cap, and says when the cap cut it short', async () => {
    const cloudtrail = local.session.env.member.cloudtrail;
    const lookup = { key: 'Username' as const, value: 'paged-user', why: '' };
    const window = { start: '2000-01-01T00:00:00Z', end: new Date().toISOString(), region: 'us-east-1' };
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const capped = await lookupPrincipalEvents(cloudtrail, { lookup, ...window, pageCap: 1 }, sleep);
    expect([capped.pages, capped.events.length, capped.truncated, waits]).toEqual([1, 50, true, []]);
    const whole = await lookupPrincipalEvents(cloudtrail, { lookup, ...window, pageCap: 2 }, sleep);
    expect([whole.pages, whole.events.length, whole.truncated, waits]).toEqual([2, 55, false, [500]]);
  });

  it('converges when the step runs twice at once on the contained case: no new version, the recorded manifest kept', async () => {
    const { env } = local.session;
    const { handler } = await import('../../lambdas/preserve-credential-evidence');
    const context = {
      functionName: 'firebreak-preserve-credential-evidence',
      awsRequestId: 'concurrent',
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Context;
    const before = (await readCase(env, caseId)).item!.evidence.manifest as { sha256: string; versionId: string };
    const runs = (await Promise.all([handler(finalState, context), handler(finalState, context)])) as { manifest: { sha256: string } }[];
    expect(runs.map((r) => r.manifest.sha256)).toEqual([before.sha256, before.sha256]);
    expect(await versionsOf(env, prefix)).toEqual(firstVersions);
    expect((await readCase(env, caseId)).item!.evidence.manifest).toEqual(before);
  });

  it('evidence verify passes on the contained case and fails once one byte of a new artifact changes', async () => {
    const { env } = local.session;
    const endpoint = local.session.sfn.endpoint;
    const ok = await cli(['evidence', 'verify', caseId, '--endpoint', endpoint]);
    expect(ok.stdout.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(ok.code).toBe(0);
    const a = manifest.artifacts.find((x) => x.name === 'cloudtrail-events.json')!;
    const bytes = await read(env, a.key, a.versionId);
    bytes[bytes.length - 2] ^= 1;
    // As an attacker with the governance bypass could: delete the locked version, put changed bytes.
    await env.security.s3.send(
      new DeleteObjectCommand({ Bucket: env.evidenceBucket, Key: a.key, VersionId: a.versionId, BypassGovernanceRetention: true }),
    );
    await env.security.s3.send(
      new PutObjectCommand({
        Bucket: env.evidenceBucket,
        Key: a.key,
        Body: bytes,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: env.evidenceKeyArn,
      }),
    );
    const bad = await cli(['evidence', 'verify', caseId, '--endpoint', endpoint]);
    expect(bad.code).toBe(1);
    expect(bad.stdout.filter((l) => l.startsWith('FAIL')).join('\n')).toContain('cloudtrail-events.json');
  });

  it('keeps the same evidence for a cloudtrail-tamper case (StopLogging by an IAM user), and evidence verify passes', async () => {
    const { env } = local.session;
    const { report } = await replayEvent(local.session, readEventFile(STOP_LOGGING));
    expect(report.executions[0]).toMatchObject({ playbook: 'cloudtrail-tamper', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const tamperCase = report.executions[0].caseId!;
    const { item, timeline } = await readCase(env, tamperCase);
    const ref = item!.evidence.manifest as { key: string; versionId: string };
    const doc = JSON.parse((await read(env, ref.key, ref.versionId)).toString('utf8')) as ManifestDoc;
    expect([doc.playbook, doc.artifacts.map((a) => a.name).sort()]).toEqual([
      'cloudtrail-tamper',
      ['cloudtrail-events.json', 'finding.json', 'policies-after.json', 'policies-before.json'],
    ]);
    const events = doc.artifacts.find((a) => a.name === 'cloudtrail-events.json')!;
    const ct = JSON.parse((await read(env, events.key, events.versionId)).toString('utf8')) as {
      lookupAttribute: { key: string; value: string };
    };
    expect(ct.lookupAttribute.key).toBe('Username');
    expect(ct.lookupAttribute.value).toMatch(/^ci-deployer-/);
    const steps = timeline.map((e) => e.step);
    expect(steps.indexOf('VerifyTamperResponse')).toBeLessThan(steps.indexOf('PreserveCredentialEvidence'));
    const ok = await cli(['evidence', 'verify', tamperCase, '--endpoint', local.session.sfn.endpoint]);
    expect([ok.code, ok.stdout.filter((l) => l.startsWith('FAIL'))]).toEqual([0, []]);
  });

  it('a failed evidence step leaves the revocation in place and the case FAILED, on the timeline, never CONTAINED', async () => {
    const { env } = local.session;
    const event = JSON.parse(JSON.stringify(readEventFile(USER)));
    event.detail.severity = 8;
    event.detail.id = `evidence-failure-${Date.now().toString(16)}`;
    const started = Date.now();
    const remove = denyLookupEvents();
    let result;
    try {
      result = await replayEvent(local.session, event);
    } finally {
      remove();
    }
    expect(result.report.executions[0]).toMatchObject({ playbook: 'credential-compromise', status: 'FAILED' });
    const { item, timeline } = await readCase(env, result.report.executions[0].caseId!);
    expect(item!.status).toBe('FAILED');
    expect(item!.evidence?.manifest).toBeUndefined();
    expect(timeline.filter((e) => e.step === 'PreserveCredentialEvidence').map((e) => e.status)).toContain('FAILED');
    const revoked = await verifyRevocationState(env, result.credentialTwin!, started);
    expect(revoked.filter((c) => !c.passed)).toEqual([]);
    expect(revoked.map((c) => c.name)).toEqual(expect.arrayContaining(['finding-key-inactive', 'deny-all-policy-on-user']));
  });
});
