import fc from 'fast-check';
import {
  criteriaMatch,
  findSuppression,
  findingTypeMatches,
  MAX_SUPPRESSION_DAYS,
  ruleState,
  suppressionSubjectOf,
  validateSuppressionRule,
  type SuppressionRule,
} from '../../../lib/core/brakes/suppression';
import { InvalidInput } from '../../../lib/core/errors';
import type { Incident } from '../../../lib/core/incident/incident';
import { claimMaySuppress, containClaimMaySuppress } from '../../../lib/runtime/brakes/suppression';
import { claimCase } from '../../../lib/runtime/playbook/shared/claim-case';

/** The pure part of suppression (lib/core/brakes/suppression.ts): validation and matching, property-tested. */

const NOW = new Date('2026-06-01T12:00:00.000Z');
const DAY = 86_400_000;
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

/** An instance finding's incident, the fields matching reads. */
function incident(over: Partial<Incident> & { type?: string; instanceId?: string } = {}): Incident {
  const { type, instanceId, ...rest } = over;
  return {
    playbook: 'ec2-compromise',
    account: '111111111111',
    region: 'us-east-1',
    partition: 'aws',
    resource: { type: 'Instance', id: instanceId ?? 'i-0123456789abcdef0' },
    finding: { id: 'f1', type: type ?? 'CryptoCurrency:EC2/BitcoinTool.B!DNS', severity: 8 },
    trigger: 'auto',
    dryRun: false,
    sample: false,
    mode: 'auto',
    eventId: 'e1',
    eventTime: NOW.toISOString(),
    ...rest,
  } as Incident;
}

/** A stored rule: active for a day unless the fields say otherwise. */
function rule(over: Partial<SuppressionRule> = {}): SuppressionRule {
  return {
    id: 'sr-000000000001',
    expiresAt: at(DAY),
    reason: 'known',
    createdBy: 'arn:aws:iam::222222222222:user/op',
    createdAt: at(-DAY),
    ...over,
  };
}

/** Printable ASCII without spaces and without `*`: the characters a finding type is made of. */
const typeChar = fc.constantFrom(...[...Array(94)].map((_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== '*'));
const findingType = fc.string({ unit: typeChar, minLength: 1, maxLength: 40 });
const hexId = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 12, maxLength: 12 }).map((h) => `sr-${h}`);

