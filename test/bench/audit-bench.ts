/**
 * Audit log throughput under load: `npm run bench:audit`.
 *
 * For each concurrency level, that many callers append back to back (each waits for its own
 * append, as a connection waits before forwarding) into a fresh log in a temp directory. Reports
 * durable events/s, per-append latency, and how many events each fsync carried (group commit).
 * Each level stops at EVENTS appends or after BUDGET_MS, whichever comes first, so the whole run
 * stays under a minute even on a disk with slow fsync.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditLog, generateAuditKeyPair, verifyAuditLog } from '../../gateway-image/src/audit';

const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 50_000);
const BUDGET_MS = Number(process.env.AUDIT_BENCH_BUDGET_MS ?? 15_000);
const LEVELS = [1, 16, 256];

interface Row {
  concurrency: number;
  events: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  perSync: number;
  verified: boolean;
}

const keys = generateAuditKeyPair();
const principal = {
  subject: 'bench-agent',
  kind: 'agent' as const,
  issuer: 'https://issuer.test',
  groups: ['bench'],
};

async function run(concurrency: number): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-audit-bench-'));
  try {
    const log = await AuditLog.open(dir, { signingKey: keys.privateKey });
    const syncsBefore = log.stats().syncs;
    const latencies: number[] = [];
    let issued = 0;
    const start = performance.now();
    const deadline = start + BUDGET_MS;
    const worker = async (id: number) => {
      while (issued < EVENTS && performance.now() < deadline) {
        const n = issued++;
        const t0 = performance.now();
        await log.append({
          type: 'query.attempt',
          principal,
          connection: 'ehr-primary',
          session: `s-${id}`,
          body: {
            message: 'query',
            facts: {
              protocol: 'postgres',
              statements: [],
              normalized: 'select name, mrn from patients where id = $1',
              fingerprint: `f${n.toString(16).padStart(15, '0')}`,
            },
            decision: { outcome: 'allow', rule: 'default' },
          },
        });
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
    const seconds = (performance.now() - start) / 1000;
    const syncs = log.stats().syncs - syncsBefore;
    await log.close();
    const verified = (await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
    return {
      concurrency,
      events: latencies.length,
      seconds,
      perSecond: latencies.length / seconds,
      p50: pct(0.5),
      p99: pct(0.99),
      perSync: latencies.length / Math.max(1, syncs),
      verified,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function table(rows: Row[]): string {
  const head = [
    'concurrency',
    'events',
    'seconds',
    'events/s',
    'p50 ms',
    'p99 ms',
    'events/fsync',
    'verified',
  ];
  const body = rows.map((r) => [
    String(r.concurrency),
    String(r.events),
    r.seconds.toFixed(2),
    Math.round(r.perSecond).toString(),
    r.p50.toFixed(3),
    r.p99.toFixed(3),
    r.perSync.toFixed(1),
    r.verified ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)].join('\n');
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const level of LEVELS) rows.push(await run(level));
  console.log(
    `audit log: ${EVENTS} appends per level (budget ${BUDGET_MS} ms each), temp dir under ${tmpdir()}`,
  );
  console.log(table(rows));
  if (rows.some((r) => !r.verified)) process.exitCode = 1;
}

void main();
