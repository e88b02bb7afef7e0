import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, MetricPoint } from '../core/metrics';
import { CallContext, currentCallContext } from './telemetry';

/**
 * Firebreak's metrics, emitted with Powertools for AWS Lambda (TypeScript) Metrics in CloudWatch's embedded metric format
 * (EMF: one JSON line on stdout that CloudWatch Logs turns into metrics; "Specification: Embedded metric format",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * What is emitted is lib/core/metrics.ts's table. docs/ARCHITECTURE.md, "Metrics and dashboard".
 */

/** One EMF line and the call context it was emitted in (the local runner's execution). */
export interface EmittedMetrics {
  /** The EMF document, as Powertools serializes it (`JSON.stringify` of `serializeMetrics()`). */
  readonly line: string;
  readonly context: Readonly<CallContext>;
}

const listeners = new Set<(emitted: EmittedMetrics) => void>();

/**
 * Takes the EMF lines instead of stdout (the local runner: its executions' lines go in their result, and a CLI's own
 * output stays clean). While any listener is subscribed, nothing is printed.
 * @returns a function that unsubscribes.
 */
export function subscribeMetrics(listener: (emitted: EmittedMetrics) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Emits the points as EMF, one line per dimension set (EMF's metrics of one line share its dimensions), namespace
 * `Firebreak`, dimension `service` = `service` on each, `metadata` as EMF metadata (top-level members no metric reads:
 * the case, account and resource IDs, never dimensions). Flushed at once (`publishStoredMetrics`), not at the
 * handler's end: a step that fails or times out after this still has its metrics out, and no ColdStart metric is
 * emitted. Never throws: metrics never fail a step.
 * @param service - the deployment's prefix (its bus name).
 * @returns the error's message when the metrics could not be emitted (for the step's timeline), else undefined.
 */
export function emitMetrics(
  service: string,
  points: readonly MetricPoint[],
  metadata: Readonly<Record<string, string>>,
): string | undefined {
  try {
    const groups = new Map<string, MetricPoint[]>();
    for (const p of points) {
      const key = JSON.stringify(Object.entries(p.dimensions).sort(([a], [b]) => a.localeCompare(b)));
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    for (const group of groups.values()) emitLine(service, group, metadata);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** One EMF line: points sharing one dimension set. */
function emitLine(service: string, points: readonly MetricPoint[], metadata: Readonly<Record<string, string>>): void {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  metrics.addDimensions({ ...points[0].dimensions });
  for (const p of points) metrics.addMetric(p.metric.name, p.metric.unit, p.value);
  for (const [k, v] of Object.entries(metadata)) metrics.addMetadata(k, v);
  if (!listeners.size) {
    metrics.publishStoredMetrics();
    return;
  }
  const emitted = { line: JSON.stringify(metrics.serializeMetrics()), context: currentCallContext() };
  metrics.clearMetrics();
  metrics.clearDimensions();
  metrics.clearMetadata();
  for (const l of listeners) l(emitted);
}
