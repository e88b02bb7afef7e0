import * as fc from 'fast-check';
import { BreakerSchema, ProtectionSchema } from '../../../lib/core/brakes';
import type { Incident } from '../../../lib/core/incident/incident';
import { breakerHold, BreakerItem, BreakerView, countUpdates, liveCases } from '../../../lib/runtime/brakes/breaker';
import { findingTagsOf, listHold, protectedDecision, tagHold } from '../../../lib/runtime/brakes/protection';
import type { Decision } from '../../../lib/runtime/playbook/shared/decide';

const protection = (p: object = {}) => ProtectionSchema.parse(p);
const CONTAIN: Decision = { action: 'contain', reason: 'catalog entry: automatic containment', entryId: 'e' };

const base = {
  playbook: 'ec2-compromise',
  account: '111111111111',
  region: 'us-east-1',
  partition: 'aws',
  finding: { id: 'f', type: 'Backdoor:EC2/C&CActivity.B', severity: 8 },
  trigger: 'auto',
  dryRun: false,
  sample: false,
  mode: 'auto',
  eventId: 'ev',
  eventTime: '2026-01-01T00:00:00Z',
} as const;
const instance = (over: Partial<Incident> = {}): Incident => ({
  ...base,
  resource: { type: 'Instance', id: 'i-0123456789abcdef0' },
  ...over,
});
const role = (name: string): Incident => ({
  ...base,
  playbook: 'credential-compromise',
  resource: { type: 'AccessKey', id: `role/${name}/finding/f`, userType: 'AssumedRole', userName: name, accessKeyId: 'ASIAX' },
});

describe('protection rules (issue 14)', () => {
  it('holds an automatic containment on a listed account, instance, ARN or role pattern, and says which rule', () => {
    expect(listHold(instance(), protection({ accountIds: ['111111111111'] }))).toMatchObject({ rule: 'account-id', entry: '111111111111' });
    expect(listHold(instance(), protection({ instanceIds: ['i-0123456789abcdef0'] }))).toMatchObject({ rule: 'instance-id' });
    const arn = 'arn:aws:ec2:us-east-1:111111111111:instance/i-0123456789abcdef0';
    expect(listHold(instance(), protection({ resourceArns: [arn] }))).toMatchObject({ rule: 'resource-arn', entry: arn });
    expect(
      listHold(role('BreakGlassAdmin'), protection({ resourceArns: ['arn:aws:iam::111111111111:role/BreakGlassAdmin'] })),
    ).toMatchObject({
      rule: 'resource-arn',
    });
    expect(listHold(role('BreakGlassAdmin'), protection({ roleNamePatterns: ['BreakGlass*'] }))).toMatchObject({
      rule: 'role-name-pattern',
      entry: 'BreakGlass*',
    });
    expect(
      listHold(role('WebApp'), protection({ roleNamePatterns: ['BreakGlass*'], instanceIds: ['i-0123456789abcdef0'] })),
    ).toBeUndefined();
  });

  it('turns only an automatic `contain` into `approval`: a manual start, a dry run and other decisions are unchanged', () => {
    const p = protection({ accountIds: ['111111111111'] });
    expect(protectedDecision(CONTAIN, instance(), p)).toMatchObject({
      action: 'approval',
      hold: { brake: 'protection', rule: 'account-id' },
    });
    expect(protectedDecision(CONTAIN, instance({ trigger: 'manual' }), p)).toBe(CONTAIN);
    expect(protectedDecision(CONTAIN, instance({ dryRun: true }), p)).toBe(CONTAIN);
    const notify: Decision = { action: 'notify', reason: 'notify only' };
    expect(protectedDecision(notify, instance(), p)).toBe(notify);
    expect(protectedDecision(CONTAIN, instance(), protection())).toBe(CONTAIN);
  });

  it("reads the protection tag from the finding's instanceDetails.tags and from EC2's Tags, by key whatever the value", () => {
    const event = { detail: { resource: { instanceDetails: { tags: [{ key: 'firebreak:protect', value: '' }] } } } };
    expect(protectedDecision(CONTAIN, instance(), protection(), findingTagsOf(event))).toMatchObject({
      action: 'approval',
      hold: { rule: 'tag', source: 'finding' },
    });
    expect(tagHold([{ Key: 'firebreak:protect', Value: 'false' }], protection(), 'instance')).toMatchObject({ source: 'instance' });
    expect(tagHold([{ Key: 'Firebreak:Protect', Value: 'x' }], protection(), 'instance')).toBeUndefined();
    expect(findingTagsOf({ detail: { resource: { instanceDetails: { tags: 'not a list' } } } })).toEqual([]);
    expect(findingTagsOf(null)).toEqual([]);
  });

  it('matches a role-name pattern as a glob: `*` any run, every other character literally (property)', () => {
    const name = fc.stringMatching(/^[\w+=,.@-]{1,20}$/);
    fc.assert(
      fc.property(name, name, (a, b) => {
        // Without `*`, a pattern protects exactly that name, in any case as IAM compares names (a `.` or `+` in it is no
        // regular-expression operator).
        expect(!!listHold(role(b), protection({ roleNamePatterns: [a] }))).toBe(a.toLowerCase() === b.toLowerCase());
        expect(!!listHold(role(a.toUpperCase()), protection({ roleNamePatterns: [a.toLowerCase()] }))).toBe(true);
        // A prefix and `*` protect every name starting with it.
        expect(!!listHold(role(a + b), protection({ roleNamePatterns: [`${a}*`] }))).toBe(true);
      }),
    );
  });
});

