/**
 * The driver matrix's scenarios with stock psql (libpq), one psql run per step, as a user types
 * them: results are what psql prints (stdout and stderr), with the server's PIDs made relative.
 * Usage: node --import tsx psql-matrix.mts '<target JSON>'
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendGone, runAll, S, sleep, target as T, tagged } from './node-common.mjs';

const APP = 'matrix-psql';

interface Run {
  readonly out: string;
  readonly err: string;
  readonly status: number | null;
}

interface PsqlOptions {
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  /** PGOPTIONS: settings for the startup packet. */
  readonly options?: string;
  readonly args?: readonly string[];
  /** Sent on psql's standard input (a script, with COPY data inline). */
  readonly stdin?: string;
  /** Runs while psql does: to interrupt or kill it. */
  readonly during?: (child: ReturnType<typeof spawn>) => void;
}

function psql(o: PsqlOptions): Promise<Run> {
  const conninfo = [
    `host=${T.host}`,
    `port=${T.port}`,
    `dbname=${o.database ?? T.database}`,
    `user=${o.user ?? T.user}`,
    `sslmode=${T.ssl ? 'require' : 'disable'}`,
    `application_name=${APP}`,
  ].join(' ');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGPASSWORD: o.password ?? T.password,
    PGCONNECT_TIMEOUT: '10',
  };
  delete env.PGOPTIONS;
  if (o.options) env.PGOPTIONS = o.options;
  const child = spawn('psql', [conninfo, '-X', '-v', 'ON_ERROR_STOP=0', ...(o.args ?? [])], { env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.stdin.end(o.stdin ?? '');
  o.during?.(child);
  return new Promise((resolve) => child.on('close', (status) => resolve({ out, err, status })));
}

const script = (lines: readonly string[]) => psql({ stdin: `${lines.join('\n')}\n` });
// A failed login names the server's address first; what follows is the server's refusal.
const loginError = (r: Run) => r.err.replace(/^psql: error: .*? failed: /s, '').trim();

const cols: [string, string, string | null][] = S.types.columns;
const literal = (v: string | null, t: string) =>
  v === null ? `NULL::${t}` : `'${v.replaceAll("'", "''")}'::${t}`;

// psql variables carry each value back as text: \gset, then :'name' in the next statement.
const types = () =>
  script([
    `SELECT ${cols.map(([n, t, v]) => `${literal(v, t)} AS ${n}`).join(', ')} \\gset`,
    '\\x on',
    `SELECT ${cols.map(([n, t, v]) => (v === null ? `NULL::${t} AS ${n}` : `:'${n}'::${t} AS ${n}`)).join(', ')};`,
  ]);

const prepared = () =>
  script([
    `PREPARE matrix_stmt(int) AS ${S.prepared.sql};`,
    ...Array.from({ length: S.prepared.executions }, (_, i) => `EXECUTE matrix_stmt(${i});`),
    'DEALLOCATE matrix_stmt;',
  ]);

// FETCH_COUNT makes psql read through DECLARE CURSOR and FETCH n.
const cursor = () => script([`\\set FETCH_COUNT ${S.rows.fetch}`, `${S.rows.sql};`]);

// \copy streams a client-side file through COPY FROM STDIN, as users load data with psql.
async function copy() {
  const dir = await mkdtemp(join(tmpdir(), 'matrix-psql-'));
  const file = join(dir, 'data.csv');
  await writeFile(file, S.copy.data);
  try {
    return await script([
      `${S.copy.table};`,
      `\\copy copy_target FROM '${file}' (FORMAT csv)`,
      `${S.copy.out};`,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function listenNotify() {
  const channel = tagged(S.notify.channel);
  const r = await script([
    'SELECT pg_backend_pid() AS own \\gset',
    `LISTEN ${channel};`,
    `SELECT pg_notify('${channel}', '${S.notify.payload}');`,
    `NOTIFY ${channel}, 'from myself';`,
    '\\echo own :own',
  ]);
  const own = /own (\d+)/.exec(r.out)?.[1];
  const relative = (s: string) =>
    s
      .replaceAll(channel, 'CHANNEL')
      .replace(/PID (\d+)/g, (_, pid) => (pid === own ? 'PID <own>' : 'PID <other>'));
  return { out: relative(r.out.replace(/own \d+\n/, '')), err: relative(r.err), status: r.status };
}

// Ctrl-C in psql: it sends a CancelRequest for the running statement.
// psql cancels the running statement on SIGINT: send it once the statement before the sleep has
// answered (a fixed delay can come before the login on a busy machine, and end psql instead).
const cancel = () =>
  psql({
    args: ['-c', "SELECT 'connected' AS marker", '-c', S.sleep, '-c', 'SELECT 1'],
    during: (child) => {
      let seen = '';
      const onData = (d: Buffer) => {
        seen += d;
        if (!seen.includes('connected')) return;
        child.stdout?.off('data', onData);
        void sleep(300).then(() => child.kill('SIGINT'));
      };
      child.stdout?.on('data', onData);
    },
  });

const statementTimeout = () =>
  psql({
    options: `-c statement_timeout=${S.statementTimeoutMs}`,
    args: ['-c', 'SHOW statement_timeout', '-c', S.timeoutSleep],
  });

const startupSettings = () =>
  psql({
    options: S.settings.options,
    args: [...S.settings.show.flatMap((n: string) => ['-c', `SHOW ${n}`]), '-c', S.settings.probe],
  });

const multi = () => psql({ args: ['-c', S.multi] });
const errors = () => script([`${S.errorsSetup};`, ...S.errors.map((e: string) => `${e};`)]);
const notices = () => psql({ args: ['-c', S.notices] });

const transaction = () => {
  const t = S.transaction;
  return script([
    `${t.setup};`,
    'BEGIN;',
    `${t.insert};`,
    `${t.fail};`,
    `${t.after};`,
    'ROLLBACK;',
    `${t.count};`,
  ]);
};

async function large() {
  const r = await psql({ args: ['-A', '-t', '-F', ',', '-c', S.large.sql] });
  const lines = r.out.split('\n').filter((l) => l !== '');
  return {
    rows: lines.length,
    sha256: createHash('sha256')
      .update(`${lines.join('\n')}\n`)
      .digest('hex'),
    err: r.err,
  };
}

async function disconnect() {
  const r = await psql({
    args: ['-c', tagged(S.disconnect.sql)],
    // psql holds a whole result before printing: killing it mid-transfer is the disconnect.
    during: (child) => void sleep(500).then(() => child.kill('SIGKILL')),
  });
  const gone = await backendGone(async () => {
    const p = await psql({ args: ['-A', '-t', '-c', tagged(S.disconnect.probe)] });
    return Number(p.out.trim());
  });
  return { killed: r.status === null, serverBackendGone: gone };
}

const applicationName = () => psql({ args: ['-A', '-t', '-c', S.applicationName] });

async function currentUser(o: PsqlOptions) {
  const r = await psql({ ...o, args: ['-A', '-t', '-c', S.currentUser] });
  return r.status === 0 ? { currentUser: r.out.trim() } : { error: loginError(r) };
}

const userNames = async () => ({
  scratchUnknown: await currentUser({ user: T.unknownUser }),
  phiUnknown: await currentUser({ database: T.phiDatabase, user: T.unknownUser }),
  phiRole: await currentUser({ database: T.phiDatabase, user: T.role.user, password: T.role.password }),
});

async function unrestricted() {
  const r = await script(S.unrestricted.map((s: string) => `${tagged(s)};`));
  return { ...r, out: r.out.replaceAll(T.tag, 'TAG') };
}

const phiMasking = () => psql({ database: T.phiDatabase, args: ['-c', S.phi.select] });
const phiRefusal = () =>
  psql({
    database: T.phiDatabase,
    stdin: ['BEGIN;', ...S.phi.transaction.map((s: string) => `${s};`), 'ROLLBACK;', `${S.phi.count};`].join(
      '\n',
    ),
  });

await runAll({
  'types-text': types,
  'types-binary': 'psql reads every result in text format',
  'prepared-reuse': prepared,
  pipeline: 'psql 15 has no pipeline mode',
  'portal-row-limit': 'psql has no protocol-level row limit (FETCH_COUNT uses SQL cursors: see cursor)',
  cursor,
  copy,
  'listen-notify': listenNotify,
  cancel,
  'statement-timeout': statementTimeout,
  'startup-settings': startupSettings,
  'multi-statement': multi,
  errors,
  notices,
  'transaction-rollback': transaction,
  'large-result': large,
  'disconnect-mid-result': disconnect,
  'application-name': applicationName,
  'user-names': userNames,
  'scratch-unrestricted': unrestricted,
  'phi-masking': phiMasking,
  'phi-policy-refusal': phiRefusal,
});
