import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccessDenied, InvalidInput, Throttled, TransientAwsError } from '../../lib/core/errors';
import { injectionWorld, listDrills, readDrill, validateDrill } from '../../lib/harness/gameday/drill';
import { describeFault, faultError, FaultSchema, seededRandom } from '../../lib/harness/gameday/faults';
import { hasAwsCode, mapAwsError } from '../../lib/runtime/aws-errors';

/**
 * The drill format (runbooks/README.md "Drill format", lib/harness/gameday/drill.ts): every drill file is
 * valid, and a bad fault, repeat or expectation is refused with InvalidInput naming the field,
 * before any AWS call. No emulator here.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const RUNBOOKS = path.join(ROOT, 'runbooks');
const FILE = path.join(RUNBOOKS, 'ec2-compromise', 'drill-test.yaml');

/** A valid one-injection drill, with `injection` merged into its injection. */
function drill(injection: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    name: 'schema-test',
    description: 'schema test',
    runbook: 'ec2-compromise',
    budget: { containSeconds: 60 },
    injections: [
      {
        name: 'one',
        event: '../../fixtures/events/guardduty-ec2-bitcoin-dns.json',
        expect: { status: 'SUCCEEDED', outcome: 'CONTAINED' },
        ...injection,
      },
    ],
    ...top,
  };
}

function refusal(doc: unknown): string {
  try {
    validateDrill(doc, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInput);
    return (err as Error).message;
  }
  throw new Error('the drill was accepted');
}

const recover = { status: 'SUCCEEDED', outcome: 'CONTAINED', behaviour: 'recover' };

