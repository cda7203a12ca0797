/**
 * The Postgres half of the red-team suite: an adversarial agent (and a careless human) against
 * `warden dev` exactly as the README describes it, with stock psql. Every case states what the
 * client sees, what the database holds afterwards (read through the superuser URL the gateway
 * hides), and what the audit log says about the attempt.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { type AuditLine, type DevSandbox, type PsqlRun, startDevSandbox } from '../support/dev-sandbox';

let sandbox: DevSandbox;
let patients: Client;
let scratch: Client;

beforeAll(async () => {
  sandbox = await startDevSandbox({ patients: 300 });
  patients = await sandbox.upstream('patients');
  scratch = await sandbox.upstream('scratch');
}, 120_000);

afterAll(async () => {
  await patients?.end();
  await scratch?.end();
  await sandbox?.close();
});

let runs = 0;

interface Attempt {
  readonly run: PsqlRun;
  readonly events: AuditLine[];
  /** The query.attempt events, in order. */
  readonly attempts: AuditLine[];
  /** Everything the client printed. */
  readonly output: string;
}

/** Runs psql as `who` and collects the audit events of its session. */
async function attempt(
  who: 'agent' | 'human',
  commands: readonly string[],
  options: { database?: string; env?: Record<string, string>; file?: string; conninfo?: string } = {},
): Promise<Attempt> {
  const applicationName = `redteam-${++runs}`;
  const run = sandbox.psql({
    token: sandbox.line.tokens[who],
    database: options.database ?? 'patients',
    commands,
    applicationName,
    ...(options.env ? { env: options.env } : {}),
    ...(options.file ? { file: options.file } : {}),
    ...(options.conninfo ? { conninfo: options.conninfo } : {}),
  });
  // The last events of a session (result, end) are appended as it closes: wait for session.end.
  let events: AuditLine[] = [];
  for (let i = 0; i < 50; i++) {
    events = await sandbox.sessionEvents(applicationName);
    if (events.some((e) => e.type === 'session.end' || e.type === 'session.refused')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    run,
    events,
    attempts: events.filter((e) => e.type === 'query.attempt'),
    output: run.stdout + run.stderr,
  };
}

const denied = (a: Attempt, rule: string) =>
  a.attempts.some((e) => e.body.decision?.outcome === 'deny' && e.body.decision.rule === rule);
const lexingRefused = (a: Attempt, setting: string) =>
  a.attempts.some(
    (e) =>
      e.body.outcome === 'not-inspectable' &&
      e.body.reason === 'lexing-setting' &&
      e.body.setting === setting,
  );

async function relationExists(c: Client, name: string): Promise<boolean> {
  const { rows } = await c.query('SELECT to_regclass($1) IS NOT NULL AS present', [name]);
  return rows[0].present as boolean;
}

describe('1. the gateway reads SQL exactly as the server does', () => {
  const hidden = "select 'a\\' , ' ; create table redteam_hidden(a int); -- '";

  it.each([
    ['SET', 'set standard_conforming_strings = off'],
    ['SET TO 0', 'set standard_conforming_strings to 0'],
    ['SET SESSION … false', 'set session standard_conforming_strings = false'],
    ['quoted mixed-case name', 'set "Standard_Conforming_Strings" = \'of\''],
    ['set_config', "select set_config('standard_conforming_strings', 'off', false)"],
    [
      'set_config with a computed name',
      "select set_config(lower('STANDARD_CONFORMING_STRINGS'), 'off', false)",
    ],
    [
      'pg_settings update',
      "update pg_settings set setting = 'off' where name = 'standard_conforming_strings'",
    ],
    ['a prepared set_config', "prepare p as select set_config('standard_conforming_strings', 'off', false)"],
  ])('the finding, via %s: refused, and the hidden CREATE never runs', async (_, change) => {
    const a = await attempt('agent', [change, hidden]);
    expect(a.output).toContain('55P02');
    expect(a.output).toMatch(/cannot be changed through Warden|computes/);
    // With the setting unchanged, gateway and server both read one SELECT of two literals.
    expect(a.run.stdout).toContain('create table redteam_hidden');
    expect(await relationExists(patients, 'redteam_hidden')).toBe(false);
    expect(a.attempts[0]!.body).toMatchObject({ outcome: 'not-inspectable', reason: 'lexing-setting' });
    expect(a.attempts[1]!.body.facts.statements.map((s: { kind: string }) => s.kind)).toEqual(['select']);
  });

  it('SET LOCAL inside a transaction is refused too, and the transaction stays consistent', async () => {
    const a = await attempt('human', [
      'begin',
      'set local standard_conforming_strings = off',
      hidden,
      'commit',
    ]);
    expect(a.output).toContain('55P02');
    expect(await relationExists(patients, 'redteam_hidden')).toBe(false);
    expect(lexingRefused(a, 'standard_conforming_strings')).toBe(true);
  });

  it.each([
    ['standard_conforming_strings off in PGOPTIONS', { PGOPTIONS: '-c standard_conforming_strings=off' }],
    ['--standard-conforming-strings=off in PGOPTIONS', { PGOPTIONS: '--standard-conforming-strings=off' }],
    ['client_encoding SJIS at startup', { PGCLIENTENCODING: 'SJIS' }],
    ['client_encoding BIG5 at startup', { PGCLIENTENCODING: 'BIG5' }],
    ['backslash_quote at startup', { PGOPTIONS: '-c backslash_quote=on' }],
  ])('%s: FATAL at login, nothing relayed', async (_, env) => {
    const a = await attempt('agent', ['select 1'], { env });
    expect(a.run.status).not.toBe(0);
    expect(a.output).toContain('FATAL:  Warden refused a startup parameter');
    expect(a.events.map((e) => e.type)).toEqual(['session.refused']);
    expect(a.events[0]!.body).toMatchObject({ reason: 'startup-parameter' });
  });

  it.each([
    ["SET NAMES 'SJIS'", 'client_encoding'],
    ["set client_encoding = 'GBK'", 'client_encoding'],
    ["set backslash_quote = 'on'", 'backslash_quote'],
  ])('%s mid-session: refused', async (change, setting) => {
    const a = await attempt('agent', [change, 'show client_encoding']);
    expect(a.output).toContain('55P02');
    expect(a.run.stdout).toMatch(/UTF8|SQL_ASCII/);
    expect(lexingRefused(a, setting)).toBe(true);
  });

  it.each([
    ['ALTER ROLE', 'alter role current_user set standard_conforming_strings = off'],
    ['ALTER DATABASE', 'alter database patients set standard_conforming_strings = off'],
    [
      'a function SET clause',
      "create function redteam_f() returns int language sql set standard_conforming_strings = off as 'select 1'",
    ],
  ])('a human changing it for later sessions (%s): refused', async (_, change) => {
    const a = await attempt('human', [change]);
    expect(a.output).toContain('55P02');
    const { rows } = await patients.query(
      "SELECT count(*)::int AS n FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%standard_conforming%'",
    );
    expect(rows[0].n).toBe(0);
    expect(lexingRefused(a, 'standard_conforming_strings')).toBe(true);
  });

  it('E-strings, dollar quotes and nested comments mean the same to both readers', async () => {
    const a = await attempt('agent', [
      "select E'a\\' , '' ; create table redteam_e(a int); -- '",
      'select $q$ ; create table redteam_dollar(a int); $q$',
      'select 1 /* /* */ ; create table redteam_nested(a int); -- */',
      "select U&'\\0027' , ' ; create table redteam_u(a int); -- '",
    ]);
    for (const t of ['redteam_e', 'redteam_dollar', 'redteam_nested', 'redteam_u']) {
      expect(await relationExists(patients, t)).toBe(false);
    }
    expect(a.attempts).toHaveLength(4);
    for (const e of a.attempts) {
      expect(e.body.facts.statements.every((s: { kind: string }) => s.kind === 'select')).toBe(true);
    }
  });

  it('text that is not valid UTF-8 is refused with 22021, never guessed at', async () => {
    const file = join(sandbox.stateDir, 'latin1.sql');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from("select 'caf"), Buffer.from([0xe9]), Buffer.from("';\n")]),
    );
    const a = await attempt('agent', [], { file });
    expect(a.output).toContain('22021');
    expect(a.attempts[0]!.body).toMatchObject({ outcome: 'not-inspectable', reason: 'invalid-utf8' });
  });

  it('a role or database the server lexes differently is refused at login (upstream ParameterStatus)', async () => {
    await patients.query('ALTER ROLE warden_patients SET standard_conforming_strings = off');
    try {
      const a = await attempt('human', ['select 1']);
      expect(a.run.status).not.toBe(0);
      expect(a.output).toContain(
        'FATAL:  Warden ended the session: the database reports standard_conforming_strings = off',
      );
      expect(a.events.find((e) => e.type === 'session.end')?.body).toMatchObject({
        reason: 'upstream-lexing-setting',
        setting: 'standard_conforming_strings',
      });
    } finally {
      await patients.query('ALTER ROLE warden_patients RESET standard_conforming_strings');
    }
  });

  it('a function that flips it mid-session ends the session before the next statement (inspection.mismatch)', async () => {
    await patients.query(`CREATE FUNCTION public.redteam_flip() RETURNS void LANGUAGE plpgsql AS
      $$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $$;
      GRANT EXECUTE ON FUNCTION public.redteam_flip() TO warden_patients`);
    try {
      const a = await attempt('human', ['select public.redteam_flip()', hidden]);
      expect(a.output).toContain('Warden ended the session');
      expect(await relationExists(patients, 'redteam_hidden')).toBe(false);
      const mismatch = a.events.find((e) => e.type === 'inspection.mismatch');
      expect(mismatch?.body).toEqual({
        kind: 'setting',
        setting: 'standard_conforming_strings',
        value: 'off',
      });
      expect(a.events.find((e) => e.type === 'session.end')?.body.reason).toBe('inspection-mismatch');
    } finally {
      await patients.query('DROP FUNCTION public.redteam_flip()');
    }
  });
});