describe('suppression matching (pure)', () => {
  it('a type without * matches exactly that type; with a trailing * exactly the types it prefixes; nothing is a regular expression', () => {
    fc.assert(
      fc.property(findingType, findingType, (pattern, type) => {
        expect(findingTypeMatches(pattern, type)).toBe(pattern === type);
        expect(findingTypeMatches(`${pattern}*`, type)).toBe(type.startsWith(pattern));
      }),
    );
    expect(findingTypeMatches('Recon:EC2/Port.Probe', 'Recon:EC2/PortXProbe')).toBe(false);
    expect(findingTypeMatches('Backdoor:EC2/C&CActivity.B!DNS', 'Backdoor:EC2/C&CActivity.B!DNS')).toBe(true);
  });

  it('an expired or removed rule never applies; an active one whose criteria hold does', () => {
    fc.assert(
      fc.property(fc.integer({ min: -400 * DAY, max: 400 * DAY }), fc.boolean(), (offset, removed) => {
        const r = rule({ expiresAt: at(offset), ...(removed ? { removed: { by: 'x', at: at(0) } } : {}) });
        const applies = !removed && offset > 0;
        expect(ruleState(r, NOW)).toBe(removed ? 'removed' : applies ? 'active' : 'expired');
        expect(findSuppression([r], incident(), NOW)?.ruleId).toBe(applies ? r.id : undefined);
      }),
    );
  });

  it('each criterion only narrows: a rule that matches still matches without any one of its criteria', () => {
    const criteria = fc.record(
      {
        findingType: fc.oneof(
          findingType,
          findingType.map((t) => `${t}*`),
        ),
        resource: fc.constantFrom('i-0123456789abcdef0', 'i-0aaaaaaaaaaaaaaaa'),
        account: fc.constantFrom('111111111111', '333333333333'),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(criteria, findingType, (c, type) => {
        const subject = suppressionSubjectOf(incident({ type }));
        if (!criteriaMatch(c, subject)) return;
        for (const k of Object.keys(c) as (keyof typeof c)[]) {
          const fewer = Object.fromEntries(Object.entries(c).filter(([key]) => key !== k));
          expect(criteriaMatch(fewer, subject)).toBe(true);
        }
      }),
    );
  });

  it('picks the same rule whatever the order, and never suppresses a dry run, a start by hand or a chained start', () => {
    fc.assert(
      fc.property(fc.uniqueArray(hexId, { minLength: 1, maxLength: 6 }), (ids) => {
        const rules = ids.map((id) => rule({ id }));
        const first = [...ids].sort()[0];
        expect(findSuppression(rules, incident(), NOW)?.ruleId).toBe(first);
        expect(findSuppression([...rules].reverse(), incident(), NOW)?.ruleId).toBe(first);
      }),
    );
    const r = [rule({ findingType: 'CryptoCurrency:EC2/*' })];
    expect(findSuppression(r, incident(), NOW)).toEqual({
      ruleId: 'sr-000000000001',
      reason: 'known',
      by: 'arn:aws:iam::222222222222:user/op',
      expiresAt: at(DAY),
    });
    expect(findSuppression(r, incident({ dryRun: true }), NOW)).toBeUndefined();
    expect(findSuppression(r, incident({ trigger: 'manual' }), NOW)).toBeUndefined();
    expect(findSuppression(r, incident({ chainedFrom: 'fb-20260601-0123456789' }), NOW)).toBeUndefined();
    expect(findSuppression(r, incident({ trigger: 'gameday' }), NOW)?.ruleId).toBe('sr-000000000001');
  });

  it("matches a credential finding's user and key, and an API call's caller by ARN or role name", () => {
    const key = incident({
      playbook: 'credential-compromise',
      resource: { type: 'AccessKey', id: 'AKIAEXAMPLE', accessKeyId: 'AKIAEXAMPLE', userType: 'IAMUser', userName: 'ci-bot' },
    });
    expect(findSuppression([rule({ principal: 'ci-bot' })], key, NOW)).toBeDefined();
    expect(findSuppression([rule({ resource: 'AKIAEXAMPLE' })], key, NOW)).toBeDefined();
    expect(findSuppression([rule({ principal: 'ci-bot2' })], key, NOW)).toBeUndefined();
    const call = incident({
      playbook: 'cloudtrail-tamper',
      resource: {
        type: 'ApiCall',
        id: 'event/1',
        eventId: '1',
        eventName: 'PutEventSelectors',
        eventSource: 'cloudtrail.amazonaws.com',
        target: 'org-trail',
        actor: { type: 'AssumedRole', arn: 'arn:aws:sts::111111111111:assumed-role/Automation/s', roleName: 'Automation' },
      },
      type: 'cloudtrail.amazonaws.com:PutEventSelectors',
    });
    expect(findSuppression([rule({ principal: 'Automation', findingType: 'cloudtrail.amazonaws.com:*' })], call, NOW)).toBeDefined();
    expect(findSuppression([rule({ resource: 'org-trail' })], call, NOW)).toBeDefined();
  });
});

describe('suppression rule validation', () => {
  const valid = { findingType: 'Recon:EC2/*', expiresAt: at(DAY), reason: 'known scanner' };

  it('accepts a rule with a criterion, a bounded expiry in the future and a reason', () => {
    expect(validateSuppressionRule(valid, NOW)).toEqual(valid);
    expect(validateSuppressionRule({ ...valid, expiresAt: at(MAX_SUPPRESSION_DAYS * DAY) }, NOW).expiresAt).toBe(
      at(MAX_SUPPRESSION_DAYS * DAY),
    );
  });

  it('refuses hostile strings in every field, naming the field', () => {
    const hostile = fc.oneof(
      fc.constantFrom('\u001b[2J', '\r', '\n', '\u202e', '\u2066', '\u0085', '\u007f', 'a b', 'é'),
      fc.string().filter((s) => /[^\x21-\x7e]/.test(s)),
    );
    fc.assert(
      fc.property(hostile, fc.constantFrom('findingType', 'resource', 'principal'), (bad, field) => {
        expect(() => validateSuppressionRule({ ...valid, [field]: `x${bad}` }, NOW)).toThrow(new RegExp(`${field}`));
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom('\u001b[31m', '\r', '\n', '\t', '\u202e', '\u200f', '\u009b'), fc.string(), (c, rest) => {
        expect(() => validateSuppressionRule({ ...valid, reason: `ok${c}${rest}` }, NOW)).toThrow(/reason/);
      }),
    );
    expect(() => validateSuppressionRule({ ...valid, findingType: 'Recon:*/Port' }, NOW)).toThrow(/findingType/);
    expect(() => validateSuppressionRule({ ...valid, account: '1234' }, NOW)).toThrow(/account/);
    expect(() => validateSuppressionRule({ ...valid, extra: 1 }, NOW)).toThrow(InvalidInput);
  });

  it('refuses a rule without a criterion narrower than an account, and an expiry in the past, malformed or too far', () => {
    expect(() => validateSuppressionRule({ account: '111111111111', expiresAt: at(DAY), reason: 'r' }, NOW)).toThrow(
      /at least a finding type/,
    );
    expect(() => validateSuppressionRule({ ...valid, expiresAt: at(0) }, NOW)).toThrow(/expiresAt: .* not in the future/);
    expect(() => validateSuppressionRule({ ...valid, expiresAt: at(MAX_SUPPRESSION_DAYS * DAY + 1000) }, NOW)).toThrow(
      /expiresAt: at most 90 days/,
    );
    expect(() => validateSuppressionRule({ ...valid, expiresAt: '2026-06-02' }, NOW)).toThrow(/expiresAt/);
    expect(() => validateSuppressionRule({ ...valid, expiresAt: '2026-06-02T12:00:00+02:00' }, NOW)).toThrow(/expiresAt/);
    expect(() => validateSuppressionRule({ ...valid, expiresAt: undefined }, NOW)).toThrow(/expiresAt/);
    expect(() => validateSuppressionRule({ ...valid, reason: '' }, NOW)).toThrow(/reason/);
  });

  it('throws only InvalidInput, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          validateSuppressionRule(input, NOW);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidInput);
        }
      }),
    );
  });
});

