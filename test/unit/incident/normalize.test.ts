import * as fs from 'node:fs';
import * as path from 'node:path';

import { FirebreakError, InvalidInput } from '../../../lib/core/errors';
import { IncidentSchema } from '../../../lib/core/incident/incident';
import { NormalizedState, isSampleFinding, normalizeEvent } from '../../../lib/core/incident/normalize';
import { GuardDutyEventSchema } from '../../../lib/core/incident/schema';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'events');

type Json = Record<string, unknown>;

/** A fresh deep copy of a fixture, safe to mutate. */
function fixture(name: string): Json {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Json;
}

function detailOf(event: Json): Json {
  return event.detail as Json;
}

function serviceOf(event: Json): Json {
  return detailOf(event).service as Json;
}

function instanceDetailsOf(event: Json): Json {
  return (detailOf(event).resource as Json).instanceDetails as Json;
}

function normalize(input: unknown): NormalizedState {
  return normalizeEvent({ input, executionName: 'exec-1', executionStartTime: '2026-11-20T10:11:00.000Z' });
}

/** Runs `fn` and returns what it threw; fails the test when it does not throw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw, but the call returned');
}

/** Asserts that normalizing `input` throws InvalidInput whose message names `field`. */
function expectInvalidInput(input: unknown, field: string): void {
  const err = thrown(() => normalize(input));
  expect(err).toBeInstanceOf(InvalidInput);
  expect((err as Error).name).toBe('InvalidInput');
  expect((err as Error).message).toContain(field);
}