describe('2. PHI copied into server state', () => {
  const ssns = "(select string_agg(ssn, ',') from (select ssn from patients limit 5) s)";

  it('the application_name channel: refused, and nothing reaches pg_stat_activity', async () => {
    const a = await attempt('agent', [
      `select set_config('application_name', ${ssns}, false)`,
      'select pg_sleep(0.2)',
    ]);
    expect(a.output).toContain('deny-agent-copies-phi');
    expect(denied(a, 'deny-agent-copies-phi')).toBe(true);
    const { rows } = await scratch.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name ~ '[0-9]{3}-[0-9]{2}-[0-9]{4}'",
    );
    expect(rows[0].n).toBe(0);
  });

  it.each([
    ['a large object', `select lo_from_bytea(0, convert_to(${ssns}, 'UTF8'))`],
    ['a large object written in place', `select lo_put(lo_create(0), 0, convert_to(${ssns}, 'UTF8'))`],
    ['a notification payload', `select pg_notify('redteam', ${ssns})`],
    [
      'a sequence value',
      "select setval('patients_id_seq', (select max(left(replace(ssn, '-', ''), 9)::bigint) from patients))",
    ],
    ['an advisory lock key', 'select pg_advisory_lock(hashtext(ssn)) from patients limit 1'],
    ['a lateral notify', "select 1 from patients p, lateral (select pg_notify('c', p.ssn)) x limit 1"],
    ['a WAL message', "select pg_logical_emit_message(false, 'x', (select ssn from patients limit 1))"],
    ['a temp table', 'create temp table redteam_tmp as select ssn from patients'],
    ['a temp table via SELECT INTO', 'select ssn into temp redteam_tmp2 from patients'],
    ['a temp view', 'create temp view redteam_v as select * from patients'],
  ])('%s: refused', async (_, sql) => {
    const before = await patients.query('SELECT count(*)::int AS n FROM pg_largeobject_metadata');
    const seq = await patients.query('SELECT last_value FROM patients_id_seq');
    const a = await attempt('agent', [sql]);
    expect(a.output).toContain('42501');
    expect(a.attempts[0]!.body.decision.outcome).toBe('deny');
    expect(['deny-agent-copies-phi', 'deny-agent-ddl']).toContain(a.attempts[0]!.body.decision.rule);
    expect((await patients.query('SELECT count(*)::int AS n FROM pg_largeobject_metadata')).rows[0].n).toBe(
      before.rows[0].n,
    );
    expect((await patients.query('SELECT last_value FROM patients_id_seq')).rows[0]).toEqual(seq.rows[0]);
    const locks = await patients.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
    expect(locks.rows[0].n).toBe(0);
  });

  it('a human is held to the same lineage: the copy is named in the facts', async () => {
    const a = await attempt('human', [`select pg_notify('redteam', ${ssns})`]);
    // People may notify; the facts still say PHI flowed into the call (clause sink).
    const columns = a.attempts[0]!.body.facts.statements[0].columns as { column: string; clause: string }[];
    expect(columns).toContainEqual(expect.objectContaining({ column: 'ssn', clause: 'sink' }));
  });
});

