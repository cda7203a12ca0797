/**
 * `warden dev` as a user runs it: the CLI spawned as a child process, its one JSON line parsed,
 * stock clients pointed at it, and its audit log read back from disk. For suites that must see the
 * sandbox exactly as the README describes it (the red-team suites, the CLI test).
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';

const root = join(__dirname, '..', '..');
const bin = join(root, 'gateway-image', 'bin', 'warden.js');

export interface DevLine {
  postgres: { host: string; port: number; connections: string[] };
  tokens: { agent: string; human: string; approver: string };
  adminUrl: string;
  oidcIssuer: string;
  upstream: { url: string };
  auditDir: string;
  recordingsDir: string;
  ssh?: { host: string; port: number; connection: string };
  http?: { url: string; connection: string };
  kubernetes?: { url: string; connection: string };
}

export interface AuditLine {
  readonly seq: number;
  readonly type: string;
  readonly session: string | null;
  readonly connection: string | null;
  readonly principal: { readonly subject: string; readonly kind: string } | null;
  // biome-ignore lint/suspicious/noExplicitAny: event bodies differ by type; tests read what they assert
  readonly body: Record<string, any>;
}

export interface PsqlRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

export interface DevSandbox {
  readonly line: DevLine;
  readonly stateDir: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Stock psql through the gateway: each `commands` entry is one -c; VERBOSITY verbose shows SQLSTATEs. */
  psql(options: {
    token: string;
    database: string;
    commands: readonly string[];
    applicationName?: string;
    env?: Record<string, string>;
    file?: string;
    /** More libpq connection keywords, e.g. `replication=database`. */
    conninfo?: string;
  }): PsqlRun;
  /** Every audit event written so far, in order. */
  audit(): Promise<AuditLine[]>;
  /** The events of the session a client started with `application_name`. */
  sessionEvents(applicationName: string): Promise<AuditLine[]>;
  /** A superuser connection straight to a sandbox database (what the gateway hides from clients). */
  upstream(database: string): Promise<Client>;
  /** SIGINT, then waits for the exit; resolves with the milliseconds it took (rejects after `limitMs`). */
  interrupt(limitMs: number): Promise<number>;
  close(): Promise<void>;
}

export async function startDevSandbox(options: { patients?: number } = {}): Promise<DevSandbox> {
  const stateDir = await mkdtemp(join(tmpdir(), 'warden-dev-sandbox-'));
  const child = spawn(
    process.execPath,
    [bin, 'dev', '--patients', String(options.patients ?? 500), '--state-dir', stateDir],
    // Its own process group, so nothing it started can outlive a test that fails.
    { cwd: root, detached: true },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const line = await new Promise<DevLine>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`warden dev exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l) as DevLine));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const audit = async (): Promise<AuditLine[]> => {
    const files = (await readdir(line.auditDir)).filter((f) => f.endsWith('.jsonl')).sort();
    const events: AuditLine[] = [];
    for (const f of files) {
      for (const l of (await readFile(join(line.auditDir, f), 'utf8')).split('\n')) {
        if (l.trim() !== '') events.push(JSON.parse(l) as AuditLine);
      }
    }
    return events;
  };

  return {
    line,
    stateDir,
    child,
    psql({ token, database, commands, applicationName, env, file, conninfo: extra }) {
      const conninfo = [
        `host=${line.postgres.host}`,
        `port=${line.postgres.port}`,
        `dbname=${database}`,
        'user=redteam',
        'sslmode=require',
        `application_name=${applicationName ?? 'psql'}`,
        ...(extra ? [extra] : []),
      ].join(' ');
      const args = [conninfo, '-X', '-v', 'VERBOSITY=verbose', '-v', 'ON_ERROR_STOP=0'];
      for (const c of commands) args.push('-c', c);
      if (file) args.push('-f', file);
      const run = spawnSync('psql', args, {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '10', ...env },
        timeout: 30_000,
      });
      return { stdout: run.stdout, stderr: run.stderr, status: run.status };
    },
    audit,
    async sessionEvents(applicationName) {
      const events = await audit();
      const start = events.find(
        (e) =>
          (e.type === 'session.start' || e.type === 'session.refused') &&
          e.body.clientApplication === applicationName,
      );
      if (!start) {
        // A refusal before session.start names no application: the caller matches on the body.
        return [];
      }
      return events.filter((e) => e.session === start.session);
    },
    async upstream(database) {
      const url = new URL(line.upstream.url);
      url.pathname = `/${database}`;
      const c = new Client({ connectionString: url.toString() });
      await c.connect();
      return c;
    },
    async interrupt(limitMs) {
      const started = performance.now();
      child.kill('SIGINT');
      const limit = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`warden dev still running ${limitMs} ms after SIGINT`)),
          limitMs,
        ).unref(),
      );
      await Promise.race([exited, limit]);
      return Math.round(performance.now() - started);
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT lets warden dev stop its Postgres and sshd; SIGKILL to the whole group is the fallback.
        child.kill('SIGINT');
        const stopped = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 15_000).unref()),
        ]);
        if (!stopped) {
          process.kill(-child.pid!, 'SIGKILL');
          await exited;
        }
      }
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
