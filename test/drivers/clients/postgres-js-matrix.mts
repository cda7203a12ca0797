/**
 * The driver matrix's scenarios with postgres.js (`postgres`), in one process. postgres.js
 * prepares every statement by name and pipelines queries given to one connection at once.
 * Usage: node --import tsx postgres-js-matrix.mts '<target JSON>'
 */
import { Readable } from 'node:stream';
import postgres from 'postgres';
import {
  attempt,
  backendGone,
  digest,
  errorFields,
  plain,
  runAll,
  S,
  target as T,
  tagged,
} from './node-common.mjs';

const APP = 'matrix-postgres-js';
type Sql = postgres.Sql;
type Options = postgres.Options<Record<string, postgres.PostgresType>>;

function open(extra: Options = {}): Sql {
  const { connection, ...rest } = extra;
  return postgres({
    host: T.host,
    port: T.port,
    database: T.database,
    username: T.user,
    password: T.password,
    ssl: T.ssl ? { rejectUnauthorized: false } : false,
    max: 1,
    onnotice: () => undefined,
    connection: { application_name: APP, ...connection },
    ...rest,
  });
}

async function using<R>(fn: (sql: Sql) => Promise<R>, extra: Options = {}): Promise<R> {
  const sql = open(extra);
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

const result = (r: postgres.RowList<postgres.Row[]>) => ({
  command: r.command,
  count: r.count,
  rows: plain(r.map((row) => Object.values(row))),
});
/** What runs a statement: the pool or a transaction. */
type Runner = Pick<Sql, 'unsafe'>;
const run = (sql: Runner, text: string, params?: postgres.ParameterOrJSON<never>[]) =>
  sql.unsafe(text, params ?? []).then(result);

const cols: [string, string, string | null][] = S.types.columns;
const literal = (v: string | null, t: string) =>
  v === null ? `NULL::${t}` : `'${v.replaceAll("'", "''")}'::${t}`;

const types = () =>
  using(async (sql) => {
    const r = await sql.unsafe(`SELECT ${cols.map(([n, t, v]) => `${literal(v, t)} AS ${n}`).join(', ')}`);
    const row = Object.values(r[0]!);
    const back = await run(
      sql,
      `SELECT ${cols.map(([n, t], i) => `$${i + 1}::${t} AS ${n}`).join(', ')}`,
      row as postgres.ParameterOrJSON<never>[],
    );
    return { row: plain(row), types: r.columns.map((c) => c.type), roundTrip: back.rows };
  });

const prepared = () =>
  using(async (sql) => {
    const out = [];
    for (let i = 0; i < S.prepared.executions; i++) {
      out.push(plain(Object.values((await sql.unsafe(S.prepared.sql, [i], { prepare: true }))[0]!)));
    }
    return { results: out };
  });

// One connection and every query handed over at once: postgres.js writes them back to back.
const pipeline = () =>
  using(async (sql) => {
    const settled = await Promise.allSettled(S.pipeline.statements.map((s: string) => run(sql, s)));
    return settled.map((s) => (s.status === 'fulfilled' ? s.value : { error: errorFields(s.reason) }));
  });

const portal = () =>
  using(async (sql) => {
    const batches: unknown[] = [];
    for await (const rows of sql.unsafe(S.rows.sql).cursor(S.rows.fetch)) batches.push(rows.map((r) => r.g));
    return { batches };
  });

const cursor = () =>
  using((sql) =>
    sql.begin(async (tx) => {
      await tx.unsafe(`DECLARE matrix_cursor CURSOR FOR ${S.rows.sql}`);
      const batches = [];
      for (;;) {
        const r = await tx.unsafe(`FETCH ${S.rows.fetch} FROM matrix_cursor`);
        if (r.count === 0) break;
        batches.push(r.map((x) => x.g));
      }
      return { batches };
    }),
  );

const copy = () =>
  using((sql) =>
    sql.begin(async (tx) => {
      await tx.unsafe(S.copy.table);
      const writable = await tx.unsafe(S.copy.in).writable();
      await new Promise<void>((resolve, reject) => {
        Readable.from([S.copy.data]).pipe(writable).on('finish', resolve).on('error', reject);
      });
      const chunks: Buffer[] = [];
      for await (const chunk of await tx.unsafe(S.copy.out).readable()) chunks.push(chunk as Buffer);
      return { out: Buffer.concat(chunks).toString('utf8') };
    }),
  );

const listenNotify = () =>
  using(async (sql) => {
    const channel = tagged(S.notify.channel);
    const got: string[] = [];
    const { unlisten } = await sql.listen(channel, (payload) => got.push(payload));
    await sql.notify(channel, S.notify.payload);
    for (let i = 0; i < 50 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 100));
    await unlisten();
    return { payloads: got };
  });

