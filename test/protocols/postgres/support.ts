/**
 * A real PostgreSQL for the Postgres adapter's tests: the shared server from the jest global setup
 * when WARDEN_TEST_PG_URL is set, else a private PostgreSQL 15 (initdb/pg_ctl as the `postgres`
 * user, loopback port, scram-sha-256, TLS with a CA generated here, every statement logged).
 * Always `stop()` it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface TestCertificates {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly keyFile: string;
  readonly certFile: string;
  readonly caFile: string;
}

/** A throwaway CA and a certificate for localhost / 127.0.0.1 signed by it (openssl CLI). */
export function makeCertificates(dir: string): TestCertificates {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=warden-test-ca',
    '-days',
    '2',
  ]);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  ]);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    ca: read('ca.crt'),
    cert: read('server.crt'),
    key: read('server.key'),
    keyFile: join(dir, 'server.key'),
    certFile: join(dir, 'server.crt'),
    caFile: join(dir, 'ca.crt'),
  };
}

export interface TestPostgres {
  readonly host: string;
  readonly port: number;
  /** Superuser. */
  readonly user: string;
  readonly password: string;
  /** CA that signed the server certificate, when the server has TLS on. */
  readonly ca: string | undefined;
  /** The server log with every statement (log_statement = all), for a private server. */
  readonly logFile: string | undefined;
  admin(database?: string): Promise<Client>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `private: true` (or WARDEN_TEST_PG_PRIVATE=1) starts a private PostgreSQL 15 even when the shared
 * server is there: for tests that need its pg_hba.conf, TLS or statement log.
 */
export async function startTestPostgres(options: { private?: boolean } = {}): Promise<TestPostgres> {
  const usePrivate = options.private || process.env.WARDEN_TEST_PG_PRIVATE;
  const shared = usePrivate ? undefined : process.env.WARDEN_TEST_PG_URL;
  if (shared) {
    const u = new URL(shared);
    return handle(
      u.hostname,
      Number(u.port || 5432),
      decodeURIComponent(u.username),
      decodeURIComponent(u.password),
      undefined,
      async () => {},
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'warden-pg-'));
  chmodSync(dir, 0o755);
  const certs = makeCertificates(dir);
  const password = 'super-secret-test';
  writeFileSync(join(dir, 'pw'), password);
  execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  chmodSync(certs.keyFile, 0o600);
  const data = join(dir, 'data');
  const asPostgres = (cmd: string) => execFileSync('su', ['postgres', '-c', cmd], { stdio: 'pipe' });
  asPostgres(
    `${PG_BIN}/initdb -D ${data} -U postgres --auth=scram-sha-256 --pwfile=${dir}/pw -E UTF8 --no-sync`,
  );
  const port = await freePort();
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dir}'`,
      'ssl = on',
      `ssl_cert_file = '${certs.certFile}'`,
      `ssl_key_file = '${certs.keyFile}'`,
      'fsync = off',
      "log_statement = 'all'",
      'max_connections = 100',
      '',
    ].join('\n'),
  );
  // md5 and cleartext ("password") roles exist to test the upstream's other methods.
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all scram-sha-256',
      'host all md5_user 127.0.0.1/32 md5',
      'hostssl all plain_user 127.0.0.1/32 password',
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  );
  execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  asPostgres(`${PG_BIN}/pg_ctl -D ${data} -l ${dir}/log -w -t 30 start`);
  const stop = async () => {
    try {
      asPostgres(`${PG_BIN}/pg_ctl -D ${data} -m immediate -w stop`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return handle('127.0.0.1', port, 'postgres', password, certs.ca, stop, `${dir}/log`);
}

function handle(
  host: string,
  port: number,
  user: string,
  password: string,
  ca: string | undefined,
  stop: () => Promise<void>,
  logFile?: string,
): TestPostgres {
  return {
    host,
    port,
    user,
    password,
    ca,
    logFile,
    async admin(database = 'postgres') {
      const c = new Client({ host, port, user, password, database });
      await c.connect();
      return c;
    },
    stop,
  };
}

/** pg_stat_activity rows of `role` other than the asking session. */
export async function backendsOf(
  admin: Client,
  role: string,
): Promise<{ pid: number; application_name: string; state: string }[]> {
  const r = await admin.query(
    'select pid, application_name, state from pg_stat_activity where usename = $1 and pid <> pg_backend_pid()',
    [role],
  );
  return r.rows;
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
