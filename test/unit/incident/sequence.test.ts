import { InvalidInput } from '../../../lib/core/errors';
import { MAX_SEQUENCE_CHAINS, SEQUENCE_MAX_BYTES, summarizeSequence } from '../../../lib/core/incident/sequence';
import { chainedRoutes, routeResource, sequenceAdditions } from '../../../lib/core/incident/sequence-summary';
import { readEventFile } from '../../../lib/harness/local/replay';
import { normalizeEvent } from '../../../lib/core/incident/normalize';

const CTX = { account: '111111111111', region: 'us-east-1', memberAccountIds: [] as string[] };
const SIGNAL = { uid: 's1', type: 'FINDING', name: 'Backdoor:EC2/C&CActivity.B' };
const seq = (resources: unknown[]) => ({ uid: 'seq-1', description: 'd', signals: [SIGNAL], resources });
const key = (over: Record<string, unknown> = {}) => ({
  uid: 'AKIAEXAMPLEKEY000001',
  resourceType: 'ACCESS_KEY',
  accountId: '111111111111',
  region: 'us-east-1',
  data: { accessKey: { userName: 'ci-deployer', userType: 'IAMUser', principalId: 'AIDAEXAMPLE' } },
  ...over,
});
const instance = (uid = 'i-0b7e5d3c1a9f8e6d4', over: Record<string, unknown> = {}) => ({ uid, resourceType: 'EC2_INSTANCE', ...over });

describe('attack sequences: each resource routed (lib/core/incident/sequence.ts)', () => {
  it('chains an IAM user key into credential-compromise and an instance into ec2-compromise; names the rest', () => {
    const s = summarizeSequence(seq([{ uid: 'b', resourceType: 'S3_BUCKET' }, key(), instance()]), CTX);
    expect(chainedRoutes(s).map((r) => [r.playbook, routeResource(r)])).toEqual([
      ['credential-compromise', 'AKIAEXAMPLEKEY000001'],
      ['ec2-compromise', 'i-0b7e5d3c1a9f8e6d4'],
    ]);
    expect(s.resources[2]).toMatchObject({ resourceType: 'S3_BUCKET', why: expect.stringContaining('named for a person') });
    expect(s.resources[0].target).toEqual({
      kind: 'access-key',
      accessKeyId: 'AKIAEXAMPLEKEY000001',
      userName: 'ci-deployer',
      account: '111111111111',
      region: 'us-east-1',
    });
    expect(s).toMatchObject({ uid: 'seq-1', signalCount: 1, resourceCount: 3, signals: [SIGNAL] });
  });

  it('takes an instance ARN of the same account and region, and refuses one of another', () => {
    const arn = 'arn:aws:ec2:us-east-1:111111111111:instance/i-0b7e5d3c1a9f8e6d4';
    expect(routeResource(chainedRoutes(summarizeSequence(seq([instance(arn)]), CTX))[0])).toBe('i-0b7e5d3c1a9f8e6d4');
    const other = 'arn:aws:ec2:us-east-1:333333333333:instance/i-0b7e5d3c1a9f8e6d4';
    expect(() => summarizeSequence(seq([instance(other)]), CTX)).toThrow(InvalidInput);
  });

  it('an assumed role is chained as a role; root and keys without a user name are only named', () => {
    const role = key({ data: { accessKey: { userName: 'web-tier', userType: 'AssumedRole' } }, uid: 'ASIAEXAMPLEKEY000002' });
    const root = key({ data: { accessKey: { userType: 'Root' } }, uid: 'AKIAEXAMPLEKEY000003' });
    const s = summarizeSequence(seq([role, root]), CTX);
    expect(chainedRoutes(s).map((r) => r.target)).toEqual([
      { kind: 'role', roleName: 'web-tier', account: '111111111111', region: 'us-east-1' },
    ]);
    expect(s.resources[1].why).toContain('not revocable automatically');
  });

  it('acts in another account only when the deployment lists it', () => {
    const elsewhere = instance(undefined, { accountId: '333333333333' });
    expect(chainedRoutes(summarizeSequence(seq([elsewhere]), CTX))).toEqual([]);
    expect(summarizeSequence(seq([elsewhere]), CTX).resources[0].why).toContain('which the deployment does not list');
    const listed = summarizeSequence(seq([elsewhere]), { ...CTX, memberAccountIds: ['333333333333'] });
    expect(chainedRoutes(listed)[0].target).toMatchObject({ kind: 'instance', account: '333333333333' });
  });

  it.each([
    ['a key ID with shell', [key({ uid: 'AKIA$(reboot)' })]],
    ['an instance path', [instance('i-0b7e5d3c1a9f8e6d4/../x')]],
    ['a user name with a newline', [key({ data: { accessKey: { userName: 'a\nb', userType: 'IAMUser' } } })]],
    ['an account of letters', [instance(undefined, { accountId: 'abcdefabcdef' })]],
    ['a region that is no region', [instance(undefined, { region: 'us-east-1; rm' })]],
  ])('refuses %s with InvalidInput', (_, resources) => {
    expect(() => summarizeSequence(seq(resources), CTX)).toThrow(InvalidInput);
  });

  it('refuses a missing or malformed sequence', () => {
    expect(() => summarizeSequence(undefined, CTX)).toThrow(InvalidInput);
    expect(() => summarizeSequence({ uid: 'x', signals: [] }, CTX)).toThrow(InvalidInput);
  });

  it('chains a resource named twice once, and names those past the limit', () => {
    const many = Array.from({ length: MAX_SEQUENCE_CHAINS + 3 }, (_, n) => instance(`i-${n.toString(16).padStart(17, '0')}`));
    const s = summarizeSequence(seq([instance(), instance(), ...many]), CTX);
    expect(chainedRoutes(s)).toHaveLength(MAX_SEQUENCE_CHAINS);
    expect(s.resources.filter((r) => r.why.includes(`over ${MAX_SEQUENCE_CHAINS} containments`))).toHaveLength(4);
  });

  it("the largest sequence AWS allows (400 resources, 100 signals) of long, multi-byte names fits the incident's bound", () => {
    const long = (c: string) => c.repeat(300) + '\u{1F600}'.repeat(200);
    const event = JSON.parse(JSON.stringify(readEventFile('fixtures/events/guardduty-attack-sequence-ec2.json')));
    event.detail.service.detection.sequence = {
      uid: long('u'),
      description: long('d').repeat(20),
      signals: Array.from({ length: 100 }, () => ({ ...SIGNAL, uid: long('s'), name: long('n') })),
      resources: [
        instance(),
        ...Array.from({ length: 399 }, (_, n) => ({ uid: `${long('b')}${n}`, resourceType: 'S3_BUCKET', name: long('x') })),
      ],
    };
    const input = { input: event, executionName: 'x', executionStartTime: '2026-11-27T09:14:22Z', playbook: 'attack-sequence' as const };
    const incident = normalizeEvent(input).incident;
    expect(Buffer.byteLength(JSON.stringify(incident.sequence))).toBeLessThanOrEqual(SEQUENCE_MAX_BYTES);
    expect(incident.sequence).toMatchObject({ resourceCount: 400, signalCount: 100 });
    expect(chainedRoutes(incident.sequence).map(routeResource)).toEqual(['i-0b7e5d3c1a9f8e6d4']);
  });

  it('Normalize puts the routed sequence on the incident of the recorded fixtures', () => {
    const input = (file: string) => ({
      input: readEventFile(file),
      executionName: 'x',
      executionStartTime: '2026-11-27T09:14:22Z',
      playbook: 'attack-sequence' as const,
    });
    const iam = normalizeEvent(input('fixtures/events/guardduty-attack-sequence-iam.json')).incident;
    expect(iam).toMatchObject({
      mode: 'auto',
      catalogEntryId: 'attack-sequence-high',
      resource: { type: 'GuardDutyResource', resourceType: 'AttackSequence' },
    });
    expect(chainedRoutes(iam.sequence).map(routeResource)).toEqual(['ASIAEXAMPLEKEY000004']);
    expect(iam.sequence?.signals.map((g) => g.name)).toEqual([
      'CreateRole',
      'AttachRolePolicy',
      'Stealth:IAMUser/CloudTrailLoggingDisabled',
    ]);
    const ec2 = normalizeEvent(input('fixtures/events/guardduty-attack-sequence-ec2.json')).incident;
    expect(chainedRoutes(ec2.sequence).map(routeResource)).toEqual(['i-0b7e5d3c1a9f8e6d4']);
    expect(ec2.sequence?.resources.map((r) => r.resourceType)).toEqual(['EC2_INSTANCE', 'EC2_NETWORK_INTERFACE']);
  });
});

