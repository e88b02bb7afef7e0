import { InvalidInput } from '../../../lib/core/errors';
import { IncidentSchema } from '../../../lib/core/incident/incident';
import { normalizeEvent } from '../../../lib/core/incident/normalize';

const run = { executionName: 'manual-1', executionStartTime: '2026-11-29T10:00:00.000Z' };
const where = { account: '111111111111', region: 'us-east-1' };

describe('normalizeEvent on a named target (firebreak run, chaining)', () => {
  it('builds an instance incident keyed on the instance, as a finding about it would be', () => {
    const { incident, event } = normalizeEvent({
      ...run,
      playbook: 'ec2-compromise',
      input: {
        firebreak: {
          trigger: 'manual',
          reason: 'suspicious outbound',
          operator: 'arn:aws:iam::222222222222:user/alice',
          target: { kind: 'instance', instanceId: 'i-0123456789abcdef0', ...where },
        },
      },
    });
    expect(incident).toMatchObject({
      playbook: 'ec2-compromise',
      account: '111111111111',
      region: 'us-east-1',
      resource: { type: 'Instance', id: 'i-0123456789abcdef0' },
      finding: { id: 'manual/manual-1', type: 'Firebreak:Manual/Instance' },
      trigger: 'manual',
      dryRun: false,
      sample: false,
      mode: 'none',
      reason: 'suspicious outbound',
      operator: 'arn:aws:iam::222222222222:user/alice',
    });
    expect(IncidentSchema.safeParse(incident).success).toBe(true);
    expect(event).toEqual({ target: { kind: 'instance', instanceId: 'i-0123456789abcdef0', ...where } });
  });

  it('keys an access key on the key and a role on a per-role manual case', () => {
    const key = normalizeEvent({
      ...run,
      playbook: 'credential-compromise',
      input: { firebreak: { target: { kind: 'access-key', accessKeyId: 'AKIAEXAMPLE123456789', userName: 'ci-deployer', ...where } } },
    });
    expect(key.incident.resource).toEqual({
      type: 'AccessKey',
      id: 'AKIAEXAMPLE123456789',
      accessKeyId: 'AKIAEXAMPLE123456789',
      userType: 'IAMUser',
      userName: 'ci-deployer',
    });
    const role = normalizeEvent({
      ...run,
      playbook: 'credential-compromise',
      input: { firebreak: { dryRun: true, target: { kind: 'role', roleName: 'app-role', ...where } } },
    });
    expect(role.incident.resource).toEqual({
      type: 'AccessKey',
      id: 'role/app-role/manual',
      userType: 'AssumedRole',
      userName: 'app-role',
    });
    expect(role.incident.dryRun).toBe(true);
  });

  it('carries the case a chained start came from', () => {
    const { incident } = normalizeEvent({
      ...run,
      playbook: 'ec2-compromise',
      input: {
        firebreak: {
          trigger: 'auto',
          chainedFrom: 'fb-20261129-0123456789',
          target: { kind: 'instance', instanceId: 'i-0123456789abcdef0', ...where },
        },
      },
    });
    expect(incident).toMatchObject({ trigger: 'auto', chainedFrom: 'fb-20261129-0123456789' });
  });

  it.each([
    [
      'an instance target on credential-compromise',
      'credential-compromise',
      { kind: 'instance', instanceId: 'i-0123456789abcdef0', ...where },
      /cannot act on a instance target/,
    ],
    ['a role target on ec2-compromise', 'ec2-compromise', { kind: 'role', roleName: 'r', ...where }, /takes --instance/],
    ['a target on cloudtrail-tamper', 'cloudtrail-tamper', { kind: 'role', roleName: 'r', ...where }, /no manual target/],
    [
      'a malformed instance ID',
      'ec2-compromise',
      { kind: 'instance', instanceId: 'web-1', ...where },
      /instanceId: must be an instance ID/,
    ],
    [
      'a malformed account',
      'ec2-compromise',
      { kind: 'instance', instanceId: 'i-0123456789abcdef0', account: '1234', region: 'us-east-1' },
      /account: must be a 12-digit account ID/,
    ],
    [
      'an access key without a user',
      'credential-compromise',
      { kind: 'access-key', accessKeyId: 'AKIAEXAMPLE123456789', ...where },
      /userName/,
    ],
  ] as const)('rejects %s with InvalidInput naming the problem', (_what, playbook, target, message) => {
    const call = () => normalizeEvent({ ...run, playbook, input: { firebreak: { target } } });
    expect(call).toThrow(InvalidInput);
    expect(call).toThrow(message);
  });

  it('rejects an envelope with both an event and a target, or neither', () => {
    const target = { kind: 'instance', instanceId: 'i-0123456789abcdef0', ...where };
    expect(() => normalizeEvent({ ...run, input: { firebreak: { target }, event: {} } })).toThrow(/either an event or firebreak.target/);
    expect(() => normalizeEvent({ ...run, input: { firebreak: {} } })).toThrow(/either an event or firebreak.target/);
  });
});

describe('normalizeEvent on a named target: the partition', () => {
  // A target names an account and a region, no partition: the incident's partition is the region's, so that the ARNs
  // built from it (DenyInstanceCredentials' ec2:SourceInstanceARN, AWSDenyAll's ARN) are the ones IAM compares against.
  it.each([
    ['us-east-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
  ])('a target in %s is in partition %s', (region, partition) => {
    const { incident } = normalizeEvent({
      ...run,
      playbook: 'ec2-compromise',
      input: {
        firebreak: { trigger: 'manual', target: { kind: 'instance', instanceId: 'i-0123456789abcdef0', account: '111111111111', region } },
      },
    });
    expect(incident.partition).toBe(partition);
  });
});
