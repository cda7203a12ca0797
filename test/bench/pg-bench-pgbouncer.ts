/**
 * pgbouncer and pgbench for the Postgres benchmark (test/bench/pg-bench.ts): finds the Debian
 * binaries and runs a throwaway pgbouncer on a loopback port in front of the bench database.
 * Two pools for one database: `bench` pools by transaction (simple and extended protocol) and
 * `bench_session` by session, because pgbouncer before 1.21 cannot keep prepared statements
 * across transaction pooling.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

function firstExisting(paths: readonly string[]): string {
  return paths.find((p) => existsSync(p)) ?? '';
}

export function pgbenchBinary(): string {
  return firstExisting(['/usr/lib/postgresql/15/bin/pgbench', '/usr/bin/pgbench']);
}

export function pgbouncerBinary(): string {
  return firstExisting(['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface PgbouncerOptions {
  readonly upstreamPort: number;
  readonly user: string;
  /** The role's SCRAM secret from pg_authid: pgbouncer authenticates clients with it and passes SCRAM through. */
  readonly scramSecret: string;
  /** Also offer client TLS (like Warden): each client chooses with its sslmode. @default plaintext only */
  readonly tls?: { readonly certificate: string; readonly key: string };
}

export interface Pgbouncer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startPgbouncer(o: PgbouncerOptions): Promise<Pgbouncer> {
  // pgbouncer will not run as root: it switches to the postgres user, which must read its files.
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join('/tmp', 'warden-pgbouncer-'));
  const port = await freePort();
  const file = (name: string) => join(dir, name);
  const up = `host=127.0.0.1 port=${o.upstreamPort} dbname=bench`;
  const ini = [
    '[databases]',
    `bench = ${up} pool_mode=transaction`,
    `bench_session = ${up} pool_mode=session`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${file('userlist.txt')}`,
    `logfile = ${file('pgbouncer.log')}`,
    `pidfile = ${file('pgbouncer.pid')}`,
    'max_client_conn = 200',
    // Enough server connections for 32 session-pooled clients; idle ones go quickly so the
    // direct and Warden runs that follow find free backends.
    'default_pool_size = 32',
    'server_idle_timeout = 2',
    'ignore_startup_parameters = extra_float_digits',
    ...(o.tls
      ? [
          'client_tls_sslmode = allow',
          `client_tls_cert_file = ${file('tls.crt')}`,
          `client_tls_key_file = ${file('tls.key')}`,
        ]
      : []),
  ].join('\n');
  await writeFile(file('pgbouncer.ini'), `${ini}\n`);
  await writeFile(file('userlist.txt'), `"${o.user}" "${o.scramSecret}"\n`, { mode: 0o600 });
  if (o.tls) {
    await writeFile(file('tls.crt'), o.tls.certificate);
    await writeFile(file('tls.key'), o.tls.key, { mode: 0o600 });
  }
  if (asRoot) {
    const pgUser = await postgresIds();
    for (const f of [dir, file('userlist.txt'), ...(o.tls ? [file('tls.key')] : [])])
      await chown(f, pgUser.uid, pgUser.gid);
  }
  const child = spawn(pgbouncerBinary(), [...(asRoot ? ['-u', 'postgres'] : []), file('pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, child);
  } catch (err) {
    const log = await readFile(file('pgbouncer.log'), 'utf8').catch(() => '');
    await stop(child, exited);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`pgbouncer did not start: ${(err as Error).message}\n${stderr}${log.slice(-2000)}`);
  }
  return {
    port,
    async close() {
      await stop(child, exited);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no postgres OS user: pgbouncer cannot run as root');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with status ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error('port not listening after 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
