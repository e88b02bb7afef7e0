import { normalizeEvent } from '../../../lib/core/incident/normalize';
import { readEventFile } from '../../../lib/harness/local/replay';
import { offendingPrincipal } from '../../../lib/runtime/s3/principal';
import { denyPrincipalSid, denyPrincipalStatement, withoutStatement, withStatement } from '../../../lib/runtime/s3/bucket-policy';
import { S3_COMPROMISE_DECISION } from '../../../lib/runtime/playbook/s3-compromise/decision';

const ACCOUNT = '111111111111';
const base = { partition: 'aws', account: ACCOUNT };

/** s3-compromise's pure parts: who can be named exactly, what Normalize makes of an S3 finding, the policy edit. */
describe('s3-compromise: the principal, the incident, the statement', () => {
  it.each([
    [
      'IAMUser',
      'report-reader',
      undefined,
      ['arn:aws:iam::111111111111:user/report-reader', 'arn:aws:iam::111111111111:user/*/report-reader'],
    ],
    ['AssumedRole', 'etl-job', undefined, ['arn:aws:iam::111111111111:role/etl-job', 'arn:aws:iam::111111111111:role/*/etl-job']],
  ])('names %s %s exactly, with and without an IAM path', (userType, userName, remote, patterns) => {
    expect(offendingPrincipal({ ...base, userType, userName, remoteAccountId: remote })).toEqual({
      named: true,
      userType,
      principalArn: patterns[0],
      arnPatterns: patterns,
    });
  });

  it.each([
    ['Root', 'root', undefined, /root user can always rewrite/],
    ['FederatedUser', 'alice', undefined, /a person decides/],
    ['AWSService', undefined, undefined, /a person decides/],
    ['IAMUser', 'ANONYMOUS_PRINCIPAL', undefined, /anonymous/],
    ['IAMUser', 'alice', '999999999999', /another account|came from account 999999999999/],
    ['IAMUser', 'alice*', undefined, /not an IAM name/],
    ['IAMUser', undefined, undefined, /missing/],
    ['AssumedRole', 'FirebreakResponder', undefined, /Firebreak's own roles/],
    ['AssumedRole', 'AWSServiceRoleForSupport', undefined, /service-linked/],
    [undefined, undefined, undefined, /names no principal/],
  ])('never guesses: %s %s (remote %s) is not named', (userType, userName, remote, why) => {
    const out = offendingPrincipal({ ...base, userType, userName, remoteAccountId: remote });
    expect(out.named).toBe(false);
    expect(out.named ? '' : out.why).toMatch(why);
  });

  it('normalizes the High fixture to its bucket and principal, and the exposure fixture on AccessKey to an exposed bucket', () => {
    const run = (file: string) =>
      normalizeEvent({
        input: readEventFile(file),
        executionName: 'x',
        executionStartTime: '2026-12-04T00:00:00Z',
        playbook: 's3-compromise',
      }).incident;
    const high = run('fixtures/events/guardduty-s3-high.json');
    expect(high).toMatchObject({
      mode: 'auto',
      catalogEntryId: 's3-compromise-high',
      triage: { playbook: 's3-compromise', containable: true },
    });
    expect(high.resource).toEqual({
      type: 'S3Bucket',
      id: 'bucket/example-bucket',
      bucketName: 'example-bucket',
      exposed: false,
      principal: {
        userType: 'IAMUser',
        userName: 'report-reader',
        principalId: 'AIDAEXAMPLEUSER00022',
        accessKeyId: 'AKIAEXAMPLEKEY000002',
      },
    });
    const exposure = run('fixtures/events/guardduty-s3-exposure.json');
    expect(exposure).toMatchObject({ mode: 'auto', catalogEntryId: 's3-exposure-high', resource: { type: 'S3Bucket', exposed: true } });
    expect(S3_COMPROMISE_DECISION.refusal!(high)).toBeUndefined();
    expect(S3_COMPROMISE_DECISION.refusal!(exposure)).toBeUndefined();
  });

  it('refuses, with a typed error, an S3 finding that names no bucket or a name that is no bucket name', () => {
    for (const name of [undefined, 'Not_A_Bucket', 'a', 'x'.repeat(64)]) {
      const event = readEventFile('fixtures/events/guardduty-s3-high.json') as unknown as {
        detail: { resource: { s3BucketDetails: { name?: string }[] } };
      };
      if (name === undefined) delete event.detail.resource.s3BucketDetails[0].name;
      else event.detail.resource.s3BucketDetails[0].name = name;
      expect(() =>
        normalizeEvent({ input: event, executionName: 'x', executionStartTime: '2026-12-04T00:00:00Z', playbook: 's3-compromise' }),
      ).toThrow(expect.objectContaining({ name: 'InvalidInput' }));
    }
  });

  it('makes a root-user finding without exposure a notify-only case that says why', () => {
    const event = readEventFile('fixtures/events/guardduty-s3-high.json') as unknown as {
      detail: { resource: { accessKeyDetails: Record<string, string> } };
    };
    event.detail.resource.accessKeyDetails = {
      accessKeyId: 'ASIAEXAMPLEROOT00001',
      principalId: ACCOUNT,
      userType: 'Root',
      userName: 'Root',
    };
    const { incident } = normalizeEvent({
      input: event,
      executionName: 'x',
      executionStartTime: '2026-12-04T00:00:00Z',
      playbook: 's3-compromise',
    });
    expect(S3_COMPROMISE_DECISION.refusal!(incident)).toMatch(/root user can always rewrite.*notify-only/);
  });

  it('adds one statement and takes exactly it out again; a policy holding only it and none before is deleted', () => {
    const statement = denyPrincipalStatement('arn:aws:s3:::b', 'arn:aws:iam::1:user/u', ['arn:aws:iam::1:user/u']);
    expect(statement.Sid).toBe(denyPrincipalSid('arn:aws:iam::1:user/u'));
    const own = {
      Version: '2012-10-17',
      Id: 'own',
      Statement: { Sid: 'A', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
    };
    const added = withStatement(JSON.stringify(own), statement);
    expect(added.change).toBe('put');
    expect(JSON.parse(added.text!)).toEqual({ Version: '2012-10-17', Id: 'own', Statement: [own.Statement, statement] });
    expect(withStatement(added.text, statement).change).toBe('none');
    expect(JSON.parse(withoutStatement(added.text, statement.Sid as string, true).text!)).toEqual({ ...own, Statement: [own.Statement] });
    const alone = withStatement(undefined, statement);
    expect(withoutStatement(alone.text, statement.Sid as string, false)).toEqual({ change: 'delete' });
    expect(withoutStatement(alone.text, statement.Sid as string, true)).toMatchObject({ change: 'keep' });
  });
});