describe('3. dangerous utilities and role changes', () => {
  it.each([
    ['LOAD', "load '/tmp/redteam.so'", 'deny-agent-server-utilities'],
    ['CHECKPOINT', 'checkpoint', 'deny-agent-server-utilities'],
    ['VACUUM FULL', 'vacuum full patients', 'deny-agent-server-utilities'],
    ['REINDEX', 'reindex table patients', 'deny-agent-server-utilities'],
    ['SET ROLE', 'set role postgres', 'deny-role-change'],
    ['SET SESSION AUTHORIZATION', 'set session authorization postgres', 'deny-role-change'],
    ['set_config role', "select set_config('role', 'postgres', false)", 'deny-role-change'],
    ['session_replication_role', 'set session_replication_role = replica', 'deny-agent-server-settings'],
    ['pg_reload_conf', 'select pg_reload_conf()', 'deny-agent-unvetted-functions'],
    [
      'pg_terminate_backend',
      'select pg_terminate_backend(pid) from pg_stat_activity',
      'deny-agent-unvetted-functions',
    ],
    ['pg_cancel_backend', 'select pg_cancel_backend(1)', 'deny-agent-unvetted-functions'],
    ['setval on a PHI sequence', "select setval('patients_id_seq', 1)", 'deny-agent-unvetted-functions'],
    ['nextval', "select nextval('patients_id_seq')", 'deny-agent-unvetted-functions'],
    [
      'query_to_xml',
      "select query_to_xml('select ssn from patients', true, false, '')",
      'deny-agent-unvetted-functions',
    ],
    ['table_to_xml', "select table_to_xml('patients', true, false, '')", 'deny-agent-unvetted-functions'],
    [
      'ts_stat',
      "select * from ts_stat('select to_tsvector(last_name) from patients')",
      'deny-agent-unvetted-functions',
    ],
    ['pg_read_file', "select pg_read_file('/etc/passwd')", 'deny-dangerous-functions'],
    ['ALTER SYSTEM', "alter system set work_mem = '1GB'", 'deny-agent-ddl'],
    ['DO', 'do $$ begin perform pg_reload_conf(); end $$', 'deny-agent-opaque'],
  ])('%s: refused to the agent', async (_, sql, rule) => {
    const seq = await patients.query('SELECT last_value, is_called FROM patients_id_seq');
    const a = await attempt('agent', [sql]);
    expect(a.output).toContain(`"${rule}"`);
    expect(denied(a, rule)).toBe(true);
    expect((await patients.query('SELECT last_value, is_called FROM patients_id_seq')).rows[0]).toEqual(
      seq.rows[0],
    );
    expect((await patients.query('SELECT current_setting($1) AS v', ['work_mem'])).rows[0].v).toBe('4MB');
  });

  it.each([
    ['role', { PGOPTIONS: '-c role=postgres' }, 'deny-role-change'],
    ['session_authorization', { PGOPTIONS: '-c session_authorization=postgres' }, 'deny-role-change'],
    [
      'session_replication_role',
      { PGOPTIONS: '--session-replication-role=replica' },
      'deny-agent-server-settings',
    ],
    [
      'session_preload_libraries',
      { PGOPTIONS: '-c session_preload_libraries=redteam' },
      'deny-agent-server-settings',
    ],
  ])('%s as a startup parameter: FATAL at login naming the rule', async (name, env, rule) => {
    const a = await attempt('agent', ['select current_user'], { env });
    expect(a.run.status).not.toBe(0);
    expect(a.output).toContain(`startup parameter "${name}" refused by Warden policy rule "${rule}"`);
    expect(a.events.map((e) => e.type)).toEqual(['session.refused']);
    expect(a.events[0]!.body).toMatchObject({ reason: 'startup-parameter', parameter: name, rule });
  });

  it('startup switches other than -c are refused; replication connections too', async () => {
    const a = await attempt('agent', ['select 1'], { env: { PGOPTIONS: '-F' } });
    expect(a.output).toContain('is not relayed by Warden; use -c name=value');
    const r = await attempt('agent', ['select 1'], { conninfo: 'replication=database' });
    expect(r.output).toContain('replication connections are not relayed by Warden');
  });

  it('the sandbox brokers a least-privilege role: even a human cannot reach server files', async () => {
    const a = await attempt('human', [
      'select current_user',
      "select pg_ls_dir('.')",
      "select 'super:' || rolsuper::text from pg_roles where rolname = current_user",
    ]);
    expect(a.run.stdout).toContain('warden_patients');
    expect(a.output).toContain('deny-dangerous-functions');
    expect(a.run.stdout).toContain('super:false');
  });

  it('the fast-path function call message is refused', async () => {
    // psql's \lo_import writes through the fast-path protocol (FunctionCall: lo_creat, lo_open, lowrite).
    const file = join(sandbox.stateDir, 'lo.txt');
    writeFileSync(file, 'x');
    const a = await attempt('agent', [`\\lo_import '${file}'`], { database: 'scratch' });
    expect(a.output).toContain('fast-path function call protocol is not allowed');
    expect((await scratch.query('SELECT count(*)::int AS n FROM pg_largeobject_metadata')).rows[0].n).toBe(0);
  });
});

describe('startup settings drivers rely on still work', () => {
  it('statement_timeout, search_path and the application name reach the upstream', async () => {
    const a = await attempt(
      'agent',
      [
        'show statement_timeout',
        'show search_path',
        'select application_name from pg_stat_activity where pid = pg_backend_pid()',
      ],
      {
        env: { PGOPTIONS: '-c statement_timeout=1234 -c search_path=public' },
      },
    );
    expect(a.run.stdout).toContain('1234ms');
    expect(a.run.stdout).toMatch(/^ public$/m);
    expect(a.events.find((e) => e.type === 'session.start')?.body.settings).toEqual([
      'search_path',
      'statement_timeout',
    ]);
    const { rows } = await scratch.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'redteam-% (warden:sandbox-agent)'",
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(0);
  });
});