describe('normalizeEvent', () => {
  describe('an ECS task finding (ecs-task-compromise)', () => {
    const normalizeTask = (input: unknown) =>
      normalizeEvent({ input, executionName: 'exec-1', executionStartTime: '2026-11-20T10:11:00.000Z', playbook: 'ecs-task-compromise' });

    it('keeps the task ARN whole in a cluster with a long name (CreateCluster: up to 255 characters), never cut to another task ID', () => {
      const event = fixture('guardduty-runtime-ecs-crypto');
      const cluster = 'c'.repeat(200);
      const ecs = (detailOf(event).resource as Json).ecsClusterDetails as Json;
      ecs.name = cluster;
      ecs.arn = `arn:aws:ecs:us-east-1:111111111111:cluster/${cluster}`;
      const arn = `arn:aws:ecs:us-east-1:111111111111:task/${cluster}/0b7c1e9d2f4a4c6e8b0d2f4a6c8e0b21`;
      (ecs.taskDetails as Json).arn = arn;
      const { incident } = normalizeTask(event);
      expect(incident.playbook).toBe('ecs-task-compromise');
      expect(incident.resource).toMatchObject({ type: 'EcsTask', id: arn, taskArn: arn, cluster });
    });

    it('takes no task whose ARN holds control or format characters (not an ECS task ARN, not stripped into one)', () => {
      const event = fixture('guardduty-runtime-ecs-crypto');
      const task = ((detailOf(event).resource as Json).ecsClusterDetails as Json).taskDetails as Json;
      task.arn = 'arn:aws:ecs:us-east-1:111111111111:task/example-ecs-cluster/0b7c1e9d2f4a4c6e\u200b8b0d2f4a6c8e0b21';
      const { incident } = normalizeTask(event);
      expect(incident.resource).toMatchObject({ type: 'EcsTask', notActionable: expect.stringMatching(/not an ECS task ARN/) });
      expect(incident.resource).not.toHaveProperty('taskArn');
    });
  });

  describe('an EC2 finding about a compromised instance', () => {
    it.each([
      ['guardduty-ec2-bitcoin-dns', 'i-0a1b2c3d4e5f60718', 'CryptoCurrency:EC2/BitcoinTool.B!DNS', '5ac6d8e1f2a34b5c6d7e8f9a0b1c2d3e'],
      ['guardduty-ec2-backdoor-two-enis-ipv6', 'i-0b2c3d4e5f6071829', 'Backdoor:EC2/C&CActivity.B', undefined],
    ])('normalizes %s into an ec2-compromise incident', (name, instanceId, findingType, findingId) => {
      const event = fixture(name);
      const enis = ((instanceDetailsOf(event).networkInterfaces as Json[]) ?? []).map((n) => n.networkInterfaceId);
      const { incident, event: kept, run } = normalize(event);

      expect(incident.playbook).toBe('ec2-compromise');
      expect(enis.length).toBeGreaterThan(0);
      expect(incident.resource).toEqual({ type: 'Instance', id: instanceId, networkInterfaceIds: enis });
      expect(incident.finding.type).toBe(findingType);
      expect(incident.finding.severity).toBe(8);
      expect(incident.finding.count).toBe(3);
      expect(incident.finding.resourceRole).toBe('ACTOR');
      if (findingId) expect(incident.finding.id).toBe(findingId);
      expect(incident.region).toBe('us-east-1');
      expect(incident.eventId).toBe(event.id);
      expect(incident.eventTime).toBe(event.time);
      expect(incident.trigger).toBe('auto');
      expect(incident.dryRun).toBe(false);
      expect(incident.sample).toBe(false);
      expect(incident.mode).toBe('auto');
      expect(incident.catalogEntryId).toBe('ec2-compromise-high');
      expect(IncidentSchema.safeParse(incident).success).toBe(true);
      expect((kept as { id: string }).id).toBe(event.id);
      expect(run).toEqual({ executionName: 'exec-1', startTime: '2026-11-20T10:11:00.000Z' });
    });

    it('takes the account from detail.accountId, not from the envelope that received the event', () => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      expect(event.account).toBe('222222222222');
      detailOf(event).accountId = '333333333333';

      expect(normalize(event).incident.account).toBe('333333333333');
    });

    it('takes the mode from the catalog: a Medium severity is notify-only', () => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      detailOf(event).severity = 5.5;

      const { incident } = normalize(event);

      expect(incident.mode).toBe('notify');
      expect(incident.catalogEntryId).toBe('ec2-compromise-medium');
    });

    it('gives mode none when no catalog entry covers the finding (a victim of SSH brute force)', () => {
      const { incident } = normalize(fixture('guardduty-ec2-ssh-bruteforce-victim'));

      expect(incident.finding.resourceRole).toBe('TARGET');
      expect(incident.mode).toBe('none');
      expect(incident.catalogEntryId).toBeUndefined();
    });

    it('accepts severity at both ends of the documented 0..10 scale', () => {
      for (const severity of [0, 10]) {
        const event = fixture('guardduty-ec2-bitcoin-dns');
        detailOf(event).severity = severity;
        expect(normalize(event).incident.finding.severity).toBe(severity);
      }
    });
  });

  describe('sample findings', () => {
    it('treats the GuardDuty sample fixture as a sample and runs it dry', () => {
      const { incident } = normalize(fixture('guardduty-sample-ec2'));

      expect(incident.sample).toBe(true);
      expect(incident.dryRun).toBe(true);
      expect(incident.resource.id).toBe('i-99999999');
    });

    it('detects a sample by additionalInfo.sample === true alone', () => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      serviceOf(event).additionalInfo = { value: '{}', type: 'default', sample: true };

      const { incident } = normalize(event);

      expect(incident.sample).toBe(true);
      expect(incident.dryRun).toBe(true);
    });

    it.each([
      ['compact', '{"sample":true}'],
      ['spaced, among other keys', '{"threatListName":"x", "sample": true, "count": 2}'],
      ['inside a string that is not valid JSON', 'truncated {"sample":true, "unterminated'],
    ])('detects a sample by additionalInfo.value holding "sample":true (%s)', (_label, value) => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      serviceOf(event).additionalInfo = { value, type: 'default' };

      const { incident } = normalize(event);

      expect(incident.sample).toBe(true);
      expect(incident.dryRun).toBe(true);
    });

    it.each([
      ['"sample":false', '{"sample":false}'],
      ['the string "true"', '{"sample":"true"}'],
      ['an empty object', '{}'],
    ])('does not treat additionalInfo.value holding %s as a sample', (_label, value) => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      serviceOf(event).additionalInfo = { value, type: 'default' };

      const { incident } = normalize(event);

      expect(incident.sample).toBe(false);
      expect(incident.dryRun).toBe(false);
    });

    it('detects a sample by the placeholder instance ID i-99999999 alone', () => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      instanceDetailsOf(event).instanceId = 'i-99999999';
      expect(serviceOf(event).additionalInfo).toEqual({ value: '{}', type: 'default' });

      const { incident } = normalize(event);

      expect(incident.sample).toBe(true);
      expect(incident.dryRun).toBe(true);
    });

    it('agrees with isSampleFinding on the parsed event', () => {
      for (const name of ['guardduty-sample-ec2', 'guardduty-ec2-bitcoin-dns', 'guardduty-ec2-backdoor-two-enis-ipv6']) {
        const event = fixture(name);
        expect(normalize(event).incident.sample).toBe(isSampleFinding(GuardDutyEventSchema.parse(event)));
      }
    });

    it('runs a sample dry even when the start envelope asks for a real run', () => {
      const { incident } = normalize({ firebreak: { dryRun: false, trigger: 'manual' }, event: fixture('guardduty-sample-ec2') });

      expect(incident.sample).toBe(true);
      expect(incident.dryRun).toBe(true);
    });
  });

  describe('the { firebreak, event } start envelope', () => {
    it('takes dryRun, trigger, reason and operator from the envelope', () => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      const { incident, event: kept } = normalize({
        firebreak: { dryRun: true, trigger: 'gameday', reason: 'quarterly drill', operator: 'arn:aws:iam::222222222222:user/alice' },
        event,
      });

      expect(incident.dryRun).toBe(true);
      expect(incident.trigger).toBe('gameday');
      expect(incident.reason).toBe('quarterly drill');
      expect(incident.operator).toBe('arn:aws:iam::222222222222:user/alice');
      expect(incident.resource.id).toBe('i-0a1b2c3d4e5f60718');
      expect((kept as { id: string }).id).toBe(event.id);
    });

    it('defaults to a manual, real run when the envelope gives no options', () => {
      const { incident } = normalize({ firebreak: {}, event: fixture('guardduty-ec2-bitcoin-dns') });

      expect(incident.trigger).toBe('manual');
      expect(incident.dryRun).toBe(false);
      expect(incident.reason).toBeUndefined();
    });

    it('throws InvalidInput naming the option when the envelope has an unknown trigger', () => {
      expectInvalidInput({ firebreak: { trigger: 'cron' }, event: fixture('guardduty-ec2-bitcoin-dns') }, 'firebreak.trigger');
    });

    it('throws InvalidInput when the envelope carries an unknown option', () => {
      const err = thrown(() => normalize({ firebreak: { dryRun: true, force: true }, event: fixture('guardduty-ec2-bitcoin-dns') }));
      expect(err).toBeInstanceOf(InvalidInput);
      expect((err as Error).message).toContain('firebreak');
    });

    it('validates the wrapped event like a bare one', () => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      delete detailOf(event).accountId;
      expectInvalidInput({ firebreak: { dryRun: true }, event }, 'detail.accountId');
    });
  });

  describe('invalid input', () => {
    it('throws InvalidInput naming detail.accountId when it is missing', () => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      delete detailOf(event).accountId;
      expectInvalidInput(event, 'detail.accountId');
    });

    it('throws InvalidInput naming detail.accountId when it is not 12 digits', () => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      detailOf(event).accountId = '1111';
      expectInvalidInput(event, 'detail.accountId');
    });

    it('throws InvalidInput naming detail.resource.resourceType for an AccessKey finding', () => {
      expectInvalidInput(fixture('guardduty-iamuser-anomalous'), 'detail.resource.resourceType');
    });

    it('throws InvalidInput for a CloudTrail event, which is not a GuardDuty finding', () => {
      const err = thrown(() => normalize(fixture('cloudtrail-stoplogging')));
      expect(err).toBeInstanceOf(InvalidInput);
      expect((err as Error).message).toMatch(/detail-type|source|detail/);
    });

    it.each([
      ['-0.1', -0.1],
      ['10.1', 10.1],
      ['100', 100],
    ])('throws InvalidInput naming detail.severity when it is %s', (_label, severity) => {
      const event = fixture('guardduty-ec2-bitcoin-dns');
      detailOf(event).severity = severity;
      expectInvalidInput(event, 'detail.severity');
    });

    const shapes: [string, (e: Json) => unknown, string][] = [
      ['the input is null', () => null, '(root)'],
      ['the input is a string', (e) => JSON.stringify(e), '(root)'],
      ['the input is an array', (e) => [e], '(root)'],
      ['detail is missing', (e) => ({ ...e, detail: undefined }), 'detail'],
      ['detail is a JSON string', (e) => ({ ...e, detail: JSON.stringify(e.detail) }), 'detail'],
      [
        'detail.severity is a string',
        (e) => {
          detailOf(e).severity = '8';
          return e;
        },
        'detail.severity',
      ],
      [
        'detail.type is missing',
        (e) => {
          delete detailOf(e).type;
          return e;
        },
        'detail.type',
      ],
      [
        'detail.resource is missing',
        (e) => {
          delete detailOf(e).resource;
          return e;
        },
        'detail.resource',
      ],
      [
        'detail.service is an array',
        (e) => {
          detailOf(e).service = [];
          return e;
        },
        'detail.service',
      ],
      [
        'detail.service.count is negative',
        (e) => {
          serviceOf(e).count = -1;
          return e;
        },
        'detail.service.count',
      ],
      [
        'instanceDetails.instanceId is empty',
        (e) => {
          instanceDetailsOf(e).instanceId = '';
          return e;
        },
        'detail.resource.instanceDetails.instanceId',
      ],
      [
        'instanceDetails is missing',
        (e) => {
          delete (detailOf(e).resource as Json).instanceDetails;
          return e;
        },
        'instanceDetails',
      ],
      [
        'additionalInfo.sample is the string "true"',
        (e) => {
          serviceOf(e).additionalInfo = { value: '{}', sample: 'true' };
          return e;
        },
        'detail.service.additionalInfo.sample',
      ],
      ["detail-type is another service's", (e) => ({ ...e, 'detail-type': 'AWS API Call via CloudTrail' }), 'detail-type'],
      [
        'the envelope account is missing',
        (e) => {
          delete e.account;
          return e;
        },
        'account',
      ],
    ];
    it.each(shapes)('throws InvalidInput naming the field when %s', (_label, mutate, field) => {
      expectInvalidInput(mutate(fixture('guardduty-ec2-bitcoin-dns')), field);
    });
  });

  describe('mutated fixtures', () => {
    /** Replacement values tried at every position of the fixture. */
    const REPLACEMENTS: unknown[] = [
      undefined,
      null,
      '',
      'x',
      'i-99999999',
      '{"sample":true}',
      0,
      -1,
      7.5,
      11,
      Number.NaN,
      true,
      {},
      [],
      [{}],
    ];

    /** Every path (object keys and array indexes) in a JSON value. */
    function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
      const out: (string | number)[][] = [];
      if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...paths(v, [...prefix, i])));
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...paths(v, [...prefix, k]));
      }
      return out;
    }

    /** A copy of `root` with the value at `at` replaced (or deleted, for `undefined`). */
    function mutated(root: Json, at: (string | number)[], replacement: unknown): Json {
      const copy = structuredClone(root);
      let node = copy as Record<string | number, unknown>;
      for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
      const last = at[at.length - 1];
      if (replacement === undefined) delete node[last];
      else node[last] = structuredClone(replacement);
      return copy;
    }

    it.each(['guardduty-ec2-bitcoin-dns', 'guardduty-ec2-backdoor-two-enis-ipv6', 'guardduty-sample-ec2', 'guardduty-iamuser-anomalous'])(
      'either returns a valid incident or throws InvalidInput for every single-field mutation of %s',
      (name) => {
        const base = fixture(name);
        const unexpected: string[] = [];
        let returned = 0;
        let rejected = 0;
        for (const at of paths(base)) {
          for (const replacement of REPLACEMENTS) {
            const input = mutated(base, at, replacement);
            for (const wrapped of [input, { firebreak: { dryRun: true }, event: input }]) {
              const label = `${at.join('.')} = ${JSON.stringify(replacement) ?? '(deleted)'}${wrapped === input ? '' : ' (in an envelope)'}`;
              try {
                const { incident } = normalize(wrapped);
                returned++;
                const valid = IncidentSchema.safeParse(incident);
                if (!valid.success)
                  unexpected.push(`${label}: returned an incident that IncidentSchema rejects: ${valid.error.issues[0].message}`);
                if (incident.sample && !incident.dryRun) unexpected.push(`${label}: a sample that is not a dry run`);
              } catch (err) {
                if (err instanceof InvalidInput && err.name === 'InvalidInput') rejected++;
                else
                  unexpected.push(
                    `${label}: threw ${err instanceof FirebreakError ? err.name : (err as Error)?.constructor?.name}: ${(err as Error)?.message}`,
                  );
              }
            }
          }
        }
        expect(unexpected).toEqual([]);
        // Both branches were exercised: the table is not vacuous.
        expect(rejected).toBeGreaterThan(0);
        if (name !== 'guardduty-iamuser-anomalous') expect(returned).toBeGreaterThan(0);
      },
    );
  });
});

describe('game-day events: the sender (issue 11)', () => {
  it("records the event's account as the game-day sender, and no sender for a GuardDuty finding", () => {
    const finding = fixture('guardduty-ec2-backdoor-two-enis-ipv6');
    const gameDay = {
      ...finding,
      source: 'firebreak.gameday',
      account: '333333333333',
      detail: { ...detailOf(finding), firebreakGameDay: { runId: 'gd-1' } },
    };
    expect(normalize(gameDay).incident).toMatchObject({ trigger: 'gameday', gameDayRunId: 'gd-1', gameDaySender: '333333333333' });
    expect(normalize(finding).incident.gameDaySender).toBeUndefined();
  });
});