describe('the blast-radius breaker, its pure part (issue 14)', () => {
  const limits = BreakerSchema.parse({ perAccount: 2, perOrganization: 3, windowSeconds: 600 });
  const now = new Date('2026-01-01T12:00:00Z');
  const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
  const item = (cases: Record<string, string>, version = 1): BreakerItem => ({ pk: 'p', sk: 'BREAKER', scope: 'account', cases, version });
  const view = (acc: Record<string, string>, org: Record<string, string> = acc): BreakerView => ({
    account: '111111111111',
    accountItem: item(acc),
    organizationItem: item(org, 7),
  });

  it('counts only the cases within the window, and holds at the account limit, then at the organisation limit', () => {
    expect(Object.keys(liveCases(item({ a: ago(10), b: ago(601) }), now, 600))).toEqual(['a']);
    expect(breakerHold(view({ a: ago(10) }), limits, now)).toBeUndefined();
    expect(breakerHold(view({ a: ago(10), b: ago(20) }), limits, now)).toMatchObject({ brake: 'breaker', rule: 'account' });
    expect(breakerHold(view({ a: ago(10), b: ago(700) }), limits, now)).toBeUndefined();
    expect(breakerHold(view({ a: ago(10) }, { a: ago(10), x: ago(1), y: ago(2) }), limits, now)).toMatchObject({ rule: 'organization' });
    // A case counted already (a re-run) is never held, and not counted again.
    expect(breakerHold(view({ a: ago(10), b: ago(20) }), limits, now, 'a')).toBeUndefined();
    expect(countUpdates(view({ a: ago(10), b: ago(20) }), limits, 't', 'a', now)).toEqual([]);
  });

  it('counts on both items conditional on the versions read, dropping the expired cases', () => {
    const [acc, org] = countUpdates(view({ a: ago(10), old: ago(900) }), limits, 't', 'c', now);
    expect(acc.Update).toMatchObject({
      Key: { pk: 'BREAKER#account#111111111111', sk: 'BREAKER' },
      ConditionExpression: '#version = :v',
      ExpressionAttributeValues: { ':cases': { a: ago(10), c: now.toISOString() }, ':v': 1, ':next': 2 },
    });
    expect(org.Update).toMatchObject({ Key: { pk: 'BREAKER#organization' }, ExpressionAttributeValues: { ':v': 7, ':next': 8 } });
    const first = countUpdates({ account: '1', accountItem: undefined, organizationItem: undefined }, limits, 't', 'c', now);
    expect(first.map((u) => u.Update.ConditionExpression)).toEqual(['attribute_not_exists(#pk)', 'attribute_not_exists(#pk)']);
  });

  it('never admits more than the limit in any window, whatever the order and times of the attempts (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 40 }), (offsets) => {
        let acc: BreakerItem | undefined;
        const admitted: number[] = [];
        for (const [n, t] of [...offsets].sort((x, y) => x - y).entries()) {
          const at = new Date(now.getTime() + t * 1000);
          const v: BreakerView = { account: '1', accountItem: acc, organizationItem: undefined };
          if (breakerHold(v, { ...limits, perOrganization: 1000 }, at)) continue;
          const [u] = countUpdates(v, limits, 't', `c${n}`, at);
          acc = item(
            u.Update.ExpressionAttributeValues[':cases'] as Record<string, string>,
            u.Update.ExpressionAttributeValues[':next'] as number,
          );
          admitted.push(t);
        }
        for (const t of admitted) expect(admitted.filter((x) => x > t - limits.windowSeconds && x <= t).length).toBeLessThanOrEqual(2);
      }),
    );
  });
});
