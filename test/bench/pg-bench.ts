/**
 * Postgres data path throughput: `npm run bench:pg`.
 *
 * One embedded PostgreSQL with `pgbench -i`, and four ways to reach it, measured back to back in
 * every cell of one run: direct; through Warden (TLS, a real OIDC token as the password, an
 * allow-all policy for the `bench` group, `workers` processes); through pgbouncer without TLS; and
 * through the same pgbouncer with client TLS (the fair baseline: Warden always terminates TLS);
 * and through a bare Node.js TLS relay (pg-bench-relay.ts: the floor any Node gateway starts from).
 * pgbouncer pools by transaction (simple and extended protocol) and by session for -M prepared.
 * Cells: select-only and TPC-B-like × simple / extended / prepared × 1 / 8 / 32 clients, plus
 * connect-per-transaction (-C). The last line of stdout is one JSON object with every cell's tps
 * and ratios to direct, the single-client average latencies and the issue's targets.
 *
 * Knobs (environment): PG_BENCH_SECONDS per run (default 5), PG_BENCH_SCALE (default 10),
 * PG_BENCH_WORKERS (gateway processes, default 'auto'), PG_BENCH_ONLY (a regular expression over
 * cell names, e.g. 'select-only/prepared'), PG_BENCH_TARGETS (comma list, e.g. 'warden' to profile),
 * PG_BENCH_NO_METRICS (turn the gateway's metrics off, to measure what they cost per transaction).
 * With metrics on, each Warden run also reports the gateway's own warden_gateway_added_seconds
 * median (and mean) over the run, beside pgbench's figures.
 */