describe('drill files', () => {
  it('lists every runbooks/*/drill*.yaml, sorted, with the unexpected-event drills', () => {
    const files = listDrills(RUNBOOKS);
    expect(files).toEqual([...files].sort());
    expect(files.map((f) => path.relative(RUNBOOKS, f))).toEqual([
      'attack-sequence/drill-unexpected.yaml',
      'attack-sequence/drill.yaml',
      'cloudtrail-tamper/drill-unexpected.yaml',
      'cloudtrail-tamper/drill.yaml',
      'credential-compromise/drill-unexpected.yaml',
      'credential-compromise/drill.yaml',
      'ec2-compromise/drill-containers-unexpected.yaml',
      'ec2-compromise/drill-containers.yaml',
      'ec2-compromise/drill-finding-types.yaml',
      'ec2-compromise/drill-unexpected.yaml',
      'ec2-compromise/drill.yaml',
      'ecs-task-compromise/drill-unexpected.yaml',
      'ecs-task-compromise/drill.yaml',
      'finding-triage/drill.yaml',
      'lambda-compromise/drill-unexpected.yaml',
      'lambda-compromise/drill.yaml',
      'rds-compromise/drill-unexpected.yaml',
      'rds-compromise/drill.yaml',
      'root-activity/drill-unexpected.yaml',
      'root-activity/drill.yaml',
      's3-compromise/drill-unexpected.yaml',
      's3-compromise/drill.yaml',
    ]);
  });

  it('defaults to ./runbooks, with paths relative to it', () => {
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      expect(listDrills()).toContain(path.join('runbooks', 'ec2-compromise', 'drill.yaml'));
      expect(listDrills().every((f) => !path.isAbsolute(f))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it.each(listDrills(RUNBOOKS).map((f) => [path.relative(ROOT, f)]))(
    '%s is valid, names its folder, and states a behaviour for every fault and repeat',
    (file) => {
      const { drill: d } = readDrill(path.join(ROOT, file));
      expect(d.runbook).toBe(path.basename(path.dirname(file)));
      for (const i of d.injections) if (i.faults || i.repeat) expect(i.expect.behaviour).toMatch(/^(recover|fail-loudly)$/);
    },
  );

  it('the unexpected-event drills cover repeats, concurrency, a sample, a terminated instance, throttling, a denial and a deletion half way', () => {
    const { drill: ec2 } = readDrill(path.join(RUNBOOKS, 'ec2-compromise', 'drill-unexpected.yaml'));
    const faults = ec2.injections.flatMap((i) => i.faults ?? []);
    expect(ec2.injections.some((i) => i.repeat?.times === 3 && !i.repeat.concurrent && i.expect.containments === 1)).toBe(true);
    expect(ec2.injections.some((i) => i.repeat?.times === 2 && i.repeat.concurrent && i.expect.containments === 1)).toBe(true);
    expect(ec2.injections.some((i) => i.expect.status === 'DRY_RUN' && i.expect.maxMutatingCalls === 0)).toBe(true);
    expect(faults).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'throttle', operation: 'EC2.ModifyNetworkInterfaceAttribute' }),
        expect.objectContaining({ kind: 'throttle', operation: 'EC2.CopySnapshot' }),
        expect.objectContaining({ kind: 'deny', operation: 'EC2.ModifyNetworkInterfaceAttribute' }),
        { kind: 'delete-resource', resource: 'instance' },
        { kind: 'delete-resource', resource: 'instance', after: 'Contain' },
      ]),
    );
    const denied = ec2.injections.find((i) => i.faults?.some((f) => f.kind === 'deny'))!;
    expect(denied.expect).toMatchObject({ behaviour: 'fail-loudly', status: 'FAILED' });
    const { drill: cred } = readDrill(path.join(RUNBOOKS, 'credential-compromise', 'drill-unexpected.yaml'));
    expect(
      cred.injections.find((i) => i.faults?.some((f) => f.kind === 'deny' && f.operation === 'IAM.AttachUserPolicy'))!.expect.behaviour,
    ).toBe('fail-loudly');
    expect(typeof cred.injections.find((i) => i.expect.status === 'DRY_RUN')!.event).toBe('object');
  });

  it('the ec2-compromise unexpected-event drill has an injection for each fault of issue 10, with its expectation', () => {
    const { drill: ec2 } = readDrill(path.join(RUNBOOKS, 'ec2-compromise', 'drill-unexpected.yaml'));
    const MOVE = 'EC2.ModifyNetworkInterfaceAttribute';
    const find = (what: string, p: (i: (typeof ec2.injections)[number]) => boolean) => {
      const found = ec2.injections.filter(p);
      expect([what, found.length > 0]).toEqual([what, true]);
      return found;
    };
    const has = (i: (typeof ec2.injections)[number], f: Record<string, unknown>) =>
      (i.faults ?? []).some((x) => Object.entries(f).every(([k, v]) => (x as Record<string, unknown>)[k] === v));
    find(
      'deny of every move',
      (i) =>
        has(i, { kind: 'deny', operation: MOVE, skip: undefined }) &&
        i.expect.behaviour === 'fail-loudly' &&
        i.expect.networkInterfaces === 'unchanged',
    );
    find(
      'deny between the moves',
      (i) =>
        has(i, { kind: 'deny', operation: MOVE, skip: 2, times: 1 }) &&
        i.expect.behaviour === 'fail-loudly' &&
        i.expect.networkInterfaces === 'isolated',
    );
    find(
      'sustained throttle',
      (i) =>
        has(i, { kind: 'throttle', operation: MOVE, rate: 1, times: undefined }) &&
        i.expect.behaviour === 'fail-loudly' &&
        i.expect.networkInterfaces === 'unchanged',
    );
    find('crash after the first move', (i) => has(i, { kind: 'crash', operation: MOVE, after: 1 }) && i.expect.outcome === 'CONTAINED');
    const five = find(
      'crash on five ENIs',
      (i) => i.world?.extraNetworkInterfaces === 4 && has(i, { kind: 'crash', operation: MOVE }) && i.expect.outcome === 'CONTAINED',
    );
    expect(five.flatMap((i) => i.faults!.map((f) => (f as { after: number }).after))).toEqual([2, 4, 6, 8, 10]);
    find('squatting groups', (i) => i.world?.squatFirebreakGroupNames === true && i.expect.outcome === 'CONTAINED');
    find(
      'NotFound twice',
      (i) => has(i, { kind: 'not-found', operation: 'EC2.DescribeInstances', times: 2 }) && i.expect.outcome === 'CONTAINED',
    );
    const gone = ec2.injections.findIndex(
      (i) =>
        has(i, { kind: 'not-found', times: undefined }) &&
        i.expect.outcome === 'RESOURCE_GONE' &&
        i.environment?.FIREBREAK_NOT_FOUND_GRACE_SECONDS !== undefined,
    );
    expect(ec2.injections[gone + 1]).toMatchObject({ sameWorld: true, expect: { outcome: 'CONTAINED', sameCase: true } });
    find('no ENI listed', (i) => has(i, { kind: 'omit-network-interfaces' }) && i.expect.behaviour === 'fail-loudly');
    find('Lambda timeout once', (i) => has(i, { kind: 'lambda-timeout', state: 'Contain', times: 1 }) && i.expect.outcome === 'CONTAINED');
    find(
      'execution timeout',
      (i) => has(i, { kind: 'execution-timeout' }) && has(i, { kind: 'snapshots-pending' }) && i.expect.behaviour === 'fail-loudly',
    );
    find(
      'evidence deadline',
      (i) =>
        has(i, { kind: 'snapshots-pending' }) &&
        i.environment?.FIREBREAK_EVIDENCE_DEADLINE_SECONDS !== undefined &&
        i.expect.behaviour === 'fail-loudly',
    );
    // Contain claims the case in its first write (issue 13): the injection that never returns is Contain's.
    const claim = ec2.injections.findIndex(
      (i) => has(i, { kind: 'lambda-timeout', state: 'Contain', times: 10 }) && i.expect.behaviour === 'fail-loudly',
    );
    expect(claim).toBeGreaterThanOrEqual(0);
    expect(ec2.injections[claim + 1]).toMatchObject({ sameWorld: true, expect: { outcome: 'CONTAINED', sameCase: true } });
  });
});

