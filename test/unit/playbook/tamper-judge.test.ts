import fc from 'fast-check';
import { parseConfig } from '../../../lib/core/config';
import { LambdaEnvironmentSchema } from '../../../lib/core/contracts/environment';
import { automationPrincipalOf } from '../../../lib/core/automation-principals';
import { judgeTrailChange, MAX_CHANGES_LISTED, TrailBaseline, TrailSettings } from '../../../lib/runtime/playbook/cloudtrail-tamper/judge';
import { routeOf } from '../../../lib/runtime/playbook/cloudtrail-tamper/route';
import { covers, DEFAULT_SELECTORS, parseSelectors, Selector } from '../../../lib/runtime/playbook/cloudtrail-tamper/selectors';
import { usableBaseline } from '../../../lib/runtime/playbook/cloudtrail-tamper/baseline';

/** Issue 14: cloudtrail-tamper judges whether a trail change reduces logging (judge.ts, selectors.ts, route.ts). */

const CT = 'cloudtrail.amazonaws.com';
const put = (requestParameters: Record<string, unknown>) => ({ eventSource: CT, eventName: 'PutEventSelectors', requestParameters });
const update = (requestParameters: Record<string, unknown>) => ({ eventSource: CT, eventName: 'UpdateTrail', requestParameters });
const selectorsOf = (requestParameters: Record<string, unknown>): readonly Selector[] => parseSelectors(requestParameters)!;
const baseline = (selectors: readonly Selector[] = DEFAULT_SELECTORS, settings: TrailSettings = {}): TrailBaseline => ({
  settings,
  selectors,
});

/** The AWS CLI's put-event-selectors example (aws-cli `awscli/examples/cloudtrail/put-event-selectors.rst`), camelCased as CloudTrail records it. */
const MANAGEMENT_AND_DATA = {
  trailName: 'TrailName',
  eventSelectors: [
    {
      readWriteType: 'All',
      includeManagementEvents: true,
      dataResources: [
        { type: 'AWS::S3::Object', values: ['arn:aws:s3:::mybucket/prefix', 'arn:aws:s3:::mybucket2/prefix2'] },
        { type: 'AWS::Lambda::Function', values: ['arn:aws:lambda:us-west-2:999999999999:function:hello-world-python-function'] },
      ],
    },
  ],
};
/** The default a trail has without selectors, written out. */
const MANAGEMENT_ONLY = {
  trailName: 'TrailName',
  eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true, dataResources: [] }],
};