import { type ChildProcess, execFile, fork } from 'node:child_process';
import cluster from 'node:cluster';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { validateConfig } from '../../gateway-image/src/config/load';
import { runGateway } from '../../gateway-image/src/gateway/cluster';
import { startEmbeddedPostgres } from '../../gateway-image/src/sandbox/embedded-postgres';
import { startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { generateSelfSigned } from '../../gateway-image/src/tls/self-signed';
import { EXAMPLE_CONFIG, examplePostgresConfig } from '../support/example-config';
import { type Buckets, meanAddedMs, medianAddedMs, scrapeAdded } from './pg-bench-metrics';
import { pgbenchBinary, pgbouncerBinary, startPgbouncer } from './pg-bench-pgbouncer';
import { startNodeRelay } from './pg-bench-relay';

const SECONDS = Number(process.env.PG_BENCH_SECONDS ?? 5);
const SCALE = Number(process.env.PG_BENCH_SCALE ?? 10);
const WORKERS = process.env.PG_BENCH_WORKERS ?? 'auto';
const ONLY = new RegExp(process.env.PG_BENCH_ONLY ?? '.');
const AUDIENCE = 'urn:warden:bench';
const TEMPLATE = EXAMPLE_CONFIG;
/** The gateway's default: workers report their figures to the primary every 5 s. */
const WORKER_REPORT_MS = 5_000;
/** A scrape waits this long, so every worker's report of the last run has reached the primary. */
const settle = () => new Promise((r) => setTimeout(r, WORKER_REPORT_MS + 500));

type Target = 'direct' | 'warden' | 'pgbouncer' | 'pgbouncer_tls' | 'node_relay';
const ALL_TARGETS: readonly Target[] = ['direct', 'warden', 'pgbouncer', 'pgbouncer_tls', 'node_relay'];
const TARGETS: readonly Target[] = process.env.PG_BENCH_TARGETS
  ? ALL_TARGETS.filter((t) => process.env.PG_BENCH_TARGETS!.split(',').includes(t))
  : ALL_TARGETS;

interface Cell {
  readonly script: 'select-only' | 'tpcb-like';
  readonly mode: 'simple' | 'extended' | 'prepared';
  readonly clients: number;
  readonly connectEach: boolean;
}

interface Measured {
  readonly tps: number;
  readonly latencyMs: number;
  /** Warden only: CPU time of every gateway process per transaction, in µs (independent of other load). */
  readonly gatewayCpuUsPerTx?: number;
  /** Warden only: median of the gateway's own warden_gateway_added_seconds over the run, in ms. */
  readonly addedMedianMs?: number;
  readonly addedMeanMs?: number;
}

function cells(): Cell[] {
  const out: Cell[] = [];
  for (const script of ['select-only', 'tpcb-like'] as const)
    for (const mode of ['simple', 'extended', 'prepared'] as const)
      for (const clients of [1, 8, 32]) out.push({ script, mode, clients, connectEach: false });
  out.push({ script: 'select-only', mode: 'simple', clients: 8, connectEach: true });
  return out.filter((c) => ONLY.test(cellName(c)));
}

const cellName = (c: Cell) => `${c.script}/${c.mode}/${c.clients}${c.connectEach ? '/-C' : ''}`;

/** What a target needs in pgbench's environment and arguments. */
interface Endpoint {
  readonly port: number;
  readonly database: (c: Cell) => string;
  readonly user: string;
  readonly env: NodeJS.ProcessEnv;
  /** Gateway CPU used so far (µs), for the per-transaction figure. */
  readonly cpu?: () => number;
  /** The gateway's gateway-added-latency histogram so far. */
  readonly added?: () => Promise<Buckets>;
}

async function pgbench(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      pgbenchBinary(),
      args,
      { env: { ...process.env, ...env }, maxBuffer: 1 << 24 },
      (err, stdout, stderr) =>
        err
          ? reject(
              new Error(
                `pgbench ${args.join(' ')} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
              ),
            )
          : resolve(stdout),
    );
  });
}

async function run(cell: Cell, e: Endpoint): Promise<Measured> {
  const args = ['-h', '127.0.0.1', '-p', String(e.port), '-U', e.user, '-n', '-T', String(SECONDS)];
  args.push('-c', String(cell.clients), '-j', String(Math.min(cell.clients, availableParallelism())));
  args.push('-M', cell.mode, '-b', cell.script);
  if (cell.connectEach) args.push('-C');
  args.push(e.database(cell));
  // The gateway's own figure is compared with pgbench's for one client (the scrape waits for reports).
  const scrape = cell.clients === 1 && !cell.connectEach ? e.added : undefined;
  const addedBefore = await scrape?.();
  const cpuBefore = e.cpu?.();
  const out = await pgbench(args, e.env);
  const cpuAfter = e.cpu?.();
  const addedAfter = await scrape?.();
  const tps = /^tps = ([\d.]+)/m.exec(out);
  const latency = /^latency average = ([\d.]+) ms/m.exec(out);
  const done = /^number of transactions actually processed: (\d+)/m.exec(out);
  if (!tps || !latency || !done) throw new Error(`cannot read pgbench output:\n${out}`);
  const addedMedianMs = addedBefore && addedAfter ? medianAddedMs(addedBefore, addedAfter) : undefined;
  const addedMeanMs = addedBefore && addedAfter ? meanAddedMs(addedBefore, addedAfter) : undefined;
  const measured = {
    tps: Number(tps[1]),
    latencyMs: Number(latency[1]),
    ...(addedMedianMs === undefined ? {} : { addedMedianMs }),
    ...(addedMeanMs === undefined ? {} : { addedMeanMs }),
  };
  if (cpuBefore === undefined || cpuAfter === undefined || Number(done[1]) === 0) return measured;
  return { ...measured, gatewayCpuUsPerTx: Math.round((cpuAfter - cpuBefore) / Number(done[1])) };
}

/** CPU time (user + system, µs) used so far by process `root` and every process under it. */
function processTreeCpuUs(root: number): number {
  const ticks = (pid: number) => {
    try {
      // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): utime and stime in ticks.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  };
  const children = (pid: number): number[] => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  };
  let total = 0;
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    total += ticks(pid);
    todo.push(...children(pid));
  }
  // Linux reports 100 ticks per second.
  return total * 10_000;
}

async function main(): Promise<void> {
  for (const bin of [pgbenchBinary(), pgbouncerBinary()]) {
    if (!bin)
      throw new Error('pgbench and pgbouncer are needed: apt-get install -y postgresql-client pgbouncer');
  }
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), 'warden-pg-bench-'));
  const closers: (() => Promise<unknown>)[] = [() => rm(work, { recursive: true, force: true })];
  try {
    const pg = await startEmbeddedPostgres();
    closers.unshift(() => pg.stop());
    const connectTo = async (database: string) => {
      const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database });
      // A server that goes away mid-run fails the next query; it must not crash the process as an event.
      c.on('error', (err) => console.error('bench database connection lost:', err.message));
      await c.connect();
      return c;
    };
    const setup = await connectTo('postgres');
    await setup.query('create database bench');
    await setup.end();
    const admin = await connectTo('bench');
    const direct: Endpoint = {
      port: pg.port,
      database: () => 'bench',
      user: pg.user,
      env: { PGPASSWORD: pg.password, PGSSLMODE: 'disable' },
    };
    await pgbench(
      ['-i', '-q', '-s', String(SCALE), '-h', pg.host, '-p', String(pg.port), '-U', pg.user, 'bench'],
      direct.env,
    );
    const scram = (
      await admin.query<{ p: string }>(`select rolpassword as p from pg_authid where rolname = $1`, [pg.user])
    ).rows[0]!.p;

    const tls = await generateSelfSigned({ commonName: 'warden-bench' });
    const gateway = await startWarden(work, pg, tls);
    closers.unshift(gateway.close);
    const relay = await startNodeRelay(pg.port, tls);
    closers.unshift(relay.close);
    // One pgbouncer serves both baselines: client TLS is allowed, so each client picks (PGSSLMODE).
    const bouncer = await startPgbouncer({ upstreamPort: pg.port, user: pg.user, scramSecret: scram, tls });
    closers.unshift(bouncer.close);
    const endpoints: Record<Target, Endpoint> = {
      direct,
      warden: {
        port: gateway.port,
        database: () => 'bench',
        user: 'bench-agent',
        env: { PGPASSWORD: gateway.token, PGSSLMODE: 'require' },
        cpu: () => processTreeCpuUs(gateway.pid),
        added: process.env.PG_BENCH_NO_METRICS
          ? undefined
          : async () => {
              await settle();
              return scrapeAdded(gateway.adminUrl);
            },
      },
      pgbouncer: {
        port: bouncer.port,
        database: (c) => (c.mode === 'prepared' ? 'bench_session' : 'bench'),
        user: pg.user,
        env: { PGPASSWORD: pg.password, PGSSLMODE: 'disable' },
      },
      pgbouncer_tls: {
        port: bouncer.port,
        database: (c) => (c.mode === 'prepared' ? 'bench_session' : 'bench'),
        user: pg.user,
        env: { PGPASSWORD: pg.password, PGSSLMODE: 'require' },
      },
      node_relay: {
        port: relay.port,
        database: () => 'bench',
        user: pg.user,
        env: { PGPASSWORD: pg.password, PGSSLMODE: 'require' },
      },
    };

    const todo = cells();
    console.error(
      `pg-bench: ${todo.length} cells × ${TARGETS.length} targets, ${SECONDS}s each, scale ${SCALE}, Warden workers ${WORKERS}`,
    );
    const rows: { cell: Cell; results: Partial<Record<Target, Measured | Error>> }[] = [];
    for (const cell of todo) {
      if (cell.script === 'tpcb-like') await admin.query('vacuum analyze pgbench_branches, pgbench_tellers');
      const results: Partial<Record<Target, Measured | Error>> = {};
      for (const target of TARGETS) {
        results[target] = await run(cell, endpoints[target]).catch((err: Error) => err);
        const r = results[target];
        console.error(
          `  ${cellName(cell).padEnd(26)} ${target.padEnd(9)} ${r instanceof Error ? `FAILED ${r.message}` : `${r.tps.toFixed(0)} tps${r.gatewayCpuUsPerTx === undefined ? '' : `, gateway process ${r.gatewayCpuUsPerTx} µs CPU/tx`}${r.addedMedianMs === undefined ? '' : `, added median ${(r.addedMedianMs * 1000).toFixed(0)} µs, mean ${((r.addedMeanMs ?? 0) * 1000).toFixed(0)} µs (metric)`}`}`,
        );
      }
      rows.push({ cell, results });
    }
    await admin.end();
    console.log(table(rows));
    const summary = figures(rows);
    console.log(
      `\n${describeTargets(summary.targets)}\nTotal ${((performance.now() - started) / 1000).toFixed(0)} s.`,
    );
    console.log(JSON.stringify(summary));
  } finally {
    for (const close of closers) await close().catch((err: unknown) => console.error('cleanup failed:', err));
  }
}

async function startWarden(
  work: string,
  pg: { host: string; port: number; user: string; password: string },
  tls: { certificate: string; key: string },
) {
  const secret = randomBytes(24).toString('base64url');
  const issuer = await startLocalIssuer({
    audience: AUDIENCE,
    accessTokenTtlSec: 3600,
    agents: [{ clientId: 'bench-agent', clientSecret: secret, groups: ['bench'] }],
  });
  const raw = (await examplePostgresConfig()) as {
    identity: { issuers: object[] };
    audit: { dir: string };
    recording?: { dir: string };
    [key: string]: unknown;
  };
  raw.workers = WORKERS === 'auto' ? 'auto' : Number(WORKERS);
  raw.identity.issuers = raw.identity.issuers.map((i) => ({
    ...i,
    issuer: issuer.issuer,
    audiences: [AUDIENCE],
  }));
  raw.connections = [
    {
      name: 'bench',
      kind: 'postgres',
      phi: false,
      upstream: {
        host: pg.host,
        port: pg.port,
        database: 'bench',
        user: pg.user,
        password: 'env:WARDEN_DEV_UPSTREAM_PASSWORD',
        tls: { mode: 'disable' },
      },
    },
  ];
  raw.access = { grants: [{ name: 'bench', connections: ['bench'], principals: { groups: ['bench'] } }] };
  raw.policy = {
    default: 'deny',
    rules: [{ name: 'allow-bench', decision: 'allow', principals: { groups: ['bench'] } }],
  };
  // The allow-all policy holds nothing for approval; without approval rules no shared store is needed.
  raw.approvals = {};
  // Workers report their figures to the primary often enough for a scrape right after each run.
  raw.observability = { metrics: { enabled: !process.env.PG_BENCH_NO_METRICS } };
  raw.audit.dir = join(work, 'audit');
  if (raw.recording) raw.recording.dir = join(work, 'recordings');
  if (process.env.PG_BENCH_NO_RECORDING) delete raw.recording;
  if (process.env.PG_BENCH_RECORDING_DIR && raw.recording)
    raw.recording.dir = process.env.PG_BENCH_RECORDING_DIR;
  const key = () =>
    generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
  // The gateway process (and its workers) is this script forked: it reads config and secrets from the environment.
  Object.assign(process.env, {
    WARDEN_BENCH_CONFIG: JSON.stringify(validateConfig(raw, TEMPLATE)),
    WARDEN_DEV_AUDIT_KEY: key(),
    WARDEN_DEV_SESSION_KEY: key(),
    WARDEN_DEV_TLS_CERT: tls.certificate,
    WARDEN_DEV_TLS_KEY: tls.key,
    WARDEN_DEV_TOKEN_KEY: randomBytes(32).toString('base64'),
    WARDEN_DEV_UPSTREAM_PASSWORD: pg.password,
    WARDEN_LOG_LEVEL: process.env.WARDEN_LOG_LEVEL ?? 'warn',
  });
  const gateway = await startGatewayProcess();
  return {
    port: gateway.port,
    adminUrl: gateway.adminUrl,
    pid: gateway.child.pid!,
    token: await issuer.agentToken('bench-agent'),
    close: async () => {
      const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
      gateway.child.kill('SIGTERM');
      await exited;
      await issuer.close();
    },
  };
}

/**
 * The gateway in a process of its own, run as bin/warden.js and the image run it (tsx's CommonJS
 * hook, the image's young-generation size), so its CPU can be told apart from the bench's.
 */
function startGatewayProcess(): Promise<{ child: ChildProcess; port: number; adminUrl: string }> {
  const child = fork(__filename, ['--gateway'], {
    execArgv: [
      '--max-semi-space-size=2',
      '--require',
      'tsx/cjs',
      ...(process.env.PG_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.PG_BENCH_PROF] : []),
    ],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => {
      const { port, adminUrl } = m as { port: number; adminUrl: string };
      resolve({ child, port, adminUrl });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited (${code})`)));
  });
}

