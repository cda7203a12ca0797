import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';

const REPO = join(__dirname, '..', '..');
const CHILD = join(__dirname, 'fixtures', 'sandbox-child.ts');
const PORT_CONFLICT = join(__dirname, 'fixtures', 'port-conflict.ts');
const PSQL = '/usr/bin/psql';

interface Ready {
  host: string;
  port: number;
  user: string;
  password: string;
  pid: number;
  dataDir: string;
  startupMs: number;
  seed: { patients: number; encounters: number; loadMs: number; generateMs: number };
  databases: string[];
  urls: Record<string, string>;
}

/** Starts the sandbox in a child process and resolves with its first JSON line. */
function startChild(patients: number): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, String(patients)], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function nextJson<T>(lines: AsyncIterator<string>): Promise<T> {
  const { value, done } = await lines.next();
  if (done) throw new Error('sandbox child exited before reporting');
  return JSON.parse(value) as T;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Postgres processes chdir into the data dir, so their cwd identifies a cluster's every process. */
function processesIn(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(dataDir);
      } catch {
        return false; // exited meanwhile, or not ours to read
      }
    })
    .map(Number);
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('startSandboxDatabase (own embedded server in a child process)', () => {
  let child: ChildProcess | undefined;

  afterEach(async () => {
    // A failed assertion must not leave a server behind: the child's exit hook stops it.
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited(child);
    }
    child = undefined;
  });

  it('serves patients and a PHI-free scratch database, and stop() leaves nothing behind', async () => {
    const started = startChild(10_000);
    child = started.child;
    const ready = await nextJson<Ready>(started.lines);
    expect(ready.databases).toEqual(['patients', 'scratch']);
    expect(ready.host).toBe('127.0.0.1');
    expect(ready.urls.scratch).toBe(
      `postgres://${ready.user}:${encodeURIComponent(ready.password)}@127.0.0.1:${ready.port}/scratch`,
    );
    expect(processesIn(ready.dataDir)).toContain(ready.pid);

    const [patients] = await query<{ n: number }>(
      ready.urls.patients!,
      'SELECT count(*)::int AS n FROM patients',
    );
    expect(patients!.n).toBe(10_000);
    const tables = await query<{ table_name: string }>(
      ready.urls.scratch!,
      "SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
    );
    expect(tables.map((t) => t.table_name)).toEqual(['items']);
    const columns = await query<{ column_name: string }>(
      ready.urls.scratch!,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position",
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'name', 'quantity', 'created_at']);

    if (existsSync(PSQL)) {
      // The system psql is version 15; it still talks to the 18 server (protocol 3.0).
      const psql = spawnSync(
        PSQL,
        [
          '-h',
          ready.host,
          '-p',
          String(ready.port),
          '-U',
          ready.user,
          '-d',
          'scratch',
          '-Atc',
          'SELECT count(*) FROM items',
        ],
        { env: { ...process.env, PGPASSWORD: ready.password }, encoding: 'utf8' },
      );
      expect(psql.stdout.trim()).toBe('3');
    }

    started.child.stdin!.write('stop\n');
    const stopped = await nextJson<{ stopped: boolean }>(started.lines);
    expect(stopped.stopped).toBe(true);
    expect(await exited(started.child)).toBe(0);
    expect(isAlive(ready.pid)).toBe(false);
    expect(processesIn(ready.dataDir)).toEqual([]);
    expect(existsSync(ready.dataDir)).toBe(false);
  }, 90_000);

  it('cleans up when its process gets SIGTERM', async () => {
    const started = startChild(100);
    child = started.child;
    const ready = await nextJson<Ready>(started.lines);
    expect(isAlive(ready.pid)).toBe(true);
    started.child.kill('SIGTERM');
    await exited(started.child);
    expect(isAlive(ready.pid)).toBe(false);
    expect(processesIn(ready.dataDir)).toEqual([]);
    expect(existsSync(ready.dataDir)).toBe(false);
  }, 90_000);

  it('fails cleanly, leaving no data dir, when its port is taken', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', PORT_CONFLICT], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 80_000,
    });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({
      error: { name: 'EmbeddedPostgresError', code: 'ERR_SANDBOX_POSTGRES' },
      leftover: [],
      firstDirRemoved: true,
    });
  }, 90_000);
});
