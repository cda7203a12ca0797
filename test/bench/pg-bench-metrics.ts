/**
 * The gateway's own figure for the latency it adds: the `warden_gateway_added_seconds` histogram
 * scraped from /metrics before and after a run, and the median of what the run added (linear
 * within the bucket that holds it, as Prometheus' histogram_quantile does).
 */
import { parseOpenMetrics } from '../metrics/openmetrics';

const NAME = 'warden_gateway_added_seconds_bucket';

/** Cumulative bucket counts by upper bound (seconds); `sum` under NaN. */
export type Buckets = Map<number, number>;
const SUM = Number.NaN;

export async function scrapeAdded(adminUrl: string): Promise<Buckets> {
  const res = await fetch(`${adminUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  const buckets: Buckets = new Map();
  for (const s of parseOpenMetrics(await res.text())) {
    if (s.name === 'warden_gateway_added_seconds_sum' && s.labels.protocol === 'postgres')
      buckets.set(SUM, s.value);
    if (s.name !== NAME || s.labels.protocol !== 'postgres') continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    buckets.set(le, s.value);
  }
  return buckets;
}

/** Median in milliseconds of the observations between two scrapes; undefined if none. */
export function medianAddedMs(before: Buckets, after: Buckets): number | undefined {
  const bounds = [...after.keys()].filter((le) => !Number.isNaN(le)).sort((a, b) => a - b);
  const count = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const total = count(Number.POSITIVE_INFINITY);
  if (total <= 0) return undefined;
  const rank = total / 2;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const upTo = count(le);
    if (upTo >= rank) {
      if (!Number.isFinite(le)) return lower * 1000;
      return (lower + ((le - lower) * (rank - below)) / Math.max(upTo - below, 1)) * 1000;
    }
    lower = le;
    below = upTo;
  }
  return undefined;
}

/** Mean in milliseconds of the observations between two scrapes (exact: the histogram's sum / count). */
export function meanAddedMs(before: Buckets, after: Buckets): number | undefined {
  const inf = Number.POSITIVE_INFINITY;
  const count = (after.get(inf) ?? 0) - (before.get(inf) ?? 0);
  const sum = [...after.keys()].some(Number.isNaN)
    ? (after.get(SUM) ?? 0) - (before.get(SUM) ?? 0)
    : undefined;
  return count > 0 && sum !== undefined ? (sum / count) * 1000 : undefined;
}
