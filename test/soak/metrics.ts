/**
 * What the soak counts, minute by minute: operations done per kind (Postgres statements, SSH
 * execs, HTTP requests), sessions opened, errors by kind, latencies, and samples of each gateway
 * process's resident memory and open file descriptors read from /proc.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { MemoryProbe } from './stack';

const MIB = 1024 * 1024;

export type OperationKind = 'pg' | 'ssh' | 'http';

interface Minute {
  readonly done: Record<OperationKind, number>;
  readonly latencies: Record<OperationKind, number[]>;
  sessions: number;
  held: number;
  readonly errors: Record<string, number>;
  /** Per process label ("primary", "worker-1", …): RSS MiB and fd samples. */
  readonly rss: Record<string, number[]>;
  readonly fds: Record<string, number[]>;
  /** Per process: the V8 heap in use and memory outside it (Buffers, TLS, native), MiB. */
  readonly heap: Record<string, number[]>;
  readonly outside: Record<string, number[]>;
}

export interface MinuteReport {
  readonly minute: number;
  readonly pg_per_s: number;
  readonly ssh_per_s: number;
  readonly http_per_s: number;
  readonly sessions: number;
  readonly held: number;
  readonly errors: number;
  readonly pg_p50_ms: number;
  readonly pg_p99_ms: number;
  readonly ssh_p99_ms: number;
  readonly http_p99_ms: number;
  /** Mean of the minute's samples, per process. */
  readonly rss_mb: Record<string, number>;
  readonly fds: Record<string, number>;
  readonly heap_mb: Record<string, number>;
  readonly external_mb: Record<string, number>;
}

const emptyMinute = (): Minute => ({
  done: { pg: 0, ssh: 0, http: 0 },
  latencies: { pg: [], ssh: [], http: [] },
  sessions: 0,
  held: 0,
  errors: {},
  rss: {},
  fds: {},
  heap: {},
  outside: {},
});

export class SoakMetrics {
  private readonly minutes: Minute[] = [];
  private readonly allLatencies: Record<OperationKind, number[]> = { pg: [], ssh: [], http: [] };
  readonly errors: Record<string, number> = {};
  readonly totals: Record<OperationKind, number> = { pg: 0, ssh: 0, http: 0 };
  rssMax = 0;
  fdMax = 0;

  constructor(private readonly started = performance.now()) {}

  private current(): Minute {
    const i = Math.floor((performance.now() - this.started) / 60_000);
    while (this.minutes.length <= i) this.minutes.push(emptyMinute());
    return this.minutes[i]!;
  }

  done(kind: OperationKind, latencyMs: number): void {
    const m = this.current();
    m.done[kind]++;
    m.latencies[kind].push(latencyMs);
    this.allLatencies[kind].push(latencyMs);
    this.totals[kind]++;
  }

  /** A statement that waited for an approver: counted, its wait kept out of the latencies. */
  held(): void {
    this.current().held++;
    this.totals.pg++;
  }

  /** Requests a client sent again because a kept-alive connection was closed as it reused it. */
  retried = 0;

  sessionOpened(): void {
    this.current().sessions++;
  }

