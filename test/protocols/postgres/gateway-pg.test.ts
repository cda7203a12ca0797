/** The gateway with a real node-postgres client in front of a real PostgreSQL. */
import { readFileSync } from 'node:fs';
import { Client, type ClientConfig, Pool } from 'pg';
import { type Harness, startHarness } from './harness';
import { backendsOf, waitFor } from './support';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  const c = await h.direct();
  await c.query(`create table patients (id int primary key, name text, tags text[], doc jsonb, balance numeric(12,2),
                 photo bytea, seen timestamptz, born date)`);
  await c.query(`insert into patients select g, 'patient ' || g, array['a','b'], jsonb_build_object('n', g),
                 g * 1.25, '\\xdeadbeef', '2024-01-02 03:04:05+00', '1980-05-06' from generate_series(1, 5000) g`);
  await c.query(`create table secrets (id int, value text)`);
  await c.end();
}, 60_000);

afterAll(() => h?.close());

async function connect(token = 'alice-token', extra: object = {}): Promise<Client> {
  const c = new Client(h.clientConfig(token, extra) as ClientConfig);
  await c.connect();
  return c;
}

async function refusal(token: string): Promise<{ code?: string; message: string }> {
  const c = new Client(h.clientConfig(token) as ClientConfig);
  c.on('error', () => {});
  return c.connect().then(
    () => {
      void c.end();
      throw new Error('connected');
    },
    (e: { code?: string; message: string }) => e,
  );
}

