/**
 * Workers' figures reach the primary as periodic snapshots over the cluster IPC channel (never a
 * message per statement); the primary adds them to its own at scrape time with prom-client's
 * aggregators (sums for counters, histograms and most gauges; the maximum for ages). A worker
 * that exits leaves its counters and histograms behind, so sums never go down when a worker is
 * replaced (a drop would read as a counter reset and inflate rates); its gauges go with it.
 */
import cluster, { type Worker } from 'node:cluster';
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type OpenMetricsContentType,
} from 'prom-client';

export type Snapshot = MetricObjectWithValues<MetricValue<string>>[];

interface MetricsReport {
  readonly warden: 'metrics';
  readonly snapshot: Snapshot;
}

function isReport(m: unknown): m is MetricsReport {
  return (m as { warden?: unknown })?.warden === 'metrics' && Array.isArray((m as MetricsReport).snapshot);
}

/** Worker side: sends this process's figures every `intervalMs`; returns a stop function. */
export function reportToPrimary(figures: () => Promise<Snapshot>, intervalMs: number): () => Promise<void> {
  const send = async () => {
    if (!process.connected || !process.send) return;
    const snapshot = await figures();
    process.send({ warden: 'metrics', snapshot } satisfies MetricsReport);
  };
  const timer = setInterval(() => void send().catch(() => undefined), intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    // The last figures, so a worker stopped in an orderly way loses nothing.
    await send().catch(() => undefined);
  };
}

/** Processes' figures added up, as OpenMetrics text. */
export function renderFigures(parts: readonly Snapshot[]): Promise<string> {
  // OpenMetrics names a counter family without `_total` and its sample with it; an aggregated
  // registry adds the suffix without taking it off the family name first, so it is taken off here.
  const named = parts.map((part) =>
    part.map((metric) =>
      String(metric.type) === 'counter' ? { ...metric, name: metric.name.replace(/_total$/, '') } : metric,
    ),
  );
  const merged = AggregatorRegistry.aggregate<OpenMetricsContentType>(named);
  merged.setContentType(AggregatorRegistry.OPENMETRICS_CONTENT_TYPE);
  return merged.metrics();
}

export interface WorkerFigures {
  /** This process's figures and every worker's, added up, as OpenMetrics text. */
  render(own: Snapshot): Promise<string>;
  /** Sum of a gauge or counter over the workers' latest reports (for readiness). */
  latestSum(metric: string): number;
  readonly reporting: number;
  close(): void;
}

/** Primary side: keeps each live worker's latest report and what exited workers left behind. */
export function collectWorkerFigures(onRestart: () => void): WorkerFigures {
  const latest = new Map<number, Snapshot>();
  let retired: Snapshot = [];
  const onMessage = (worker: Worker, message: unknown) => {
    if (isReport(message)) latest.set(worker.id, message.snapshot);
  };
  const onExit = (worker: Worker) => {
    const last = latest.get(worker.id);
    latest.delete(worker.id);
    // The primary disconnects workers when it stops: only other exits are restarts.
    if (!worker.exitedAfterDisconnect) onRestart();
    if (!last) return;
    // At run time `type` is prom-client's name for it (its typings say an enum).
    const kept = last.filter((metric) => ['counter', 'histogram'].includes(String(metric.type)));
    // Aggregated metrics are plain metric objects (with a `get`): they aggregate again as they are.
    retired = AggregatorRegistry.aggregate([retired, kept]).getMetricsAsArray() as unknown as Snapshot;
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  return {
    render: (own) => renderFigures([own, ...latest.values(), retired]),
    latestSum(metric) {
      let sum = 0;
      for (const snapshot of latest.values()) {
        for (const v of snapshot.find((m) => m.name === metric)?.values ?? []) sum += v.value;
      }
      return sum;
    },
    get reporting() {
      return latest.size;
    },
    close() {
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
    },
  };
}