  error(kind: string): void {
    const m = this.current();
    m.errors[kind] = (m.errors[kind] ?? 0) + 1;
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  get errorCount(): number {
    return Object.values(this.errors).reduce((a, b) => a + b, 0);
  }

  /** Reads RSS and open descriptors of each labelled process, and its latest memory probe. */
  async sample(
    processes: ReadonlyMap<string, number>,
    probes: ReadonlyMap<number, MemoryProbe>,
  ): Promise<void> {
    const m = this.current();
    for (const [label, pid] of processes) {
      const probe = probes.get(pid);
      if (probe) {
        m.heap[label] = [...(m.heap[label] ?? []), probe.heapUsed / MIB];
        m.outside[label] = [...(m.outside[label] ?? []), probe.external / MIB];
      }
      const [rss, fds] = await Promise.all([rssMb(pid), openFds(pid)]);
      if (rss === undefined || fds === undefined) continue;
      m.rss[label] = [...(m.rss[label] ?? []), rss];
      m.fds[label] = [...(m.fds[label] ?? []), fds];
      this.rssMax = Math.max(this.rssMax, rss);
      this.fdMax = Math.max(this.fdMax, fds);
    }
  }

  latency(kind: OperationKind, p: number): number {
    return percentile(this.allLatencies[kind], p);
  }

  /** Completed minutes only (a partial last minute is left out). */
  report(minutes: number): MinuteReport[] {
    return this.minutes.slice(0, minutes).map((m, i) => ({
      minute: i + 1,
      pg_per_s: round(m.done.pg / 60, 1),
      ssh_per_s: round(m.done.ssh / 60, 1),
      http_per_s: round(m.done.http / 60, 1),
      sessions: m.sessions,
      held: m.held,
      errors: Object.values(m.errors).reduce((a, b) => a + b, 0),
      pg_p50_ms: round(percentile(m.latencies.pg, 50), 1),
      pg_p99_ms: round(percentile(m.latencies.pg, 99), 1),
      ssh_p99_ms: round(percentile(m.latencies.ssh, 99), 1),
      http_p99_ms: round(percentile(m.latencies.http, 99), 1),
      rss_mb: mapValues(m.rss, (v) => round(mean(v), 1)),
      fds: mapValues(m.fds, (v) => round(mean(v), 0)),
      heap_mb: mapValues(m.heap, (v) => round(mean(v), 1)),
      external_mb: mapValues(m.outside, (v) => round(mean(v), 1)),
    }));
  }
}

/**
 * RSS and descriptors flat after warm-up: in the last minute every process within 10 % of where
 * it was in the third. Undefined when the run is too short to tell.
 */
export function flatAfterWarmUp(rows: readonly MinuteReport[]): { rss: boolean; fds: boolean } | undefined {
  if (rows.length < 4) return undefined;
  const third = rows[2]!;
  const last = rows[rows.length - 1]!;
  const within = (a: Record<string, number>, b: Record<string, number>) =>
    Object.keys(a).every((k) => b[k] !== undefined && b[k]! <= a[k]! * 1.1 && b[k]! >= a[k]! * 0.9);
  return { rss: within(third.rss_mb, last.rss_mb), fds: within(third.fds, last.fds) };
}

/** The table printed at the end. */
export function formatTable(rows: readonly MinuteReport[]): string {
  const labels = [...new Set(rows.flatMap((r) => Object.keys(r.rss_mb)))].sort();
  const head = [
    'min',
    'pg/s',
    'ssh/s',
    'http/s',
    'sessions',
    'held',
    'errors',
    'pg p50',
    'pg p99',
    'ssh p99',
    'http p99',
    ...labels.map((l) => `${l} RSS/heap MB, fds`),
  ];
  const lines = rows.map((r) => [
    String(r.minute),
    String(r.pg_per_s),
    String(r.ssh_per_s),
    String(r.http_per_s),
    String(r.sessions),
    String(r.held),
    String(r.errors),
    `${r.pg_p50_ms} ms`,
    `${r.pg_p99_ms} ms`,
    `${r.ssh_p99_ms} ms`,
    `${r.http_p99_ms} ms`,
    ...labels.map((l) => `${r.rss_mb[l] ?? '-'}/${r.heap_mb[l] ?? '-'}, ${r.fds[l] ?? '-'}`),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [row(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

async function rssMb(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = status && /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : undefined;
}

async function openFds(pid: number): Promise<number | undefined> {
  return (await readdir(`/proc/${pid}/fd`).catch(() => undefined))?.length;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const mean = (v: readonly number[]) => (v.length === 0 ? 0 : v.reduce((a, b) => a + b, 0) / v.length);
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

function mapValues<T, U>(o: Record<string, T>, fn: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v)]));
}