describe('sequenceAdditions: what an updated sequence adds to its case (issue 15 item 6)', () => {
  const first = summarizeSequence(seq([key()]), CTX);
  const updated = summarizeSequence(seq([instance(), { uid: 'b', resourceType: 'S3_BUCKET' }, key()]), CTX);

  it('is the chain keys of the routes neither on the case nor in the sequence it holds, sorted', () => {
    expect(sequenceAdditions(updated, { sequence: first })).toEqual(['chain#ec2-compromise#111111111111#i-0b7e5d3c1a9f8e6d4']);
    expect(sequenceAdditions(updated, { decisions: { 'chain#credential-compromise#111111111111#AKIAEXAMPLEKEY000001': {} } })).toEqual([
      'chain#ec2-compromise#111111111111#i-0b7e5d3c1a9f8e6d4',
    ]);
    expect(sequenceAdditions(updated, {})).toEqual([
      'chain#credential-compromise#111111111111#AKIAEXAMPLEKEY000001',
      'chain#ec2-compromise#111111111111#i-0b7e5d3c1a9f8e6d4',
    ]);
  });

  it('is empty for a repeat, for a sequence naming only what cannot be chained, and for one that drops resources', () => {
    expect(sequenceAdditions(updated, { sequence: updated })).toEqual([]);
    expect(sequenceAdditions(summarizeSequence(seq([{ uid: 'b', resourceType: 'S3_BUCKET' }]), CTX), { sequence: first })).toEqual([]);
    expect(sequenceAdditions(first, { sequence: updated })).toEqual([]);
  });
});