/** In the gateway process: run it, report the port, stop on SIGTERM. */
async function gatewayMain(): Promise<void> {
  const gateway = await runGateway(benchConfig());
  if (gateway.role !== 'worker') {
    if (!gateway.postgres) throw new Error('the gateway did not start its Postgres listener');
    process.send?.({ port: gateway.postgres.port, adminUrl: gateway.adminUrl });
    process.once('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
  } else {
    await gateway.done;
    await gateway.close();
  }
}

function benchConfig() {
  return validateConfig(JSON.parse(process.env.WARDEN_BENCH_CONFIG!), 'WARDEN_BENCH_CONFIG');
}

function fmt(r: Measured | Error | undefined, base: Measured | Error | undefined): string {
  if (!r || r instanceof Error) return 'failed'.padStart(26);
  const ratio = base && !(base instanceof Error) ? ` ${(r.tps / base.tps).toFixed(2)}×` : '';
  return `${r.tps.toFixed(0).padStart(7)} ${r.latencyMs.toFixed(2).padStart(7)} ms${ratio.padStart(7)}`;
}

function table(rows: Rows): string {
  const head = `${'cell (script/mode/clients)'.padEnd(28)}${TARGETS.map((t) => `${t} (tps, latency, ×direct)`.padStart(30)).join('')}`;
  const lines = rows.map(
    ({ cell, results }) =>
      `${cellName(cell).padEnd(28)}${TARGETS.map((t) => fmt(results[t], results.direct).padStart(30)).join('')}`,
  );
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

type Rows = { cell: Cell; results: Partial<Record<Target, Measured | Error>> }[];

const tpsOf = (r: Measured | Error | undefined) => (r && !(r instanceof Error) ? r.tps : undefined);
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

interface Summary {
  readonly bench: 'pg';
  readonly seconds: number;
  readonly scale: number;
  readonly workers: string;
  readonly cells: Record<string, Record<string, number | Record<string, number>>>;
  readonly latency_ms: Record<string, Record<string, number>>;
  readonly targets: Record<
    string,
    { readonly value: number | null; readonly goal: string; readonly met: boolean }
  >;
}

/** The run as one JSON object: tps per target and ratio to direct per cell, latencies, the targets. */
function figures(rows: Rows): Summary {
  const cells: Summary['cells'] = {};
  for (const { cell, results } of rows) {
    const direct = tpsOf(results.direct);
    const entry: Record<string, number | Record<string, number>> = {};
    const ratio: Record<string, number> = {};
    for (const t of TARGETS) {
      const tps = tpsOf(results[t]);
      if (tps === undefined) continue;
      entry[t] = round(tps, 0);
      if (direct && t !== 'direct') ratio[t] = round(tps / direct);
    }
    entry.ratio = ratio;
    const w = results.warden;
    if (w && !(w instanceof Error) && w.gatewayCpuUsPerTx !== undefined)
      entry.warden_cpu_us_per_tx = w.gatewayCpuUsPerTx;
    cells[cellName(cell)] = entry;
  }
  const latency_ms: Summary['latency_ms'] = {};
  for (const mode of ['prepared', 'simple', 'extended'] as const) {
    const row = rows.find((r) => cellName(r.cell) === `select-only/${mode}/1`);
    if (!row) continue;
    const lat: Record<string, number> = {};
    for (const t of TARGETS) {
      const r = row.results[t];
      if (r && !(r instanceof Error)) lat[t] = round(r.latencyMs);
    }
    if (lat.direct !== undefined && lat.warden !== undefined)
      lat.warden_added = round(lat.warden - lat.direct);
    // The gateway's own median of warden_gateway_added_seconds over the same run.
    const w = row.results.warden;
    if (w && !(w instanceof Error) && w.addedMedianMs !== undefined)
      lat.warden_added_metric_median = round(w.addedMedianMs, 4);
    if (w && !(w instanceof Error) && w.addedMeanMs !== undefined)
      lat.warden_added_metric_mean = round(w.addedMeanMs, 4);
    // What any Node TLS relay adds (the extra hop): the part of warden_added outside the gateway's code.
    if (lat.node_relay !== undefined && lat.direct !== undefined)
      lat.node_relay_added = round(lat.node_relay - lat.direct);
    latency_ms[mode] = lat;
  }
  const ratio = (name: string, t: Target) => {
    const c = cells[name]?.ratio as Record<string, number> | undefined;
    return c?.[t] ?? null;
  };
  const goal = (value: number | null, text: string, met: (v: number) => boolean) => ({
    value,
    goal: text,
    met: value !== null && met(value),
  });
  const preparedW = ratio('select-only/prepared/8', 'warden');
  const preparedB = ratio('select-only/prepared/8', 'pgbouncer_tls');
  const targets: Summary['targets'] = {
    'select-only/prepared/8 warden ≥ pgbouncer_tls': goal(
      preparedW !== null && preparedB !== null ? round(preparedW - preparedB) : null,
      'warden ratio − pgbouncer_tls ratio ≥ 0',
      (v) => v >= 0,
    ),
    'select-only/simple/8': goal(ratio('select-only/simple/8', 'warden'), '≥ 0.5× direct', (v) => v >= 0.5),
    'tpcb-like/simple/8': goal(ratio('tpcb-like/simple/8', 'warden'), '≥ 0.5× direct', (v) => v >= 0.5),
    'latency added, prepared, 1 client': goal(
      latency_ms.prepared?.warden_added ?? null,
      '≤ 0.08 ms',
      (v) => v <= 0.08,
    ),
    'latency added, simple, 1 client': goal(
      latency_ms.simple?.warden_added ?? null,
      '≤ 0.25 ms',
      (v) => v <= 0.25,
    ),
    'select-only/simple/8/-C': goal(
      ratio('select-only/simple/8/-C', 'warden'),
      '≥ 0.5× direct',
      (v) => v >= 0.5,
    ),
  };
  return { bench: 'pg', seconds: SECONDS, scale: SCALE, workers: WORKERS, cells, latency_ms, targets };
}

function describeTargets(targets: Summary['targets']): string {
  return Object.entries(targets)
    .map(
      ([name, t]) =>
        `Target ${name} (${t.goal}): ${t.value ?? 'not measured'} → ${t.met ? 'MET' : 'NOT MET'}`,
    )
    .join('\n');
}

if (cluster.isWorker || process.argv.includes('--gateway')) {
  // The gateway process (and, with workers, each worker runGateway forks from it: this same script).
  gatewayMain().catch((err: unknown) => {
    console.error('gateway process failed:', err);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