const cancel = () =>
  using(async (sql) => {
    const query = sql.unsafe(S.sleep);
    setTimeout(() => query.cancel(), 300);
    return { sleep: await attempt(() => query.then(result)), after: await run(sql, 'SELECT 1') };
  });

const statementTimeout = () =>
  using(
    async (sql) => ({
      shown: await run(sql, 'SHOW statement_timeout'),
      sleep: await attempt(() => run(sql, S.timeoutSleep)),
    }),
    { connection: { statement_timeout: S.statementTimeoutMs } },
  );

const startupSettings = () =>
  using(
    async (sql) => {
      const out: Record<string, unknown> = {};
      for (const name of S.settings.show) out[name] = (await run(sql, `SHOW ${name}`)).rows;
      out.probe = await run(sql, S.settings.probe);
      return out;
    },
    { connection: { options: S.settings.options } },
  );

const multi = () =>
  using(async (sql) => {
    const results = (await sql.unsafe(S.multi).simple()) as unknown as postgres.RowList<postgres.Row[]>[];
    return results.map(result);
  });

const errors = () =>
  using(async (sql) => {
    await sql.unsafe(S.errorsSetup).simple();
    const out = [];
    for (const text of S.errors) out.push(await attempt(() => run(sql, text)));
    return out;
  });

async function notices() {
  const got: unknown[] = [];
  const onnotice = (n: postgres.Notice) =>
    got.push({ severity: n.severity, code: n.code, message: n.message, detail: n.detail, hint: n.hint });
  await using((sql) => sql.unsafe(S.notices), { onnotice });
  return { notices: got };
}

const transaction = () =>
  using(async (sql) => {
    const t = S.transaction;
    await sql.unsafe(t.setup);
    const out: unknown[] = [];
    await sql
      .begin(async (tx) => {
        for (const text of [t.insert, t.fail, t.after]) out.push(await attempt(() => run(tx, text)));
      })
      .catch((e) => out.push({ commit: errorFields(e) }));
    out.push(await run(sql, t.count));
    return out;
  });

const large = () =>
  using(async (sql) => digest((await sql.unsafe(S.large.sql).values()).map((r) => r.map((v) => plain(v)))));

async function disconnect() {
  const sql = open();
  let rows = 0;
  let clientSawFailure = false;
  try {
    await sql.unsafe(tagged(S.disconnect.sql)).forEach(() => {
      // Mid-result: the connection is dropped at once, nothing waited for.
      if (++rows === 1000) void sql.end({ timeout: 0 });
    });
  } catch {
    clientSawFailure = true;
  }
  const gone = await using((p) =>
    backendGone(async () => Number((await p.unsafe(tagged(S.disconnect.probe)))[0]!.n)),
  );
  return { clientSawFailure, rowsBeforeCut: rows >= 1000, serverBackendGone: gone };
}

const applicationName = () =>
  using(async (sql) => ({
    applicationName: (await sql.unsafe(S.applicationName))[0]!.application_name,
    reported: sql.parameters.application_name,
  }));

async function currentUser(extra: Options) {
  try {
    return await using(async (sql) => ({ currentUser: (await sql.unsafe(S.currentUser))[0]!.u }), extra);
  } catch (e) {
    return { error: errorFields(e) };
  }
}

const userNames = async () => ({
  scratchUnknown: await currentUser({ username: T.unknownUser }),
  phiUnknown: await currentUser({ database: T.phiDatabase, username: T.unknownUser }),
  phiRole: await currentUser({ database: T.phiDatabase, username: T.role.user, password: T.role.password }),
});

const unrestricted = () =>
  using(async (sql) => {
    const out = [];
    for (const text of S.unrestricted) out.push(await attempt(() => run(sql, tagged(text))));
    return out;
  });

const phiMasking = () =>
  using(
    async (sql) => {
      const r = await sql.unsafe(S.phi.select);
      return { types: r.columns.map((c) => c.type), rows: plain(r.map((row) => Object.values(row))) };
    },
    { database: T.phiDatabase },
  );

const phiRefusal = () =>
  using(
    async (sql) => {
      const out: unknown[] = [];
      await sql
        .begin(async (tx) => {
          for (const text of S.phi.transaction) out.push(await attempt(() => run(tx, text)));
        })
        .catch((e) => out.push({ commit: errorFields(e) }));
      out.push(await run(sql, S.phi.count));
      return out;
    },
    { database: T.phiDatabase },
  );

await runAll({
  'types-text': types,
  'types-binary': 'postgres.js reads results in text format',
  'prepared-reuse': prepared,
  pipeline,
  'portal-row-limit': portal,
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
