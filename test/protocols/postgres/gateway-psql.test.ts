/** The gateway with psql, raw sockets and failure cases, in front of a real PostgreSQL. */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { serialize } from 'pg-protocol';
import { type Harness, startHarness, toyInspect } from './harness';
import { backendsOf, waitFor } from './support';

let h: Harness;
let work: string;

beforeAll(async () => {
  h = await startHarness();
  work = mkdtempSync(join(tmpdir(), 'warden-psql-'));
  const c = await h.direct();
  await c.query('create table patients (id int primary key, name text)');
  await c.query(`insert into patients select g, 'patient ' || g from generate_series(1, 200000) g`);
  await c.end();
}, 60_000);

afterAll(() => h?.close());

function conninfo(): string {
  return `host=127.0.0.1 port=${h.port} dbname=clinic user=alice sslmode=verify-full sslrootcert=${h.certs.caFile}`;
}

function psql(
  args: string[],
  token = 'alice-token',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/psql',
      [conninfo(), '-X', '-v', 'ON_ERROR_STOP=0', ...args],
      { env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' }, timeout: 20_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function connect(): Promise<Client> {
  const c = new Client(h.clientConfig() as ClientConfig);
  await c.connect();
  return c;
}

describe('gateway with psql', () => {
  it('runs \\dt, \\d, multi-statement commands and transactions', async () => {
    const r = await psql([
      '-c',
      '\\dt',
      '-c',
      '\\d patients',
      '-c',
      'begin; insert into patients values (0, $$zero$$); commit',
      '-c',
      'select name from patients where id = 0',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('patients');
    expect(r.stdout).toMatch(/id\s+\| integer/);
    expect(r.stdout).toContain('zero');
  });

  it('keeps the session after errors, and reports denials and syntax errors', async () => {
    const script = ['select 1/0;', 'SELEC 1;', 'select * from secrets;', 'select 42 as answer;'].join('\n');
    writeFileSync(join(work, 'errors.sql'), script);
    const r = await psql(['-f', join(work, 'errors.sql')]);
    expect(r.stderr).toContain('division by zero');
    expect(r.stderr).toContain('syntax error at or near "SELEC"');
    expect(r.stderr).toContain('denied by Warden policy rule "no-secrets"');
    expect(r.stdout).toContain('42');
  });

  it('refuses a bad token with 28P01', async () => {
    const r = await psql(['-c', 'select 1'], 'nope');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Warden could not verify your token');
  });

  it('copies in and out with \\copy', async () => {
    const csv = Array.from({ length: 1000 }, (_, i) => `${i},row ${i}`).join('\n');
    writeFileSync(join(work, 'in.csv'), `${csv}\n`);
    const r = await psql([
      '-c',
      'create table imported (id int, label text)',
      '-c',
      `\\copy imported from '${join(work, 'in.csv')}' csv`,
      '-c',
      `\\copy (select * from imported order by id) to '${join(work, 'out.csv')}' csv`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('COPY 1000');
    expect(readFileSync(join(work, 'out.csv'), 'utf8')).toBe(`${csv}\n`);
  });

  it('cancels with SIGINT from psql', async () => {
    const child = spawn('/usr/bin/psql', [conninfo(), '-X', '-c', 'select pg_sleep(30)'], {
      env: { ...process.env, PGPASSWORD: 'alice-token' },
    });
    let stderr = '';
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    await waitFor(async () => (await backendsOf(h.admin, h.appRole)).some((b) => b.state === 'active'));
    const started = Date.now();
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(stderr).toContain('canceling statement due to user request');
  });
});

describe('gateway lifecycle', () => {
  it('closes the upstream when the client disconnects mid-result', async () => {
    const c = await connect();
    c.on('error', () => {});
    const pid = (await c.query('select pg_backend_pid() as pid')).rows[0].pid;
    const stream = c.query('select a.*, b.id from patients a cross join generate_series(1, 100) b');
    stream.catch(() => {});
    await new Promise((r) => setTimeout(r, 150));
    (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await waitFor(async () => !(await backendsOf(h.admin, h.appRole)).some((b) => b.pid === pid), 3000);
  });

  it('gives the client a clear error when the upstream backend is killed', async () => {
    const c = await connect();
    const errored = new Promise<{ code?: string; message: string }>((resolve) => c.on('error', resolve));
    const pid = (await c.query('select pg_backend_pid() as pid')).rows[0].pid;
    const running = c.query('select pg_sleep(10)').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    await h.admin.query('select pg_terminate_backend($1)', [pid]);
    expect(await running).toMatchObject({ code: '57P01' });
    await errored;
  });

  it('picks up a rotated upstream password without restarting', async () => {
    await h.admin.query(`alter role ${h.appRole} password 'app-pw-2'`);
    h.secrets.set('env:WARDEN_TEST_APP_PW', 'app-pw-2');
    const c = await connect();
    expect((await c.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await c.end();
  });

  it('never shows internal error text (or PHI in it) to the client', async () => {
    const leaky = await startHarness({
      hooks: {
        inspect: (sql) => {
          // Startup settings (node-postgres sends client_encoding) pass; statements crash.
          if (sql.startsWith('SET "client_encoding"')) return toyInspect(sql);
          throw new Error('parser crashed on SSN 123-45-6789');
        },
      },
    });
    try {
      // A startup setting the inspector crashes on refuses the login, with a fixed text.
      const refused = new Client(leaky.clientConfig(undefined, { statement_timeout: 1000 }) as ClientConfig);
      const login = (await refused.connect().catch((e: unknown) => e)) as { message: string; code: string };
      expect(login).toMatchObject({ code: '55P02' });
      expect(login.message).toContain('"statement_timeout" could not be inspected');
      expect(JSON.stringify(login)).not.toContain('123-45-6789');
      const c = new Client(leaky.clientConfig() as ClientConfig);
      await c.connect();
      const err = (await c.query('select 1').catch((e: unknown) => e)) as { message: string; code: string };
      expect(err.code).toBe('42501');
      expect(JSON.stringify(err)).not.toContain('123-45-6789');
      expect(leaky.logs.some((l) => String(l.err).includes('123-45-6789'))).toBe(true);
      await c.end();
    } finally {
      await leaky.close();
    }
  }, 60_000);

  it('answers a malformed message with FATAL 08P01 and refuses bytes smuggled after SSLRequest', async () => {
    const reply = (bytes: Buffer) =>
      new Promise<string>((resolve) => {
        const s = tcpConnect(h.port, '127.0.0.1', () => s.write(bytes));
        let got = '';
        s.on('data', (b) => {
          got += b.toString('latin1');
        });
        s.on('close', () => resolve(got));
        s.on('error', () => {});
      });
    expect(await reply(Buffer.from([0, 0, 0, 3, 0, 0, 0, 0]))).toContain('08P01');
    const smuggled = Buffer.concat([
      serialize.requestSsl(),
      serialize.startup({ user: 'x', database: 'clinic' }),
    ]);
    expect(await reply(smuggled)).toContain('08P01');
    const gss = Buffer.from([0, 0, 0, 8, 4, 210, 22, 48]);
    const s = tcpConnect(h.port, '127.0.0.1', () => s.write(gss));
    const first = await new Promise<Buffer>((resolve) => s.once('data', resolve));
    expect(first.toString()).toBe('N');
    s.destroy();
  });
});