describe('judgeTrailChange', () => {
  it('judges StopLogging, DeleteTrail and the GuardDuty detachments reductions whatever is known', () => {
    for (const [eventSource, eventName, kind] of [
      [CT, 'StopLogging', 'logging-stopped'],
      [CT, 'DeleteTrail', 'trail-deleted'],
      ['guardduty.amazonaws.com', 'DeleteDetector', 'guardduty-detector-deleted'],
      ['guardduty.amazonaws.com', 'DisassociateFromAdministratorAccount', 'guardduty-disassociated'],
    ]) {
      for (const before of [undefined, baseline()]) {
        const j = judgeTrailChange({ eventSource, eventName, requestParameters: { name: 'x' } }, before);
        expect([eventName, j.verdict, j.reductions.map((r) => r.kind)]).toEqual([eventName, 'reduces', [kind]]);
      }
    }
  });

  it('judges PutEventSelectors that adds data events to the default trail an increase', () => {
    const j = judgeTrailChange(put(MANAGEMENT_AND_DATA), baseline());
    expect(j.verdict).toBe('increases');
    expect(j.reductions).toEqual([]);
    expect(j.increases.map((c) => c.kind)).toEqual(['data-events-added', 'data-events-added', 'data-events-added']);
  });

  it('judges PutEventSelectors that drops management events or data events a reduction, naming it', () => {
    const before = baseline(selectorsOf(MANAGEMENT_AND_DATA));
    // What Stratus Red Team's "cloudtrail-event-selectors" does: management events off.
    const dropped = judgeTrailChange(
      put({ eventSelectors: [{ readWriteType: 'ReadOnly', includeManagementEvents: false, dataResources: [] }] }),
      before,
    );
    expect(dropped.verdict).toBe('reduces');
    expect(dropped.reductions.map((r) => r.kind)).toContain('management-events-narrowed');
    expect(judgeTrailChange(put(MANAGEMENT_ONLY), before).reductions.map((r) => r.kind)).toEqual([
      'data-events-narrowed',
      'data-events-narrowed',
      'data-events-narrowed',
    ]);
    const writeOnly = judgeTrailChange(
      put({ eventSelectors: [{ readWriteType: 'WriteOnly', includeManagementEvents: true }] }),
      baseline(),
    );
    expect([writeOnly.verdict, writeOnly.reductions[0]?.kind]).toEqual(['reduces', 'management-events-narrowed']);
    const kmsExcluded = judgeTrailChange(put({ eventSelectors: [{ excludeManagementEventSources: ['kms.amazonaws.com'] }] }), baseline());
    expect(kmsExcluded.verdict).toBe('reduces');
  });

  it('compares advanced selectors with basic ones, and narrowing an advanced selector is a reduction', () => {
    const allManagement = { advancedEventSelectors: [{ name: 'm', fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] }] };
    expect(judgeTrailChange(put(allManagement), baseline()).verdict).toBe('unchanged');
    const s3All = {
      name: 's3',
      fieldSelectors: [
        { field: 'eventCategory', equals: ['Data'] },
        { field: 'resources.type', equals: ['AWS::S3::Object'] },
      ],
    };
    const withS3 = { advancedEventSelectors: [...allManagement.advancedEventSelectors, s3All] };
    expect(judgeTrailChange(put(withS3), baseline()).verdict).toBe('increases');
    const narrowed = {
      advancedEventSelectors: [
        ...allManagement.advancedEventSelectors,
        { ...s3All, fieldSelectors: [...s3All.fieldSelectors, { field: 'resources.ARN', startsWith: ['arn:aws:s3:::one-bucket/'] }] },
      ],
    };
    const j = judgeTrailChange(put(narrowed), baseline(selectorsOf(withS3)));
    expect([j.verdict, j.reductions.map((r) => r.kind)]).toEqual(['reduces', ['advanced-selectors-narrowed']]);
    // A basic "all S3 objects" selector is the advanced one without an ARN condition.
    const basicAll = { eventSelectors: [{ dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }] }] };
    expect(judgeTrailChange(put(withS3), baseline(selectorsOf(basicAll))).verdict).toBe('unchanged');
  });

  it('lists at most MAX_CHANGES_LISTED changes of a kind, and judges on all of them', () => {
    const values = Array.from({ length: 250 }, (_, i) => `arn:aws:s3:::bucket-${i}/`);
    const all = { eventSelectors: [{ dataResources: [{ type: 'AWS::S3::Object', values }] }] };
    const j = judgeTrailChange(put(MANAGEMENT_ONLY), baseline(selectorsOf(all)));
    expect([j.verdict, j.reductions.length]).toEqual(['reduces', MAX_CHANGES_LISTED]);
    expect(j.reductions[MAX_CHANGES_LISTED - 1]).toEqual({ kind: 'more', detail: '201 more change(s) of this kind, not listed' });
  });

  it('cannot judge PutEventSelectors without the configuration before it, nor unreadable selectors', () => {
    expect(judgeTrailChange(put(MANAGEMENT_AND_DATA), undefined).verdict).toBe('unknown');
    expect(judgeTrailChange(put({ eventSelectors: 'x' }), baseline()).unknowns.map((u) => u.kind)).toEqual(['selectors-unreadable']);
    expect(judgeTrailChange({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances' }, baseline()).verdict).toBe('unknown');
    // A record without the selectors, or without any request parameters, does not say what was set.
    expect(judgeTrailChange(put({ trailName: 'TrailName' }), baseline()).unknowns.map((u) => u.kind)).toEqual(['selectors-unreadable']);
    expect(judgeTrailChange(put({ trailName: 'TrailName', eventSelectors: [] }), baseline()).verdict).toBe('unknown');
    for (const eventName of ['PutEventSelectors', 'UpdateTrail'])
      expect(judgeTrailChange({ eventSource: CT, eventName, requestParameters: null }, baseline()).unknowns.map((u) => u.kind)).toEqual([
        'request-not-recorded',
      ]);
  });

  it('judges UpdateTrail setting by setting', () => {
    const before = baseline(DEFAULT_SELECTORS, {
      s3BucketName: 'logs',
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      logFileValidationEnabled: true,
      kmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      cloudWatchLogsLogGroupArn: 'arn:aws:logs:us-east-1:111111111111:log-group:ct:*',
    });
    const kinds = (p: Record<string, unknown>) => {
      const j = judgeTrailChange(update({ name: 't', ...p }), before);
      return [j.verdict, [...j.reductions, ...j.increases, ...j.unknowns].map((c) => c.kind)];
    };
    expect(kinds({ s3BucketName: 'amzn-s3-demo-bucket' })).toEqual(['reduces', ['destination-changed']]);
    expect(kinds({ s3BucketName: 'logs' })).toEqual(['unchanged', []]);
    expect(kinds({ s3KeyPrefix: 'elsewhere' })).toEqual(['reduces', ['destination-changed']]);
    expect(kinds({ isMultiRegionTrail: false })).toEqual(['reduces', ['multi-region-disabled']]);
    expect(kinds({ includeGlobalServiceEvents: false })).toEqual(['reduces', ['global-service-events-disabled']]);
    expect(kinds({ enableLogFileValidation: false })).toEqual(['reduces', ['log-file-validation-disabled']]);
    expect(kinds({ kmsKeyId: '' })).toEqual(['reduces', ['kms-key-removed']]);
    expect(kinds({ kmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' })).toEqual(['unchanged', []]);
    expect(kinds({ kmsKeyId: 'alias/other' })).toEqual(['unknown', ['kms-key-unverifiable']]);
    expect(kinds({ cloudWatchLogsLogGroupArn: '', cloudWatchLogsRoleArn: '' })).toEqual(['reduces', ['cloudwatch-logs-removed']]);
    expect(kinds({ snsTopicName: 'topic' })).toEqual(['increases', ['sns-notifications-added']]);
    expect(kinds({ isOrganizationTrail: true })).toEqual(['increases', ['organization-trail-enabled']]);
    expect(kinds({ isMultiRegionTrail: false, snsTopicName: 'topic' })).toEqual([
      'reduces',
      ['multi-region-disabled', 'sns-notifications-added'],
    ]);
  });

  it('judges UpdateTrail without a baseline only where the request alone shows it is not a reduction', () => {
    expect(judgeTrailChange(update({ name: 't', enableLogFileValidation: true, isMultiRegionTrail: true }), undefined).verdict).toBe(
      'increases',
    );
    expect(judgeTrailChange(update({ name: 't', isMultiRegionTrail: false }), undefined).verdict).toBe('unknown');
    expect(judgeTrailChange(update({ name: 't', s3BucketName: 'b' }), undefined).verdict).toBe('unknown');
  });
});

/** Data selectors for distinct buckets (no one covers another). */
const bucketSelectors = fc
  .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{2,12}$/), { minLength: 1, maxLength: 6 })
  .map((buckets) => buckets.map((b) => ({ type: 'AWS::S3::Object', values: [`arn:aws:s3:::${b}/`] })));
const readWrite = fc.constantFrom('All', 'ReadOnly', 'WriteOnly');
const basicSelector = fc.record({
  readWriteType: readWrite,
  includeManagementEvents: fc.boolean(),
  dataResources: bucketSelectors,
});

describe('judgeTrailChange, properties', () => {
  it('never calls a call that keeps every selector (and may add more) a reduction', () => {
    fc.assert(
      fc.property(fc.array(basicSelector, { minLength: 1, maxLength: 4 }), fc.array(basicSelector, { maxLength: 2 }), (before, extra) => {
        const j = judgeTrailChange(put({ eventSelectors: [...before, ...extra] }), baseline(selectorsOf({ eventSelectors: before })));
        expect(j.reductions).toEqual([]);
        expect(['increases', 'unchanged']).toContain(j.verdict);
        if (!extra.length) expect(j.verdict).toBe('unchanged');
      }),
    );
  });

  it('calls dropping any one bucket of the data selectors a reduction', () => {
    fc.assert(
      fc.property(bucketSelectors, readWrite, fc.nat(), (resources, rw, pick) => {
        const before = { eventSelectors: [{ readWriteType: rw, includeManagementEvents: true, dataResources: resources }] };
        const kept = resources.filter((_, i) => i !== pick % resources.length);
        const j = judgeTrailChange(
          put({ eventSelectors: [{ readWriteType: rw, includeManagementEvents: true, dataResources: kept }] }),
          baseline(selectorsOf(before)),
        );
        expect([j.verdict, j.reductions.map((r) => r.kind)]).toEqual(['reduces', ['data-events-narrowed']]);
      }),
    );
  });

  it('never judges PutEventSelectors without a baseline other than unknown, and the verdict always follows the lists', () => {
    fc.assert(
      fc.property(
        fc.array(basicSelector, { minLength: 1, maxLength: 3 }),
        fc.option(fc.array(basicSelector, { maxLength: 3 })),
        (after, before) => {
          const j = judgeTrailChange(
            put({ eventSelectors: after }),
            before === null ? undefined : baseline(selectorsOf({ eventSelectors: before })),
          );
          if (before === null) expect(j.verdict).toBe('unknown');
          expect(j.verdict === 'reduces').toBe(j.reductions.length > 0);
          if (j.verdict === 'increases') expect(j.increases.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('judges UpdateTrail of the booleans a reduction exactly when one turns from on to off', () => {
    const flags = ['includeGlobalServiceEvents', 'isMultiRegionTrail', 'logFileValidationEnabled', 'isOrganizationTrail'] as const;
    const param = {
      includeGlobalServiceEvents: 'includeGlobalServiceEvents',
      isMultiRegionTrail: 'isMultiRegionTrail',
      logFileValidationEnabled: 'enableLogFileValidation',
      isOrganizationTrail: 'isOrganizationTrail',
    };
    fc.assert(
      fc.property(fc.tuple(...flags.map(() => fc.boolean())), fc.tuple(...flags.map(() => fc.option(fc.boolean()))), (was, set) => {
        const settings = Object.fromEntries(flags.map((f, i) => [f, was[i]])) as TrailSettings;
        const request = Object.fromEntries(flags.flatMap((f, i) => (set[i] === null ? [] : [[param[f], set[i]]])));
        const j = judgeTrailChange(update({ name: 't', ...request }), baseline(DEFAULT_SELECTORS, settings));
        const off = flags.some((_, i) => was[i] && set[i] === false);
        expect(j.verdict === 'reduces').toBe(off);
      }),
    );
  });

  it('has every selector cover itself', () => {
    fc.assert(fc.property(basicSelector, (s) => selectorsOf({ eventSelectors: [s] }).every((x) => covers(x, x))));
  });
});

describe('usableBaseline', () => {
  it('uses a baseline only if it was read before the call was made', () => {
    const stored = { ...baseline(), readAt: '2026-12-01T10:00:00.000Z', caseId: 'fb-20261201-0123456789' };
    expect(usableBaseline(stored, '2026-12-01T10:00:02Z')).toEqual(baseline());
    // Within the clock margin (1 s), at or before the read: the read may hold the call's change.
    expect(usableBaseline(stored, '2026-12-01T10:00:01Z')).toBeUndefined();
    expect(usableBaseline(stored, '2026-12-01T10:00:00.000Z')).toBeUndefined();
    expect(usableBaseline(stored, '2026-12-01T09:00:00Z')).toBeUndefined();
    // The earlier of CloudTrail's eventTime and the envelope's time counts; one that does not parse is ignored.
    expect(usableBaseline(stored, '2026-12-01T10:00:00Z', '2026-12-01T10:05:00Z')).toBeUndefined();
    expect(usableBaseline(stored, undefined, '2026-12-01T10:05:00Z')).toEqual(baseline());
    expect(usableBaseline(stored, undefined, 'not a time')).toBeUndefined();
    expect(usableBaseline(undefined, '2026-12-01T10:00:02Z')).toBeUndefined();
    // A trail found deleted: a trail created again under its name is not judged against the deleted one.
    expect(usableBaseline({ ...stored, gone: true }, '2026-12-01T10:00:02Z')).toBeUndefined();
  });
});

describe('routeOf', () => {
  const none = { asked: false, approvedByPerson: false };
  it('contains reductions, restores those of automation, notifies increases and asks a person when it cannot tell', () => {
    expect(routeOf('reduces', false, none).route).toBe('contain');
    expect(routeOf('reduces', true, none).route).toBe('restore');
    expect(routeOf('increases', false, none).route).toBe('notify');
    expect(routeOf('unchanged', true, none).route).toBe('notify');
    expect(routeOf('unknown', false, none).route).toBe('approval');
    expect(routeOf('unknown', false, { asked: true, approvedByPerson: true }).route).toBe('contain');
    expect(routeOf('unknown', true, { asked: true, approvedByPerson: true }).route).toBe('restore');
    // Asked, and nobody answered (the entry's timeout action was contain): never a revocation.
    expect(routeOf('unknown', false, { asked: true, approvedByPerson: false }).route).toBe('restore');
  });

  it('never revokes for anything but a reduction, or an unknown change a person approved', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('reduces', 'increases', 'unchanged', 'unknown' as const),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (v, auto, asked, person) => {
          const { route } = routeOf(v, auto, { asked, approvedByPerson: asked && person });
          if (route === 'contain') expect(!auto && (v === 'reduces' || (v === 'unknown' && asked && person))).toBe(true);
        },
      ),
    );
  });
});

describe('tamperAutomationPrincipals', () => {
  const principals = ['arn:aws:iam::111111111111:role/automation/*', 'arn:aws:iam::111111111111:role/OrganizationAccountAccessRole'];
  it('matches the session issuer by full role ARN, never a session name, another account or another path', () => {
    const of = (issuerArn?: string, type = 'AssumedRole') => automationPrincipalOf(principals, { type, issuerArn });
    expect(of('arn:aws:iam::111111111111:role/OrganizationAccountAccessRole')).toBe(principals[1]);
    expect(of('arn:aws:iam::111111111111:role/automation/deployer')).toBe(principals[0]);
    expect(of('arn:aws:iam::222222222222:role/OrganizationAccountAccessRole')).toBeUndefined();
    expect(of('arn:aws:iam::111111111111:role/other/OrganizationAccountAccessRole')).toBeUndefined();
    expect(of('arn:aws:sts::111111111111:assumed-role/OrganizationAccountAccessRole/automation')).toBeUndefined();
    expect(of('arn:aws:iam::111111111111:role/OrganizationAccountAccessRole', 'IAMUser')).toBeUndefined();
    expect(of(undefined)).toBeUndefined();
  });

  it('is validated in the deployment configuration and the Lambda environment, the error naming the key', () => {
    expect(parseConfig({}).tamperAutomationPrincipals).toEqual([]);
    expect(parseConfig({ tamperAutomationPrincipals: principals }).tamperAutomationPrincipals).toEqual(principals);
    for (const bad of ['OrganizationAccountAccessRole', 'arn:aws:iam::*:role/deploy', 'arn:aws:sts::111111111111:assumed-role/deploy/s'])
      expect(() => parseConfig({ tamperAutomationPrincipals: [bad] })).toThrow(
        /tamperAutomationPrincipals\.0: must be a full IAM role ARN/,
      );
    const env = LambdaEnvironmentSchema.safeParse({ FIREBREAK_TAMPER_AUTOMATION_PRINCIPALS: '["deploy"]' });
    expect(env.success ? [] : env.error.issues.map((i) => i.path.join('.'))).toContain('FIREBREAK_TAMPER_AUTOMATION_PRINCIPALS.0');
  });
});