describe('gateway with node-postgres', () => {
  it('runs simple and extended queries, with types equal to a direct connection', async () => {
    const c = await connect();
    const direct = await h.direct();
    try {
      const sql = 'select * from patients where id <= $1 order by id';
      const [viaGateway, viaDirect] = await Promise.all([c.query(sql, [50]), direct.query(sql, [50])]);
      expect(viaGateway.rows).toEqual(viaDirect.rows);
      expect(viaGateway.rows[0]).toMatchObject({ tags: ['a', 'b'], doc: { n: 1 }, balance: '1.25' });
      expect((await c.query('select 1 as one; select 2 as two')) as unknown).toHaveLength(2);
      const named = { name: 'by-id', text: 'select name from patients where id = $1', values: [7] };
      expect((await c.query(named)).rows).toEqual([{ name: 'patient 7' }]);
      expect((await c.query({ ...named, values: [8] })).rows).toEqual([{ name: 'patient 8' }]);
      expect((await c.query('select count(*)::int as n from patients')).rows[0].n).toBe(5000);
    } finally {
      await c.end();
      await direct.end();
    }
  });

  it('pipelines concurrent queries through a pool', async () => {
    const pool = new Pool({ ...(h.clientConfig() as object), max: 4 });
    try {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => pool.query('select $1::int * 2 as v, pg_sleep(0.001)', [i])),
      );
      expect(results.map((r) => r.rows[0].v)).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    } finally {
      await pool.end();
    }
  });

  it('sets application_name upstream to warden:<subject>', async () => {
    const c = await connect();
    try {
      const { rows } = await c.query('select current_setting($1) as app', ['application_name']);
      expect(rows[0].app).toBe('warden:alice');
      expect((await backendsOf(h.admin, h.appRole)).some((b) => b.application_name === 'warden:alice')).toBe(
        true,
      );
    } finally {
      await c.end();
    }
  });

  it('relays LISTEN/NOTIFY and notices', async () => {
    const c = await connect();
    const other = await connect();
    try {
      const note = new Promise((resolve) => c.on('notification', resolve));
      await c.query('listen ward_events');
      await other.query(`select pg_notify('ward_events', 'bed 12')`);
      expect(await note).toMatchObject({ channel: 'ward_events', payload: 'bed 12' });
      const notice = new Promise((resolve) => c.on('notice', resolve));
      await c.query(`do $$ begin raise notice 'hello from upstream'; end $$`);
      expect(await notice).toMatchObject({ message: 'hello from upstream' });
    } finally {
      await c.end();
      await other.end();
    }
  });

  it('denies with 42501 naming the rule; the session stays usable and upstream never sees it', async () => {
    const c = await connect();
    try {
      await expect(c.query('select * from secrets')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('no-secrets'),
      });
      expect((await c.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
      // Extended protocol: the denied Parse fails its group, the next one works.
      await expect(c.query('select * from secrets where id = $1', [1])).rejects.toMatchObject({
        code: '42501',
      });
      expect((await c.query('select $1::int as ok', [2])).rows).toEqual([{ ok: 2 }]);
      // Inside a transaction the refusal aborts it, as a real error would.
      await c.query('begin');
      await expect(c.query('select * from secrets')).rejects.toMatchObject({ code: '42501' });
      await expect(c.query('select 1')).rejects.toMatchObject({ code: '25P02' });
      await c.query('rollback');
      if (h.pg.logFile) {
        const log = readFileSync(h.pg.logFile, 'utf8');
        expect(log).toContain('warden_refused_statement');
        expect(log).not.toMatch(/from secrets/i);
      }
    } finally {
      await c.end();
    }
  });

  it('multi-statement: the most restrictive decision refuses the whole message', async () => {
    const c = await connect();
    try {
      await c.query('create table if not exists marks (v int)');
      await expect(c.query('insert into marks values (1); select * from secrets')).rejects.toMatchObject({
        code: '42501',
      });
      expect((await c.query('select count(*)::int as n from marks')).rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  });

  it('refuses require-approval, syntax errors (42601 with position) and audit outages', async () => {
    const c = await connect();
    try {
      await expect(c.query('delete from patients')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('requires approval'),
      });
      await expect(c.query('select 1; SELEC 2')).rejects.toMatchObject({ code: '42601', position: '11' });
      h.auditDown = true;
      await expect(c.query('select 1')).rejects.toMatchObject({
        code: '58000',
        message: 'audit log unavailable; statement refused',
      });
      h.auditDown = false;
      expect((await c.query('select count(*)::int as n from patients')).rows[0].n).toBe(5000);
    } finally {
      h.auditDown = false;
      await c.end();
    }
  });

  it('audits the attempt before forwarding and the result after', async () => {
    const c = await connect();
    const from = h.audit.length;
    try {
      await c.query('select id from patients where id <= 3');
      await waitFor(async () => h.audit.slice(from).some((e) => e.type === 'query.result'));
      const events = h.audit.slice(from);
      expect(events[0]).toMatchObject({
        type: 'query.attempt',
        connection: 'clinic',
        principal: { subject: 'alice' },
      });
      expect(events[0]!.body).toMatchObject({ message: 'query', decision: { outcome: 'allow' } });
      expect(events.find((e) => e.type === 'query.result')!.body).toMatchObject({
        outcome: 'ok',
        rows: 3,
        tags: ['SELECT 3'],
      });
      const named = { name: 'n1', text: 'select id from patients where id <= $1', values: [2] };
      await c.query(named);
      await c.query({ ...named, values: [4] });
      // Repeated executions of one prepared statement fold into one result, written within 1 s.
      await waitFor(async () => h.audit.some((e) => e.type === 'query.result' && e.body.statement === 'n1'));
      const results = h.audit.filter((e) => e.type === 'query.result' && e.body.statement === 'n1');
      expect(results.map((e) => e.body)).toEqual([
        {
          via: 'execute',
          statement: 'n1',
          fingerprint: expect.any(String),
          outcome: 'ok',
          executions: 2,
          rows: 6,
          bytes: expect.any(Number),
          tags: ['SELECT'],
          durationMs: expect.any(Number),
        },
      ]);
    } finally {
      await c.end();
    }
    await waitFor(async () => h.audit.slice(from).some((e) => e.type === 'session.end'));
  });

  it('refuses a bad token (28P01), an unknown connection (28000), a missing grant (42501)', async () => {
    expect(await refusal('wrong')).toMatchObject({
      code: '28P01',
      message: expect.stringContaining('token is not valid'),
    });
    expect(await refusal('mallory-token')).toMatchObject({
      code: '42501',
      message: expect.stringContaining('no standing grant'),
    });
    const c = new Client({ ...(h.clientConfig() as object), database: 'nope' });
    await expect(c.connect()).rejects.toMatchObject({ code: '28000' });
  });

  it('requires TLS unless plaintext is allowed', async () => {
    const c = new Client({ ...(h.clientConfig() as object), ssl: false });
    await expect(c.connect()).rejects.toMatchObject({
      code: '28000',
      message: expect.stringContaining('encrypted'),
    });
  });

  it('accepts PostgreSQL 17 direct TLS with ALPN', async () => {
    const c = await connect('alice-token', { sslnegotiation: 'direct' });
    try {
      expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('cancels a running query (57014 within a second)', async () => {
    const c = await connect();
    try {
      const started = Date.now();
      const running = c.query('select pg_sleep(30)');
      await new Promise((r) => setTimeout(r, 200));
      const canceller = new Client(h.clientConfig() as ClientConfig) as unknown as {
        cancel(c: Client, q: unknown): void;
      };
      canceller.cancel(c, (c as unknown as { activeQuery: unknown }).activeQuery);
      await expect(running).rejects.toMatchObject({ code: '57014' });
      expect(Date.now() - started).toBeLessThan(1500);
      expect((await c.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('ends the session when the credential expires', async () => {
    const c = await connect('expiring-token');
    const ended = new Promise((resolve) => c.on('error', resolve));
    expect(await ended).toMatchObject({ code: '28000', message: expect.stringContaining('expired') });
  });
});
