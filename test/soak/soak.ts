/**
 * The soak run: `npm run soak -- --minutes N` (default 10). Loopback only, bounded.
 *
 * The `warden dev` sandbox with the gateway as `warden gateway` in its own process and
 * `workers: auto`; 300 Postgres sessions that keep opening and closing (pgbench-like transactions
 * and reads on scratch, masked reads on patients, writes to PHI held for a scripted approver), 30
 * SSH exec loops and HTTP requests at a steady rate (load.ts). Every minute it prints throughput,
 * errors, latency, and each gateway process's resident memory and open descriptors from /proc;
 * at the end it stops the gateway, runs `warden audit verify` and checks that every statement,
 * exec and request the clients sent has its attempt in the log (audit-check.ts).
 *
 * The last line of stdout is one JSON object. The target: no errors, everything audited, the
 * chains verify, and (from four minutes on) RSS and descriptors flat after warm-up — each process
 * in the last minute within 10 % of the third. Exit status 0 only when the target is met.
 *
 * Knobs (environment): SOAK_PG_SESSIONS (300), SOAK_SSH_LOOPS (30), SOAK_HTTP_RATE (requests/s,
 * 5), SOAK_PG_THINK_MS (mean pause between a session's operations, 6000), SOAK_SSH_THINK_MS
 * (4000), SOAK_PATIENTS (2000), SOAK_KEEP=1 keeps the state directory.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkAudit } from './audit-check';
import { startLoad } from './load';
import { flatAfterWarmUp, formatTable, SoakMetrics } from './metrics';
import { startSoakStack } from './stack';

const SAMPLE_EVERY_MS = 5000;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } } });
  const minutes = Number(values.minutes);
  if (!Number.isInteger(minutes) || minutes < 1) throw new Error('--minutes expects a positive integer');
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const shape = {
    pgSessions: env('SOAK_PG_SESSIONS', 300),
    sshLoops: env('SOAK_SSH_LOOPS', 30),
    httpPerSecond: env('SOAK_HTTP_RATE', 5),
    pgThinkMs: env('SOAK_PG_THINK_MS', 6000),
    sshThinkMs: env('SOAK_SSH_THINK_MS', 4000),
    patients: env('SOAK_PATIENTS', 2000),
  };

  const stateDir = await mkdtemp(join(tmpdir(), 'warden-soak-'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`soak: ${minutes} min, ${JSON.stringify(shape)}, state in ${stateDir}`);
  const stack = await startSoakStack(stateDir, shape.patients);
  try {
    const processes = await gatewayProcesses(stack.gatewayPid);
    log(`soak: gateway ready, processes ${JSON.stringify(Object.fromEntries(processes))}`);
    const metrics = new SoakMetrics();
    const load = startLoad(stack, shape, metrics);
    const sampler = setInterval(() => {
      void (async () => {
        const now = await gatewayProcesses(stack.gatewayPid);
        const lost = [...processes.values()].filter((pid) => ![...now.values()].includes(pid));
        for (const _ of lost) metrics.error('gateway-process-restarted');
        for (const [label, pid] of now) processes.set(label, pid);
        await metrics.sample(processes, stack.memory);
      })();
    }, SAMPLE_EVERY_MS);
    for (let m = 1; m <= minutes; m++) {
      await new Promise((r) => setTimeout(r, 60_000));
      const row = metrics.report(m)[m - 1]!;
      log(
        `soak: minute ${m} ${JSON.stringify(row)}${Object.keys(metrics.errors).length ? ` errors so far ${JSON.stringify(metrics.errors)}` : ''}`,
      );
    }
    clearInterval(sampler);
    log('soak: stopping the clients');
    await load.stop();
    log('soak: stopping the gateway');
    const exitCode = await stack.stopGateway();
    if (exitCode !== 0) metrics.error(`gateway-exit:${exitCode}`);
    log('soak: verifying the audit log');
    const audit = await checkAudit(stack.auditDir, stack.auditPublicKey, load.ledger, {
      ssh: stack.sshConnection,
      http: stack.httpConnection,
    });

    const rows = metrics.report(minutes);
    const flat = flatAfterWarmUp(rows);
    const statements = [...load.ledger.statements.values()].reduce((a, b) => a + b.sent, 0);
    const met =
      metrics.errorCount === 0 &&
      audit.verify === 'ok' &&
      audit.audited === statements &&
      audit.mismatched.size === 0 &&
      audit.sshExecsAudited === load.ledger.sshExecs &&
      audit.httpRequestsAudited === load.ledger.httpRequests &&
      (flat === undefined || (flat.rss && flat.fds));

    console.log(formatTable(rows));
    if (audit.verify !== 'ok') log(`soak: audit verify failed:\n${audit.verifyOutput}`);
    if (audit.mismatched.size > 0)
      log(
        `soak: sessions whose log differs from what they sent: ${JSON.stringify([...audit.mismatched].slice(0, 20))}`,
      );
    const warnings = stack.gatewayLog.filter((l) => /"level":(40|50|60)/.test(l));
    if (warnings.length > 0)
      log(`soak: gateway warnings and errors (${warnings.length}):\n${warnings.slice(0, 20).join('\n')}`);
    console.log(
      JSON.stringify({
        soak: met ? 'pass' : 'fail',
        minutes,
        errors: metrics.errorCount,
        errors_by_kind: metrics.errors,
        statements,
        audited: audit.audited,
        ssh_execs: load.ledger.sshExecs,
        ssh_execs_audited: audit.sshExecsAudited,
        http_requests: load.ledger.httpRequests,
        http_requests_audited: audit.httpRequestsAudited,
        http_retried_on_reused_connection: metrics.retried,
        audit_events: audit.events,
        latency_ms: {
          pg_p50: round(metrics.latency('pg', 50)),
          pg_p99: round(metrics.latency('pg', 99)),
          ssh_p50: round(metrics.latency('ssh', 50)),
          ssh_p99: round(metrics.latency('ssh', 99)),
          http_p50: round(metrics.latency('http', 50)),
          http_p99: round(metrics.latency('http', 99)),
        },
        rss_mb_max: round(metrics.rssMax),
        fd_max: metrics.fdMax,
        flat_after_warm_up: flat ?? null,
        gateway_warnings: warnings.length,
        verify: audit.verify,
        shape,
        per_minute: rows,
      }),
    );
    return met ? 0 : 1;
  } finally {
    await stack.close();
    if (!process.env.SOAK_KEEP) await rm(stateDir, { recursive: true, force: true });
  }
}

/** The gateway's primary and its workers (its children, oldest first), labelled. */
async function gatewayProcesses(primary: number): Promise<Map<string, number>> {
  const children = (await readFile(`/proc/${primary}/task/${primary}/children`, 'utf8').catch(() => ''))
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
  return new Map([
    ['primary', primary],
    ...children.map((pid, i) => [`worker-${i + 1}`, pid] as [string, number]),
  ]);
}

const round = (n: number) => Math.round(n * 10) / 10;

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('soak failed:', err);
    process.exit(2);
  },
);