describe('drill schema', () => {
  it('accepts the new fields: inline events, faults, repeat, behaviour, step budgets, seed', () => {
    const inline = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures/events/guardduty-ec2-bitcoin-dns.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const d = validateDrill(
      drill(
        {
          event: { inline },
          faults: [
            { kind: 'throttle', operation: 'EC2.ModifyNetworkInterfaceAttribute', rate: 0.5, times: 3 },
            { kind: 'server-error', operation: 'EC2.CopySnapshot', rate: 0.25 },
            { kind: 'deny', operation: 'IAM.AttachUserPolicy', times: 1 },
            { kind: 'delete-resource', resource: 'instance', after: 'Contain' },
          ],
          budget: { stepSeconds: { Contain: 5 } },
          expect: recover,
        },
        { seed: 7, budget: { containSeconds: 60, stepSeconds: { Contain: 5 } } },
      ),
      FILE,
    );
    expect(d.injections[0].faults).toHaveLength(4);
    expect(d.injections[0].faults![1]).toEqual({ kind: 'server-error', operation: 'EC2.CopySnapshot', rate: 0.25 });
    const repeated = validateDrill(
      drill({ repeat: { times: 3 }, expect: { behaviour: 'recover', containments: 1, others: 'ALREADY_HANDLED' } }),
      FILE,
    );
    expect(repeated.injections[0].repeat).toEqual({ times: 3, concurrent: false });
    // `{ file }` is the same as a plain path.
    expect(validateDrill(drill({ event: { file: '../../fixtures/events/guardduty-ec2-bitcoin-dns.json' } }), FILE).injections).toHaveLength(
      1,
    );
  });

  it("accepts the issue 10 fields: the new fault kinds, an injection's world and environment, sameCase and ENI placements", () => {
    const d = validateDrill(
      drill(
        {
          world: { extraNetworkInterfaces: 4, squatFirebreakGroupNames: true },
          environment: { FIREBREAK_NOT_FOUND_GRACE_SECONDS: 3, FIREBREAK_EVIDENCE_DEADLINE_SECONDS: '2' },
          faults: [
            { kind: 'not-found', operation: 'EC2.DescribeInstances', times: 2 },
            { kind: 'omit-network-interfaces' },
            { kind: 'snapshots-pending', times: 3 },
            { kind: 'lambda-timeout', state: 'Contain' },
            { kind: 'execution-timeout', seconds: 3 },
            { kind: 'crash', operation: 'EC2.ModifyNetworkInterfaceAttribute', after: 4 },
          ],
          expect: { ...recover, networkInterfaces: 'isolated' },
        },
        { world: { targetGroup: true } },
      ),
      FILE,
    );
    const i = d.injections[0];
    expect(i.faults![3]).toEqual({ kind: 'lambda-timeout', state: 'Contain', times: 1 });
    expect(i.world).toEqual({ extraNetworkInterfaces: 4, squatFirebreakGroupNames: true });
    expect(injectionWorld(d, i)).toEqual({
      autoScalingGroup: false,
      targetGroup: true,
      extraNetworkInterfaces: 4,
      squatFirebreakGroupNames: true,
    });
    expect(d.world).toEqual({ autoScalingGroup: false, targetGroup: true, extraNetworkInterfaces: 0, squatFirebreakGroupNames: false });
    // The second injection reuses the first's world and names its case.
    const two = validateDrill(
      {
        ...drill(),
        injections: [
          ...drill().injections,
          {
            name: 'again',
            event: '../../fixtures/events/guardduty-ec2-bitcoin-dns.json',
            sameWorld: true,
            expect: { status: 'SUCCEEDED', sameCase: true },
          },
        ],
      },
      FILE,
    );
    expect(two.injections[1].expect.sameCase).toBe(true);
    expect(
      refusal({
        ...drill(),
        injections: [
          ...drill().injections,
          {
            name: 'again',
            event: '../../fixtures/events/guardduty-ec2-bitcoin-dns.json',
            sameWorld: true,
            world: { extraNetworkInterfaces: 1 },
            expect: { status: 'SUCCEEDED' },
          },
        ],
      }),
    ).toMatch(/injections\.1\.world: cannot be given with sameWorld/);
  });

  it('describes each new fault in one line', () => {
    expect(
      [
        { kind: 'not-found', operation: 'EC2.DescribeInstances', times: 2 },
        { kind: 'omit-network-interfaces' },
        { kind: 'snapshots-pending' },
        { kind: 'lambda-timeout', state: 'Claim', times: 10 },
        { kind: 'execution-timeout', seconds: 3 },
      ].map((f) => describeFault(FaultSchema.parse(f))),
    ).toEqual([
      'not-found EC2.DescribeInstances (InvalidInstanceID.NotFound, at most 2)',
      'omit-network-interfaces: EC2.DescribeInstances lists no ENI',
      'snapshots-pending: EC2.DescribeSnapshots answers pending (every poll)',
      'lambda-timeout Claim (its first 10 invocation(s) of each execution)',
      'execution-timeout after 3 s',
    ]);
  });

  it('defaults a rate fault to every call (rate 1)', () => {
    const d = validateDrill(drill({ faults: [{ kind: 'throttle', operation: 'EC2.CopySnapshot', times: 2 }], expect: recover }), FILE);
    expect(d.injections[0].faults![0]).toEqual({ kind: 'throttle', operation: 'EC2.CopySnapshot', rate: 1, times: 2 });
  });

  it.each([
    [
      'a rate above 1',
      { faults: [{ kind: 'throttle', operation: 'EC2.CopySnapshot', rate: 1.5 }], expect: recover },
      /injections\.0\.faults\.0\.rate: must be between 0 and 1/,
    ],
    [
      'a negative rate',
      { faults: [{ kind: 'server-error', operation: 'EC2.CopySnapshot', rate: -0.1 }], expect: recover },
      /injections\.0\.faults\.0\.rate: must be between 0 and 1/,
    ],
    [
      'times 0',
      { faults: [{ kind: 'deny', operation: 'EC2.CopySnapshot', times: 0 }], expect: recover },
      /injections\.0\.faults\.0\.times: must be at least 1/,
    ],
    [
      'an unknown kind',
      { faults: [{ kind: 'latency', operation: 'EC2.CopySnapshot' }], expect: recover },
      /injections\.0\.faults\.0\.kind: kind must be one of: throttle, server-error, deny, not-found, crash, omit-network-interfaces, snapshots-pending, lambda-timeout, execution-timeout, delete-resource/,
    ],
    [
      'not-found on an operation without a NotFound code',
      { faults: [{ kind: 'not-found', operation: 'EC2.CopySnapshot' }], expect: recover },
      /injections\.0\.faults\.0\.operation: must be one of: EC2\.DescribeInstances, /,
    ],
    [
      'an operation on omit-network-interfaces',
      { faults: [{ kind: 'omit-network-interfaces', operation: 'EC2.DescribeInstances' }], expect: recover },
      /injections\.0\.faults\.0: Unrecognized key.*operation/,
    ],
    [
      'snapshots-pending for 0 polls',
      { faults: [{ kind: 'snapshots-pending', times: 0 }], expect: recover },
      /injections\.0\.faults\.0\.times: must be at least 1/,
    ],
    ['a lambda-timeout without its state', { faults: [{ kind: 'lambda-timeout' }], expect: recover }, /injections\.0\.faults\.0\.state: /],
    [
      'a lambda-timeout on something that is not a state name',
      { faults: [{ kind: 'lambda-timeout', state: 'the isolate step' }], expect: recover },
      /injections\.0\.faults\.0\.state: must be a state name, e\.g\. Contain/,
    ],
    [
      'an execution timeout of 0 s',
      { faults: [{ kind: 'execution-timeout', seconds: 0 }], expect: recover },
      /injections\.0\.faults\.0\.seconds: must be at least 1/,
    ],
    [
      'two execution timeouts',
      {
        faults: [
          { kind: 'execution-timeout', seconds: 3 },
          { kind: 'execution-timeout', seconds: 5 },
        ],
        expect: recover,
      },
      /injections\.0\.faults: at most one execution-timeout/,
    ],
    [
      'an environment variable a drill may not set',
      { environment: { FIREBREAK_LEDGER_TABLE: 'other' } },
      /injections\.0\.environment\.FIREBREAK_LEDGER_TABLE: is not a variable a drill may set \(one of: FIREBREAK_NOT_FOUND_GRACE_SECONDS, /,
    ],
    [
      'an environment value the runtime configuration refuses',
      { environment: { FIREBREAK_EVIDENCE_DEADLINE_SECONDS: 0 } },
      /injections\.0\.environment\.FIREBREAK_EVIDENCE_DEADLINE_SECONDS: 0 is not a valid value/,
    ],
    ['an unknown world field on an injection', { world: { extraEnis: 4 } }, /injections\.0\.world: Unrecognized key.*extraEnis/],
    ['too many extra ENIs on an injection', { world: { extraNetworkInterfaces: 15 } }, /injections\.0\.world\.extraNetworkInterfaces: /],
    [
      'sameCase without sameWorld',
      { expect: { status: 'SUCCEEDED', sameCase: true } },
      /injections\.0\.expect\.sameCase: is only for an injection with sameWorld/,
    ],
    [
      'an unknown ENI placement',
      { expect: { status: 'SUCCEEDED', networkInterfaces: 'quarantined' } },
      /injections\.0\.expect\.networkInterfaces: must be isolated or unchanged/,
    ],
    [
      'an operation without its service',
      { faults: [{ kind: 'throttle', operation: 'ModifyNetworkInterfaceAttribute' }], expect: recover },
      /injections\.0\.faults\.0\.operation: must be Service\.Operation .*e\.g\. EC2\.ModifyNetworkInterfaceAttribute/,
    ],
    [
      'a service Firebreak does not call',
      { faults: [{ kind: 'throttle', operation: 'Route53.ChangeResourceRecordSets' }], expect: recover },
      /injections\.0\.faults\.0\.operation: must be Service\.Operation/,
    ],
    [
      'a rate on a denial',
      { faults: [{ kind: 'deny', operation: 'IAM.AttachUserPolicy', rate: 0.5 }], expect: recover },
      /injections\.0\.faults\.0: Unrecognized key.*rate/,
    ],
    [
      'an unknown resource to delete',
      { faults: [{ kind: 'delete-resource', resource: 'bucket' }], expect: recover },
      /injections\.0\.faults\.0\.resource: must be one of: instance, access-key, iam-user/,
    ],
    [
      'two deletions',
      {
        faults: [
          { kind: 'delete-resource', resource: 'instance' },
          { kind: 'delete-resource', resource: 'instance', after: 'Contain' },
        ],
        expect: recover,
      },
      /injections\.0\.faults: at most one delete-resource/,
    ],
    ['an empty fault list', { faults: [], expect: recover }, /injections\.0\.faults: /],
    [
      'faults without a behaviour',
      { faults: [{ kind: 'throttle', operation: 'EC2.CopySnapshot' }] },
      /injections\.0\.expect\.behaviour: is required with faults or repeat/,
    ],
    [
      'an unknown behaviour',
      { expect: { status: 'SUCCEEDED', behaviour: 'retry' } },
      /injections\.0\.expect\.behaviour: must be one of: recover, fail-loudly/,
    ],
    [
      'fail-loudly that expects SUCCEEDED',
      { expect: { status: 'SUCCEEDED', behaviour: 'fail-loudly' } },
      /injections\.0\.expect\.status: must be FAILED when behaviour is fail-loudly/,
    ],
    [
      'recover that expects FAILED',
      { expect: { status: 'FAILED', behaviour: 'recover' } },
      /injections\.0\.expect\.status: cannot be FAILED when behaviour is recover/,
    ],
    ['no status without repeat', { expect: { outcome: 'CONTAINED' } }, /injections\.0\.expect\.status: is required/],
    [
      'containments without repeat',
      { expect: { status: 'SUCCEEDED', containments: 1 } },
      /injections\.0\.expect\.containments: is only for an injection with repeat/,
    ],
    [
      'a repeat of one',
      { repeat: { times: 1 }, expect: { behaviour: 'recover', containments: 1 } },
      /injections\.0\.repeat\.times: must be at least 2/,
    ],
    [
      'a repeat with nothing to judge the set by',
      { repeat: { times: 2 }, expect: { behaviour: 'recover' } },
      /injections\.0\.expect: an injection with repeat needs expect\.containments/,
    ],
    [
      'outcomes that do not add up',
      { repeat: { times: 3 }, expect: { behaviour: 'recover', outcomes: { CONTAINED: 1, ALREADY_HANDLED: 1 } } },
      /injections\.0\.expect\.outcomes: must add up to repeat\.times \(3\), not 2/,
    ],
    [
      'an event that is neither a path nor inline',
      { event: { url: 'https://example.com/e.json' } },
      /injections\.0\.event: must be a file path, \{ file: PATH \} or \{ inline: EVENT \}/,
    ],
    [
      'a step budget that is not a state name',
      { budget: { stepSeconds: { 'the isolate step': 5 } } },
      /injections\.0\.budget\.stepSeconds.*must be a state name/,
    ],
    [
      'an approval that is neither approve nor deny',
      { approval: { decision: 'maybe', reason: 'x' } },
      /approval\.decision: must be approve or deny/,
    ],
    ['an approval without a reason', { approval: { decision: 'approve', reason: '  ' } }, /approval\.reason: must say why/],
    ['an approval with an unknown field', { approval: { decision: 'deny', reason: 'x', after: 5 } }, /approval/],
  ])('refuses %s, naming the field', (_what, injection, message) => {
    expect(refusal(drill(injection))).toMatch(message);
  });

  it('accepts an approval: a decision and the reason a person gives', () => {
    const d = validateDrill(drill({ approval: { decision: 'deny', reason: 'expected batch job' } }), FILE);
    expect(d.injections[0].approval).toEqual({ decision: 'deny', reason: 'expected batch job' });
  });

  it('refuses an inline event that is not a valid event, naming the injection and the field', () => {
    expect(refusal(drill({ event: { inline: { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding' } } }))).toMatch(
      /inline event of injection "one".*: id: /,
    );
  });

  it('still refuses an event file that does not exist, and sameWorld on the first injection', () => {
    expect(refusal(drill({ event: 'nope.json' }))).toMatch(/injection "one" names nope\.json, which does not exist/);
    expect(refusal(drill({ sameWorld: true }))).toMatch(/the first injection cannot use sameWorld/);
  });
});

describe('faults', () => {
  it('draws the same sequence for the same seed, another for another seed', () => {
    const a = seededRandom('drill/injection#0');
    const b = seededRandom('drill/injection#0');
    const c = seededRandom('drill/injection#1');
    const first = Array.from({ length: 20 }, () => a());
    expect(Array.from({ length: 20 }, () => b())).toEqual(first);
    expect(Array.from({ length: 20 }, () => c())).not.toEqual(first);
    expect(first.every((n) => n >= 0 && n < 1)).toBe(true);
  });

  it.each([
    ['throttle', 'EC2.ModifyNetworkInterfaceAttribute', Throttled, /RequestLimitExceeded/],
    ['throttle', 'IAM.UpdateAccessKey', Throttled, /Throttling/],
    ['throttle', 'S3.PutObject', Throttled, /SlowDown/],
    ['server-error', 'EC2.CopySnapshot', TransientAwsError, /InternalError/],
    ['server-error', 'IAM.AttachUserPolicy', TransientAwsError, /ServiceFailure/],
    ['deny', 'EC2.ModifyNetworkInterfaceAttribute', AccessDenied, /UnauthorizedOperation/],
    ['deny', 'IAM.AttachUserPolicy', AccessDenied, /AccessDenied/],
    ['deny', 'DynamoDB.PutItem', AccessDenied, /AccessDeniedException/],
  ] as const)("a %s on %s maps, through the project's own error mapping, to %p", (kind, operation, type, code) => {
    const mapped = mapAwsError(faultError(kind, operation), operation);
    expect(mapped).toBeInstanceOf(type);
    expect((mapped as Error).message).toMatch(code);
  });

  it.each([
    ['EC2.DescribeInstances', 'InvalidInstanceID.NotFound', 400],
    ['IAM.GetUser', 'NoSuchEntity', 404],
  ] as const)(
    'a not-found on %s is shaped as AWS answers it (%s, HTTP %i), what describeTargetInstance and the IAM steps test for',
    (operation, code, status) => {
      const err = faultError('not-found', operation) as Error & { Code: string; $metadata: { httpStatusCode: number }; $fault: string };
      expect([err.name, err.Code, err.$metadata.httpStatusCode, err.$fault]).toEqual([code, code, status, 'client']);
      expect(hasAwsCode(mapAwsError(err, operation), code)).toBe(true);
    },
  );
});
