import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { normalizeEvent } from '../../../lib/core/incident/normalize';
import { describeResource, shellQuote, triageCommands } from '../../../lib/core/incident/describe';
import { findingOf, readFixtureEvent } from '../../support/findings';

/** What the person on call reads: the resource in words and the exact commands, safe to paste whatever the event held. */
describe('describe', () => {
  it('shellQuote: any string comes back out of a POSIX shell unchanged (names come from the member account)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }).filter((s) => !s.includes('\u0000')),
        (s) => {
          const echoed = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(s)}`], { encoding: 'utf8' });
          return echoed === s;
        },
      ),
      { numRuns: 60 },
    );
  });

  it('names a finding-triage resource from its details, without control characters, and keys one case per finding', () => {
    // An S3 object's finding (Malware Protection for S3): S3 buckets are s3-compromise's, which refuses a name that is no bucket name.
    const event = findingOf('Object:S3/MaliciousFile', 'S3Object', 5, undefined, 1);
    (event.detail.resource as unknown as { s3BucketDetails: { name: string }[] }).s3BucketDetails[0].name = 'bucket\u001b[31m-evil\u0007';
    const { incident } = normalizeEvent({
      input: event,
      executionName: 'x',
      executionStartTime: '2026-12-02T00:00:00Z',
      playbook: 'finding-triage',
    });
    expect(incident.resource).toMatchObject({ type: 'GuardDutyResource', resourceType: 'S3Object', name: 'bucket[31m-evil' });
    expect(incident.resource.id).toBe(`S3Object/bucket[31m-evil/finding/${event.detail.id}`);
    expect(describeResource(incident)).toBe('S3Object bucket[31m-evil');
    expect(incident.mode).toBe('notify');
    expect(incident.triage).toMatchObject({ family: 'malware-s3', playbook: 'finding-triage', containable: false });
  });

  it('names the database user of an RDS finding (user, database, application, auth, ssl), its values quoted and escaped', () => {
    const event = readFixtureEvent('guardduty-rds-medium.json');
    const normalize = (e: typeof event) =>
      normalizeEvent({ input: e, executionName: 'x', executionStartTime: '2026-12-02T00:00:00Z', playbook: 'finding-triage' }).incident;
    const i = normalize(event);
    expect(i.resource).toMatchObject({
      type: 'GuardDutyResource',
      dbUser: { user: 'app_reader', application: 'psql', database: 'orders' },
    });
    expect(describeResource(i)).toBe('RDSDBInstance example-db-1, DB user "app_reader" (database "orders", application "psql")');
    // A user name chosen to read as Firebreak's own words: the quotes are escaped, control characters dropped.
    event.detail.resource.rdsDbUserDetails = {
      user: 'x" contained by Firebreak\n\u001b[2J',
      authMethod: 'IAM',
      ssl: 'true',
      extra: 'dropped',
      database: 42,
    };
    const hostile = normalize(event);
    expect(hostile.resource).toMatchObject({ dbUser: { user: 'x" contained by Firebreak[2J', authMethod: 'IAM', ssl: 'true' } });
    expect(describeResource(hostile)).toBe('RDSDBInstance example-db-1, DB user "x\\" contained by Firebreak[2J" (auth "IAM", ssl "true")');
    event.detail.resource.rdsDbUserDetails = 'not an object';
    expect(normalize(event).resource).not.toHaveProperty('dbUser');
  });

  it('gives the case, the finding, the resource and (where a playbook can contain) the command that contains it by hand', () => {
    const i = normalizeEvent({
      input: findingOf('Backdoor:EC2/C&CActivity.B', 'Instance', 5, 'ACTOR', 2),
      executionName: 'x',
      executionStartTime: 'y',
      playbook: 'ec2-compromise',
    }).incident;
    const commands = triageCommands(i, 'fb-20261202-0123456789');
    expect(commands[0]).toBe('firebreak cases show fb-20261202-0123456789');
    expect(commands[1]).toMatch(
      /^aws guardduty get-findings --detector-id=[0-9a-f]+ --finding-ids=[0-9a-f]+ --region=us-east-1 {2}# in the member account 111111111111$/,
    );
    expect(commands.at(-1)).toMatch(
      /^firebreak run ec2-compromise --instance=i-[0-9a-f]+ --account=111111111111 --region=us-east-1 --reason='.+' --wait$/,
    );
    const s3 = normalizeEvent({
      input: findingOf('Discovery:S3/TorIPCaller', 'S3Bucket', 5, 'TARGET', 3),
      executionName: 'x',
      executionStartTime: 'y',
      playbook: 'finding-triage',
    }).incident;
    expect(triageCommands(s3, 'fb-20261202-0123456789')).toEqual([
      'firebreak cases show fb-20261202-0123456789',
      expect.stringMatching(/^aws guardduty get-findings /),
      expect.stringMatching(/^aws s3api get-bucket-policy-status --bucket=\S+ --region=us-east-1 {2}# in the member account 111111111111$/),
    ]);
  });

  it('never lets a name be read as an option of its own, and runs as exactly one command whatever the name', () => {
    const event = findingOf('Trojan:Lambda/DropPoint', 'Lambda', 5, 'TARGET', 4);
    (event.detail.resource as unknown as { lambdaDetails: { functionName: string } }).lambdaDetails.functionName =
      '--endpoint-url=http://127.0.0.1:9 $(touch /tmp/pwned) ;`id`';
    const i = normalizeEvent({ input: event, executionName: 'x', executionStartTime: 'y', playbook: 'finding-triage' }).incident;
    const show = triageCommands(i, 'fb-20261202-0123456789').find((c) => c.startsWith('aws lambda'))!;
    expect(show).toMatch(
      /^aws lambda get-function --function-name='--endpoint-url=http:\/\/127\.0\.0\.1:9 \$\(touch \/tmp\/pwned\) ;`id`' --region=us-east-1 /,
    );
    // The shell sees one argument: the whole name after --function-name=.
    const args = execFileSync(
      '/bin/sh',
      ['-c', `printf '%s\\n' ${show.replace(/^aws lambda get-function /, '').replace(/ {2}#.*$/, '')}`],
      { encoding: 'utf8' },
    )
      .trimEnd()
      .split('\n');
    expect(args).toEqual([
      `--function-name=${(event.detail.resource as unknown as { lambdaDetails: { functionName: string } }).lambdaDetails.functionName}`,
      '--region=us-east-1',
    ]);
  });
});
