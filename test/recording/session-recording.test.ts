/**
 * A real session through the gateway (real PostgreSQL, real node-postgres client) is recorded by a
 * SessionRecorder subscribed to the adapter's events; `warden replay` prints it; a recorder that
 * cannot write never disturbs the session.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client, type ClientConfig } from 'pg';
import { main } from '../../gateway-image/src/cli/main';
import type {
  RecordingLine,
  ResultLine,
  SessionEndLine,
  StatementLine,
} from '../../gateway-image/src/recording/format';
import {
  createSessionRecorder,
  type SessionRecorder,
} from '../../gateway-image/src/recording/session-recorder';
import { type Harness, startHarness } from '../protocols/postgres/harness';
import { waitFor } from '../protocols/postgres/support';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  const c = await h.direct();
  await c.query('create table patients (id int primary key, name text, note text, photo bytea)');
  await c.query(
    `insert into patients select g, 'patient ' || g, case when g = 2 then null else 'n' || g end, '\\x00ff'
     from generate_series(1, 5) g`,
  );
  await c.query('create table secrets (id int)');
  await c.end();
}, 60_000);

afterAll(() => h?.close());

async function session(work: (c: Client) => Promise<void>): Promise<string> {
  const c = new Client(h.clientConfig('alice-token', { application_name: 'recording-test' }) as ClientConfig);
  await c.connect();
  await work(c);
  await c.end();
  await waitFor(async () => h.audit.some((a) => a.type === 'session.end'));
  const start = h.audit.filter((a) => a.type === 'session.start').at(-1)!;
  h.audit.length = 0;
  return start.session;
}

async function readLines(dir: string, id: string): Promise<RecordingLine[]> {
  const file = join(dir, `${id}.jsonl`);
  await waitFor(async () => (await readFile(file, 'utf8').catch(() => '')).includes('"session.end"'));
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RecordingLine);
}

async function cli(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const status = await main(argv, { stdout, stderr, env: {} });
  return { status, stdout: out, stderr: err };
}

const failing = (c: Client, sql: string) =>
  c.query(sql).then(
    () => undefined,
    (e: { code: string }) => e.code,
  );

describe('session recording', () => {
  let dir: string;
  let recorder: SessionRecorder;
  let id: string;
  let lines: RecordingLine[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-rec-'));
    recorder = createSessionRecorder({ dir, maxResultRows: 3, flushIntervalMs: 20 });
    id = await session(async (c) => {
      expect((await c.query('select id, name, note, photo from patients order by id')).rows).toHaveLength(5);
      expect((await c.query('select name from patients where id = $1', [4])).rows).toEqual([
        { name: 'patient 4' },
      ]);
      expect(await failing(c, 'select * from secrets')).toBe('42501');
      expect(await failing(c, 'SELEC 1')).toBe('42601');
      expect(await failing(c, 'select 1/0')).toBe('22012');
      expect((await c.query('select 42 as answer')).rows).toEqual([{ answer: 42 }]);
    });
    lines = await readLines(dir, id);
  });

  afterAll(() => recorder.close());

  it('starts with the principal and connection and ends with the session end', () => {
    expect(lines[0]).toMatchObject({
      type: 'session.start',
      session: id,
      connection: 'clinic',
      principal: { subject: 'alice', kind: 'agent', groups: ['agents'] },
      client: { user: 'alice@example.com', application: 'recording-test' },
      maxResultRows: 3,
    });
    const end = lines.at(-1) as SessionEndLine;
    expect(end).toMatchObject({ type: 'session.end', reason: 'client-terminated', statements: 6 });
    const offsets = lines.slice(1).map((l) => (l as { t: number }).t);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it('records every statement with its decision and rule', () => {
    const statements = lines.filter((l): l is StatementLine => l.type === 'statement');
    expect(statements.map((s) => [s.message, s.decision, s.rule])).toEqual([
      ['query', 'allow', 'default-allow'],
      ['parse', 'allow', 'default-allow'],
      ['query', 'deny', 'no-secrets'],
      ['query', 'syntax-error', undefined],
      ['query', 'allow', 'default-allow'],
      ['query', 'allow', 'default-allow'],
    ]);
    expect(statements[1]).toMatchObject({ text: 'select name from patients where id = $1', statement: '' });
    expect(statements[2]!.reason).toBe('table secrets is off limits');
  });

  it('records row counts, SQLSTATEs and the rows the client received, capped', () => {
    const results = lines.filter((l): l is ResultLine => l.type === 'result');
    expect(results.map((r) => [r.via, r.outcome, r.rows, r.sqlState])).toEqual([
      ['query', 'ok', 5, undefined],
      ['execute', 'ok', 1, undefined],
      ['refusal', 'refused', 0, '42501'],
      ['refusal', 'refused', 0, '42601'],
      ['query', 'error', 0, '22012'],
      ['query', 'ok', 1, undefined],
    ]);
    const first = results[0]!;
    expect(first.truncated).toBe(true);
    expect(first.tags).toEqual(['SELECT 5']);
    expect(first.sets).toEqual([
      {
        columns: ['id', 'name', 'note', 'photo'],
        rows: [
          ['1', 'patient 1', 'n1', '\\x00ff'],
          ['2', 'patient 2', null, '\\x00ff'],
          ['3', 'patient 3', 'n3', '\\x00ff'],
        ],
      },
    ]);
    expect(results[1]!.sets).toEqual([{ columns: ['name'], rows: [['patient 4']] }]);
    expect(results[1]!.truncated).toBe(false);
  });

  it('warden replay prints the session readably', async () => {
    const r = await cli('replay', id.slice(0, 8), '--dir', dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toContain(`Session ${id} (postgres) on connection clinic`);
    expect(out).toContain('principal alice (agent, groups agents)');
    expect(out).toMatch(
      /\+\d+\.\d{3}s {2}query\n\s+select id, name, note, photo from patients order by id\n\s+→ ALLOW by rule default-allow/,
    );
    expect(out).toContain('DENY by rule no-secrets: table secrets is off limits');
    expect(out).toContain('result: ok SELECT 5, 5 rows');
    expect(out).toMatch(/\| id \| name +\| note \| photo +\|/);
    expect(out).toMatch(/\| 2 +\| patient 2 \| NULL \| \\x00ff \|/);
    expect(out).toContain('(3 of 5 rows recorded)');
    expect(out).toContain('result: error, 0 rows, SQLSTATE 22012');
    expect(out).toContain('refused by the gateway, SQLSTATE 42501');
    expect(out).toMatch(/session end: client-terminated, 6 statements/);
  });

  it('warden replay: an unknown session is a clear error, exit 1', async () => {
    const r = await cli('replay', '00000000-dead-beef-0000-000000000000', '--dir', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`no recording of session 00000000-dead-beef-0000-000000000000 in ${dir}`);
    const traversal = await cli('replay', '../etc/passwd', '--dir', dir);
    expect(traversal.status).toBe(1);
    expect((await cli('replay', id)).status).toBe(2);
  });
});

describe('a failing recorder', () => {
  it('is logged and never reaches the session', async () => {
    const base = await mkdtemp(join(tmpdir(), 'warden-rec-bad-'));
    const notADir = join(base, 'file');
    await writeFile(notADir, 'not a directory');
    const logged: string[] = [];
    const recorder = createSessionRecorder({
      dir: notADir,
      log: (e) => logged.push(`${e.message} ${e.session}`),
    });
    try {
      const id = await session(async (c) => {
        expect((await c.query('select count(*)::int as n from patients')).rows).toEqual([{ n: 5 }]);
        expect((await c.query('select name from patients where id = $1', [1])).rows).toHaveLength(1);
      });
      await waitFor(async () => logged.length > 0);
      expect(logged).toEqual([`session recording failed; the session goes on unrecorded ${id}`]);
      expect(await readdir(base)).toEqual(['file']);
    } finally {
      await recorder.close();
    }
  });

  it('keeps counts only with maxResultRows 0, and close() stops a live session recording', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-rec-0-'));
    const recorder = createSessionRecorder({ dir, maxResultRows: 0 });
    const c = new Client(h.clientConfig() as ClientConfig);
    await c.connect();
    await c.query('select * from patients');
    await recorder.close();
    await c.query('select 1');
    await c.end();
    const [name] = await readdir(dir);
    const lines = (await readFile(join(dir, name!), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RecordingLine);
    expect(lines.map((l) => l.type)).toEqual(['session.start', 'statement', 'result', 'recording.stopped']);
    expect(lines[2]).toMatchObject({
      rows: 5,
      truncated: true,
      sets: [{ columns: ['id', 'name', 'note', 'photo'], rows: [] }],
    });
  });

  it('rejects a negative row cap when created', () => {
    expect(() => createSessionRecorder({ dir: tmpdir(), maxResultRows: -1 })).toThrow(RangeError);
  });
});
