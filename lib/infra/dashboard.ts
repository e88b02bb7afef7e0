import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CASE_OUTCOMES, MetricDefinition, METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../core/metrics';

/** Properties of {@link FirebreakDashboard}. */
export interface FirebreakDashboardProps {
  /** The dashboard's name (`FirebreakNames.dashboard`: the prefix and the Region, since dashboards are global to an account). */
  readonly dashboardName: string;
  /** The deployment's prefix: the `service` dimension the steps put on every metric (lib/runtime/metrics.ts). */
  readonly service: string;
  /** The dead-letter queues whose depth is graphed. @default - none */
  readonly deadLetterQueues?: readonly sqs.IQueue[];
  /** The alarms whose state is shown. @default - none */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /** The period of every graph. @default Duration.minutes(5) */
  readonly period?: Duration;
}

/**
 * The CloudWatch dashboard of a Firebreak deployment (docs/ARCHITECTURE.md, "Metrics and dashboard"): time to isolate and
 * time to contain (p50, p90, maximum, a line per playbook), cases by outcome, held cases and breaker trips, GuardDuty
 * findings below the severity floor, the dead-letter queues' depths and the state of the alarms. One
 * `AWS::CloudWatch::Dashboard` resource. The case metrics are read with search expressions ("CloudWatch search
 * expression syntax", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html), so a
 * playbook or an outcome needs no change here; each names the namespace, the exact dimension set and the metric name the
 * steps emit (lib/core/metrics.ts; test/infra/dashboard.test.ts checks them against the lines a run emitted).
 */
export class FirebreakDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  /**
   * @param scope - the security account's construct.
   * @param id - the construct ID.
   * @param props - see {@link FirebreakDashboardProps}.
   */
  constructor(scope: Construct, id: string, props: FirebreakDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const search = (metric: MetricDefinition, statistic: string, filter = '', label?: string) =>
      new cloudwatch.SearchExpression({ expression: searchExpression(props.service, metric, statistic, period, filter), label, period });
    const times = (metric: MetricDefinition, title: string) =>
      new cloudwatch.GraphWidget({
        title,
        width: 12,
        // A dynamic label per series ("Use dynamic labels", CloudWatch User Guide: applies to every metric a search returns).
        left: ['p50', 'p90', 'Maximum'].map((s) => search(metric, s, '', `\${PROP('Dim.playbook')} ${s}`)),
        leftYAxis: { label: 'seconds', showUnits: false, min: 0 },
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName, defaultInterval: Duration.days(7) });
    this.dashboard.addWidgets(
      times(METRICS.timeToIsolate, 'Time to isolate (s), by playbook: p50, p90, max'),
      times(METRICS.timeToContain, 'Time to contain (s), by playbook: p50, p90, max'),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Cases by outcome',
        width: 12,
        stacked: true,
        left: CASE_OUTCOMES.map(
          (o) =>
            new cloudwatch.MathExpression({
              expression: `SUM(${searchExpression(props.service, METRICS.cases, 'Sum', period, `outcome="${o}"`)})`,
              label: o,
              period,
              usingMetrics: {},
            }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Held cases (by brake) and breaker trips',
        width: 12,
        left: [
          search(METRICS.heldCases, 'Sum', '', "held: ${PROP('Dim.brake')}"),
          search(METRICS.breakerTrips, 'Sum', '', 'breaker trips'),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'GuardDuty findings below the severity floor, by type',
        width: 12,
        left: [
          new cloudwatch.SearchExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},FindingType} MetricName="FindingsBelowFloor"', 'Sum', ${period.toSeconds()})`,
            label: "${PROP('Dim.FindingType')}",
            period,
          }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues: messages visible (max)',
        width: 12,
        left: (props.deadLetterQueues ?? []).map((q) =>
          q.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: "${PROP('Dim.QueueName')}" }),
        ),
      }),
    );
    if (props.alarms?.length)
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: [...props.alarms] }));
  }
}

/**
 * A search expression for one Firebreak metric of this deployment: its schema (the namespace and the exact dimension set
 * the steps emit: `service` and the metric's own), its name and `service` value as exact terms, and `filter` (more exact
 * terms, e.g. `outcome="contained"`).
 */
export function searchExpression(service: string, metric: MetricDefinition, statistic: string, period: Duration, filter = ''): string {
  const schema = [METRICS_NAMESPACE, ...[SERVICE_DIMENSION, ...metric.dimensions].sort()].join(',');
  const terms = [`MetricName="${metric.name}"`, `${SERVICE_DIMENSION}="${service}"`, ...(filter ? [filter] : [])].join(' ');
  return `SEARCH('{${schema}} ${terms}', '${statistic}', ${period.toSeconds()})`;
}
