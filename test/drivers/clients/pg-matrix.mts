/**
 * The driver matrix's scenarios with node-postgres (`pg`), in one process.
 * Usage: node --import tsx pg-matrix.mts '<target JSON>' text|binary
 * In binary mode every query asks for binary results (the extended protocol, which `pg` then uses
 * throughout); simple-protocol scenarios stay simple, as `pg` runs them.
 */
import pg from 'pg';
import {
  attempt,
  backendGone,
  digest,
  errorFields,
  plain,
  runAll,
  S,
  sleep,
  target as T,
  tagged,
} from './node-common.mjs';

const binary = process.argv[3] === 'binary';
const APP = `matrix-pg-${binary ? 'binary' : 'text'}`;

function config(extra: pg.ClientConfig = {}): pg.ClientConfig {
  return {
    host: T.host,
    port: T.port,
    database: T.database,
    user: T.user,
    password: T.password,
    ssl: T.ssl ? { rejectUnauthorized: false } : false,
    application_name: APP,
    ...extra,
  };
}

async function connected<R>(fn: (c: pg.Client) => Promise<R>, extra: pg.ClientConfig = {}): Promise<R> {
  const c = new pg.Client(config(extra));
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A query in this run's format, with the fields a comparison needs. */
async function run(c: pg.Client, text: string, values?: unknown[]) {
  const r = await c.query({ text, ...(values ? { values } : {}), ...(binary ? { binary: true } : {}) });
  return { command: r.command, rowCount: r.rowCount, rows: plain(r.rows.map((row) => Object.values(row))) };
}

const cols: [string, string, string | null][] = S.types.columns;
const literal = (v: string | null, t: string) =>
  v === null ? `NULL::${t}` : `'${v.replaceAll("'", "''")}'::${t}`;

async function types() {
  return connected(async (c) => {
    const r = await c.query({
      text: `SELECT ${cols.map(([n, t, v]) => `${literal(v, t)} AS ${n}`).join(', ')}`,
      ...(binary ? { binary: true } : {}),
    });
    const row = Object.values(r.rows[0]);
    // The values go back as parameters through pg's own encoders (Dates, Buffers, arrays, objects),
    // as text: pg's binary mode flags parameters binary too, so it only fits Buffer parameters.
    const back = await c.query({
      text: `SELECT ${cols.map(([n, t], i) => `$${i + 1}::${t} AS ${n}`).join(', ')}`,
      values: row,
    });
    return {
      row: plain(row),
      types: r.fields.map((f) => f.dataTypeID),
      roundTrip: plain(Object.values(back.rows[0])),
    };
  });
}

const prepared = () =>
  connected(async (c) => {
    const out = [];
    for (let i = 0; i < S.prepared.executions; i++) {
      const r = await c.query({
        name: 'matrix_stmt',
        text: S.prepared.sql,
        values: [i],
        ...(binary ? { binary: true } : {}),
      });
      out.push(plain(Object.values(r.rows[0])));
    }
    return { results: out };
  });

const pipeline = () =>
  connected(
    async (c) => {
      const settled = await Promise.allSettled(S.pipeline.statements.map((s: string) => run(c, s)));
      return settled.map((s) => (s.status === 'fulfilled' ? s.value : { error: errorFields(s.reason) }));
    },
    { pipeline: true } as pg.ClientConfig,
  );

const portal = () =>
  connected(async (c) => {
    // `rows` makes pg Execute with a row limit and follow each PortalSuspended with another Execute.
    const r = await c.query({
      text: S.rows.sql,
      rows: S.rows.fetch,
      ...(binary ? { binary: true } : {}),
    } as pg.QueryConfig);
    return { rows: r.rows.map((x) => x.g) };
  });

const cursor = () =>
  connected(async (c) => {
    await c.query('BEGIN');
    await c.query(`DECLARE matrix_cursor CURSOR FOR ${S.rows.sql}`);
    const batches = [];
    for (;;) {
      const r = await run(c, `FETCH ${S.rows.fetch} FROM matrix_cursor`);
      if (r.rowCount === 0) break;
      batches.push(r.rows);
    }
    await c.query('CLOSE matrix_cursor');
    await c.query('COMMIT');
    return { batches };
  });

const listenNotify = () =>
  connected(async (c) => {
    const channel = tagged(S.notify.channel);
    const got: pg.Notification[] = [];
    c.on('notification', (n) => got.push(n));
    await c.query(`LISTEN ${channel}`);
    await connected((o) => o.query('SELECT pg_notify($1, $2)', [channel, S.notify.payload]));
    await c.query(`NOTIFY ${channel}, 'from myself'`);
    for (let i = 0; i < 50 && got.length < 2; i++) await sleep(100);
    const own = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const key = (c as unknown as { processID: number }).processID;
    return {
      notifications: got.map((n) => ({
        channel: n.channel === channel,
        payload: n.payload,
        fromMyself: n.processId === own,
      })),
      backendKeyPidIsBackendPid: key === own,
    };
  });

const cancel = () =>
  connected(async (c) => {
    const query = new pg.Query(S.sleep);
    const result = new Promise((resolve) => {
      query.on('end', () => resolve({ ok: true }));
      query.on('error', (e) => resolve({ error: errorFields(e) }));
    });
    c.query(query);
    await sleep(300);
    // pg's own cancel: a new connection carrying the CancelRequest with this session's key.
    (new pg.Client(config()) as unknown as { cancel(c: pg.Client, q: pg.Query): void }).cancel(c, query);
    return { sleep: await result, after: await run(c, 'SELECT 1') };
  });

const statementTimeout = () =>
  connected(
    async (c) => ({
      shown: await run(c, 'SHOW statement_timeout'),
      sleep: await attempt(() => run(c, S.timeoutSleep)),
    }),
    { statement_timeout: S.statementTimeoutMs },
  );

async function startupSettings() {
  const shown = await connected(
    async (c) => {
      const out: Record<string, unknown> = {};
      for (const name of S.settings.show) out[name] = (await run(c, `SHOW ${name}`)).rows;
      out.probe = await run(c, S.settings.probe);
      return out;
    },
    { options: S.settings.options },
  );
  // pg's own connection settings, one also given in options: the server's precedence must hold.
  const precedence = await connected(
    async (c) => [
      await run(c, 'SHOW statement_timeout'),
      await run(c, 'SHOW idle_in_transaction_session_timeout'),
    ],
    {
      statement_timeout: 5000,
      idle_in_transaction_session_timeout: 4321,
      options: '-c statement_timeout=1000',
    },
  );
  return { ...shown, precedence };
}

const multi = () =>
  connected(async (c) => {
    const results = (await c.query(S.multi)) as unknown as pg.QueryResult[];
    return results.map((r) => ({
      command: r.command,
      rowCount: r.rowCount,
      rows: plain(r.rows.map((x) => Object.values(x))),
    }));
  });

const errors = () =>
  connected(async (c) => {
    await c.query(S.errorsSetup);
    const out = [];
    for (const sql of S.errors) out.push(await attempt(() => run(c, sql)));
    return out;
  });

const notices = () =>
  connected(async (c) => {
    const got: unknown[] = [];
    c.on('notice', (n) =>
      got.push({ severity: n.severity, code: n.code, message: n.message, detail: n.detail, hint: n.hint }),
    );
    await c.query(S.notices);
    return { notices: got };
  });

const transaction = () =>
  connected(async (c) => {
    const t = S.transaction;
    await c.query(t.setup);
    await c.query('BEGIN');
    const out = [
      await attempt(() => run(c, t.insert)),
      await attempt(() => run(c, t.fail)),
      await attempt(() => run(c, t.after)),
    ];
    await c.query('ROLLBACK');
    out.push(await run(c, t.count));
    return out;
  });

const large = () =>
  connected(async (c) => {
    const r = await c.query({ text: S.large.sql, rowMode: 'array', ...(binary ? { binary: true } : {}) });
    return digest(r.rows.map((row) => row.map((v: unknown) => plain(v))));
  });

async function disconnect() {
  const c = new pg.Client(config());
  await c.connect();
  c.on('error', () => undefined);
  const query = new pg.Query({
    text: tagged(S.disconnect.sql),
    ...(binary ? { binary: true } : {}),
  } as pg.QueryConfig);
  let rows = 0;
  const ended = new Promise<boolean>((resolve) => {
    query.on('row', () => {
      // Mid-result: the socket goes, as a crashing client's would.
      if (++rows === 1000)
        (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    });
    query.on('error', () => resolve(true));
    query.on('end', () => resolve(false));
  });
  c.query(query);
  const clientSawFailure = await ended;
  const gone = await connected((p) =>
    backendGone(async () => Number((await p.query(tagged(S.disconnect.probe))).rows[0].n)),
  );
  return { clientSawFailure, rowsBeforeCut: rows >= 1000, serverBackendGone: gone };
}

const nameOf = async (c: pg.Client) => (await c.query(S.applicationName)).rows[0].application_name;
const applicationName = async () => ({
  applicationName: await connected(nameOf),
  // Only in options: the server takes it from there.
  fromOptions: await connected(nameOf, {
    application_name: undefined,
    options: '-c application_name=from-options',
  }),
});

async function currentUser(extra: pg.ClientConfig) {
  try {
    return await connected(async (c) => ({ currentUser: (await c.query(S.currentUser)).rows[0].u }), extra);
  } catch (e) {
    return { error: errorFields(e) };
  }
}

const userNames = async () => ({
  scratchUnknown: await currentUser({ user: T.unknownUser }),
  phiUnknown: await currentUser({ database: T.phiDatabase, user: T.unknownUser }),
  phiRole: await currentUser({ database: T.phiDatabase, user: T.role.user, password: T.role.password }),
});

const unrestricted = () =>
  connected(async (c) => {
    const out = [];
    for (const sql of S.unrestricted) out.push(await attempt(() => run(c, tagged(sql))));
    return out;
  });

const phiMasking = () =>
  connected(
    async (c) => {
      const r = await c.query({ text: S.phi.select, rowMode: 'array', ...(binary ? { binary: true } : {}) });
      return { types: r.fields.map((f) => f.dataTypeID), rows: plain(r.rows) };
    },
    { database: T.phiDatabase },
  );

const phiRefusal = () =>
  connected(
    async (c) => {
      await c.query('BEGIN');
      const out = [];
      for (const sql of S.phi.transaction) out.push(await attempt(() => run(c, sql)));
      await c.query('ROLLBACK');
      out.push(await run(c, S.phi.count));
      return out;
    },
    { database: T.phiDatabase },
  );

await runAll({
  'types-text': binary ? 'pg in binary mode: see the pg (binary) column' : types,
  'types-binary': binary ? types : 'pg in text mode: see the pg (binary) column',
  'prepared-reuse': prepared,
  pipeline,
  'portal-row-limit': portal,
  cursor,
  copy: 'pg has no COPY API of its own (pg-copy-streams adds it)',
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