describe('which claims a rule may end (lib/runtime/brakes/suppression.ts)', () => {
  it('a new case, a retry of Claim on its own claim, an escalated notify-only case; never a response under way', () => {
    expect(claimMaySuppress({ status: 'CLAIMED' })).toBe(true);
    expect(claimMaySuppress({ status: 'RESUMED', previousStatus: 'IN_PROGRESS', extended: true })).toBe(true);
    expect(claimMaySuppress({ status: 'RESUMED', previousStatus: 'NOTIFIED' })).toBe(true);
    for (const previousStatus of ['IN_PROGRESS', 'FAILED', 'RESOURCE_GONE'])
      expect(claimMaySuppress({ status: 'RESUMED', previousStatus })).toBe(false);
    expect(claimMaySuppress({ status: 'ALREADY_HANDLED' })).toBe(false);
    expect(containClaimMaySuppress({ kind: 'open' })).toBe(true);
    expect(containClaimMaySuppress({ kind: 'take-over', reason: 'escalation' })).toBe(true);
    for (const reason of ['failed', 'recheck-gone', 'lease-expired'] as const)
      expect(containClaimMaySuppress({ kind: 'take-over', reason })).toBe(false);
    expect(containClaimMaySuppress({ kind: 'extend' }, { decisions: {} })).toBe(false);
    expect(containClaimMaySuppress({ kind: 'extend' }, { decisions: { suppression: { ruleId: 'sr-000000000001' } } })).toBe(true);
    expect(containClaimMaySuppress({ kind: 'already-handled' })).toBe(false);
  });

  it('Claim puts the match on its entry and on $.case when it claimed; reads nothing for a start by hand', async () => {
    const entries: { details?: Record<string, unknown> }[] = [];
    let listed = 0;
    const deps = (claim: Record<string, unknown>) =>
      ({
        config: { claimLeaseSeconds: 900 },
        now: () => NOW,
        ledger: {
          claim: async () => claim,
          appendTimeline: async (_: string, e: { details?: Record<string, unknown> }) => void entries.push(e),
          suppressions: { list: async () => (listed++, [rule({ findingType: 'CryptoCurrency:EC2/*' })]) },
        },
      }) as unknown as Parameters<typeof claimCase>[1];
    const state = { incident: incident(), event: null, run: { executionName: 'x1', startTime: at(0) } };
    const retried = await claimCase(state, deps({ caseId: 'fb-1', status: 'RESUMED', previousStatus: 'IN_PROGRESS', extended: true }));
    expect(retried.suppression?.ruleId).toBe('sr-000000000001');
    expect(entries[0].details?.suppression).toMatchObject({ ruleId: 'sr-000000000001' });
    const taken = await claimCase(state, deps({ caseId: 'fb-1', status: 'RESUMED', previousStatus: 'FAILED' }));
    expect(taken.suppression).toBeUndefined();
    const before = listed;
    const manual = await claimCase({ ...state, incident: incident({ trigger: 'manual' }) }, deps({ caseId: 'fb-2', status: 'CLAIMED' }));
    expect(manual.suppression).toBeUndefined();
    expect(listed).toBe(before);
  });
});
