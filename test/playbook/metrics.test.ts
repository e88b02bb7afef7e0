import * as z from 'zod';
import { loadSecurityTemplate } from '../../lib/harness/local/template-cache';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { CASE_OUTCOMES, METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../../lib/core/metrics';
import { subscribeMetrics } from '../../lib/runtime/metrics';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * Issue 16, item 3: Powertools metrics. One world: a case contained and released, and a second containment that trips the
 * blast-radius breaker (its held case denied). Every EMF line the handlers emitted is validated against the embedded
 * metric format's structure ("Specification: Embedded metric format", CloudWatch User Guide,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * the times against the ledger's own timestamps (read back), and the synthesized dashboard against the lines.
 */

const FIXTURE = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';
/** The CloudWatch units ("MetricDatum", CloudWatch API Reference). */
const UNITS = ['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits'];
const UNIT = z.enum([...UNITS, 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Count/Second', 'None']);

/** The EMF document's structure: the metadata object, its directives, and the target members they reference. */
const EmfSchema = z
  .object({
    _aws: z.strictObject({
      Timestamp: z.number().int().positive(),
      CloudWatchMetrics: z
        .array(
          z.strictObject({
            Namespace: z.string().min(1).max(1024),
            Dimensions: z.array(z.array(z.string().min(1)).max(30)),
            Metrics: z
              .array(
                z.strictObject({
                  Name: z.string().min(1).max(1024),
                  Unit: UNIT.optional(),
                  StorageResolution: z.literal([1, 60]).optional(),
                }),
              )
              .max(100),
          }),
        )
        .min(1),
    }),
  })
  .catchall(z.unknown())
  .superRefine((doc, ctx) => {
    for (const d of doc._aws.CloudWatchMetrics) {
      for (const key of d.Dimensions.flat())
        if (typeof doc[key] !== 'string') ctx.addIssue({ code: 'custom', message: `dimension ${key} is not a string member` });
      for (const m of d.Metrics) {
        const v = doc[m.Name];
        if (!(typeof v === 'number' || (Array.isArray(v) && v.length <= 100 && v.every((x) => typeof x === 'number'))))
          ctx.addIssue({ code: 'custom', message: `metric ${m.Name} has no numeric member` });
      }
    }
  });
type Emf = z.infer<typeof EmfSchema>;

/** One metric of an EMF line: its name, unit, dimension set and values, and the line. */
interface Emitted {
  name: string;
  unit?: string;
  namespace: string;
  dimensions: Record<string, string>;
  value: unknown;
  doc: Emf;
}

function metricsOf(lines: readonly string[]): Emitted[] {
  return lines.flatMap((line) => {
    const doc = EmfSchema.parse(JSON.parse(line));
    return doc._aws.CloudWatchMetrics.flatMap((d) =>
      d.Metrics.flatMap((m) =>
        d.Dimensions.map((set) => ({
          name: m.Name,
          unit: m.Unit,
          namespace: d.Namespace,
          dimensions: Object.fromEntries(set.map((k) => [k, doc[k] as string])),
          value: doc[m.Name],
          doc,
        })),
      ),
    );
  });
}

describe('Powertools metrics of a contained, released and a breaker-held case (emulator), and the dashboard', () => {
  const local = useLocalSession({
    environment: { FIREBREAK_BREAKER: JSON.stringify({ perAccount: 1, perOrganization: 100, windowSeconds: 3600 }) },
    taskTokenTimeoutMs: 30_000,
  });
  /** Every EMF line any handler emitted in this file. */
  const lines: string[] = [];
  let releaseLines: readonly string[] = [];
  let caseId: string;
  let heldCaseId: string;
  let emitted: Emitted[];

  beforeAll(async () => {
    const unsubscribe = subscribeMetrics((m) => lines.push(m.line));
    try {
      const contained = await replayEvent(local.session, readEventFile(FIXTURE));
      expect(contained.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
      caseId = contained.report.executions[0].caseId!;
      const released = await local.session.runner.execute('release', {
        release: { caseId, reason: 'sanctioned test', operator: OPERATOR },
      });
      expect(released).toMatchObject({ status: 'SUCCEEDED', outcome: 'RELEASED' });
      releaseLines = released.metrics;
      // A second finding's containment trips the breaker (one case per account in the window): held, paged once, denied.
      const second = JSON.parse(JSON.stringify(readEventFile(FIXTURE)));
      second.detail.id = `metrics-held-${Math.random().toString(16).slice(2)}`;
      const running = replayEvent(local.session, second);
      let pages: Awaited<ReturnType<typeof readNotifications>> = [];
      for (let i = 0; i < 150 && pages.length === 0; i++) {
        pages = (await readNotifications(local.session.env)).filter((n) => n.kind === 'breaker-tripped');
        if (!pages.length) await new Promise((r) => setTimeout(r, 100));
      }
      heldCaseId = pages[0]?.caseId ?? '';
      expect((await cli(['deny', heldCaseId, '--reason', 'test', '--endpoint', local.session.sfn.endpoint])).code).toBe(0);
      expect((await running).report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    } finally {
      unsubscribe();
    }
    emitted = metricsOf(lines);
  }, 180_000);

  it('every line is an EMF document in the Firebreak namespace, service the prefix, IDs in metadata only', () => {
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const m of emitted) {
      expect(m.namespace).toBe(METRICS_NAMESPACE);
      expect(m.dimensions[SERVICE_DIMENSION]).toBe('firebreak');
      const definition = Object.values(METRICS).find((d) => d.name === m.name)!;
      expect(definition).toBeDefined();
      expect(m.unit).toBe(definition.unit);
      expect(Object.keys(m.dimensions).sort()).toEqual([SERVICE_DIMENSION, ...definition.dimensions].sort());
      // The case, account and resource are metadata (top-level members no directive names), never a dimension.
      expect(m.doc).toMatchObject({ caseId: expect.stringMatching(/^fb-/), account: expect.any(String), resourceId: expect.any(String) });
      for (const id of [m.doc.caseId, m.doc.account, m.doc.resourceId]) expect(Object.values(m.dimensions)).not.toContain(id);
    }
    // Powertools flushes each line at once: no ColdStart metric (captureColdStartMetric is not used).
    expect(emitted.map((m) => m.name)).not.toContain('ColdStart');
  });

  it('counts each case event by playbook and outcome, once', () => {
    const cases = (outcome: string, id: string) =>
      emitted.filter((m) => m.name === 'Cases' && m.dimensions.outcome === outcome && m.doc.caseId === id).map((m) => m.value);
    expect(cases('contained', caseId)).toEqual([1]);
    expect(cases('released', caseId)).toEqual([1]);
    expect(cases('approval-request', heldCaseId)).toEqual([1]);
    expect(cases('notify-only', heldCaseId)).toEqual([1]);
    for (const m of emitted.filter((e) => e.name === 'Cases')) {
      expect(m.dimensions.playbook).toBe('ec2-compromise');
      expect(CASE_OUTCOMES).toContain(m.dimensions.outcome);
    }
    // The local runner hands an execution's lines back with its result (instead of printing them).
    expect(metricsOf(releaseLines).map((m) => [m.name, m.dimensions.outcome])).toEqual([['Cases', 'released']]);
  });

  it('the breaker-held case counts HeldCases (breaker) and the trip one BreakerTrips', () => {
    expect(emitted.filter((m) => m.name === 'HeldCases').map((m) => [m.dimensions.brake, m.doc.caseId, m.value])).toEqual([
      ['breaker', heldCaseId, 1],
    ]);
    expect(emitted.filter((m) => m.name === 'BreakerTrips').map((m) => [m.doc.caseId, m.doc.rule, m.value])).toEqual([
      [heldCaseId, expect.any(String), 1],
    ]);
  });

  it('time to isolate and time to contain are the ledger’s: from the case’s createdAt to its steps’ recorded ends', async () => {
    const { item, timeline } = await readCase(local.session.env, caseId);
    const opened = Date.parse(item!.createdAt as string);
    const end = (step: string) =>
      timeline
        .filter((t) => t.step === step && t.status === 'SUCCEEDED')
        .map((t) => Date.parse(t.at as string) + ((t.durationMs as number) ?? 0));
    const value = (name: string) => emitted.filter((m) => m.name === name && m.doc.caseId === caseId).map((m) => m.value as number);
    const [isolate] = value('TimeToIsolate');
    const [contain] = value('TimeToContain');
    expect(value('TimeToIsolate')).toHaveLength(1);
    expect(value('TimeToContain')).toHaveLength(1);
    // Isolation: the end of Contain (its network isolation), as recorded; containment: the last containing step (here the
    // instance role's deny, after Contain), before the evidence and the page.
    expect(isolate).toBeCloseTo((Math.min(...end('Contain')) - opened) / 1000, 3);
    expect(contain).toBeCloseTo((Math.max(...end('Contain'), ...end('DenyInstanceCredentials')) - opened) / 1000, 3);
    const notifyAt = Date.parse(timeline.find((t) => t.step === 'Notify')!.at as string);
    expect(isolate).toBeGreaterThan(0);
    expect(contain).toBeGreaterThanOrEqual(isolate);
    expect(opened + contain * 1000).toBeLessThanOrEqual(notifyAt);
  });

  it('the dashboard reads only what was emitted: namespace, exact dimension set, metric name, service and outcome values', () => {
    const template = loadSecurityTemplate();
    const dashboards = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const raw = dashboards[0].Properties!.DashboardBody as { 'Fn::Join': [string, unknown[]] };
    const body = JSON.parse(raw['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'REGION')).join('')) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    const expressions = body.widgets
      .flatMap((w) => w.properties.metrics ?? [])
      .flatMap((row) => row.filter((x): x is { expression: string } => typeof x === 'object' && x !== null && 'expression' in x))
      .map((x) => x.expression);
    const searches = expressions.flatMap((e) => [...e.matchAll(/SEARCH\('\{([^}]*)\} ([^']*)'/g)]);
    const own = searches.filter((s) => !s[1].includes('FindingType'));
    expect(own.length).toBeGreaterThanOrEqual(METRICS_COUNT_ON_DASHBOARD);
    const names = new Set<string>();
    for (const [, schema, terms] of own) {
      const [namespace, ...dimensions] = schema.split(',');
      const exact = Object.fromEntries([...terms.matchAll(/(\w+)="([^"]*)"/g)].map((t) => [t[1], t[2]]));
      const name = exact.MetricName;
      names.add(name);
      // Some emitted metric has this namespace, this name, exactly these dimensions, and the values the terms ask for.
      const match = emitted.filter(
        (m) =>
          m.namespace === namespace &&
          m.name === name &&
          JSON.stringify(Object.keys(m.dimensions).sort()) === JSON.stringify([...dimensions].sort()) &&
          Object.entries(exact).every(
            ([k, v]) => k === 'MetricName' || m.dimensions[k] === v || (k === 'outcome' && CASE_OUTCOMES.includes(v as never)),
          ),
      );
      expect({ schema, terms, matched: match.length > 0 }).toEqual({ schema, terms, matched: true });
    }
    // Every metric the steps emit is on the dashboard.
    expect([...names].sort()).toEqual(
      Object.values(METRICS)
        .map((d) => d.name)
        .sort(),
    );
    // Every dead-letter queue's depth and every alarm of the security stack are on it (referenced by logical ID).
    const referenced = new Set(
      raw['Fn::Join'][1].flatMap((p) =>
        typeof p === 'object' && p && 'Fn::GetAtt' in p ? [(p as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]] : [],
      ),
    );
    const ids = (type: string, where: (r: { Properties?: Record<string, unknown> }) => boolean = () => true) =>
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === type && where(r))
        .map(([id]) => id);
    const dlqs = ids('AWS::SQS::Queue', (r) => String(r.Properties?.QueueName).endsWith('-dlq'));
    const alarms = ids('AWS::CloudWatch::Alarm');
    expect(dlqs.length).toBeGreaterThan(0);
    expect(alarms.length).toBeGreaterThan(dlqs.length);
    expect([...dlqs, ...alarms].filter((id) => !referenced.has(id))).toEqual([]);
    // The below-floor metric is the metric filter's (namespace Firebreak, dimension FindingType).
    const filter = Object.values(template.Resources).find((r) => r.Type === 'AWS::Logs::MetricFilter')!;
    expect(JSON.stringify(filter.Properties)).toContain('"MetricNamespace":"Firebreak"');
    expect(searches.filter((s) => s[1] === 'Firebreak,FindingType' && s[2].includes('MetricName="FindingsBelowFloor"'))).toHaveLength(1);
  });
});

/** Time to isolate and to contain (p50, p90, max each), the six outcomes, held cases and breaker trips. */
const METRICS_COUNT_ON_DASHBOARD = 6 + 6 + 2;
