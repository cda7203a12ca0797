import type { SqlStatementFacts } from '../../gateway-image/src/inspect/facts';
import {
  inspectSql,
  loadSqlParser,
  SqlSyntaxError,
  splitSqlStatements,
} from '../../gateway-image/src/inspect/sql';

const PATH = { searchPath: ['"$user"', 'public'] };

function one(text: string): SqlStatementFacts {
  const facts = inspectSql(text, PATH);
  expect(facts.statements).toHaveLength(1);
  return facts.statements[0]!;
}

beforeAll(() => loadSqlParser());

describe('inspectSql: relations and columns', () => {
  it('resolves aliases in a join, whole-row references and casts', () => {
    const s = one(
      'SELECT p.ssn::bytea, row_to_json(p) FROM public.patients p JOIN encounters e ON e.patient_id = p.id',
    );
    expect(s).toMatchObject({
      kind: 'select',
      node: 'SelectStmt',
      writes: [],
      returnsRows: true,
      opaque: false,
    });
    expect(s.reads).toEqual(['public.patients', 'public.encounters']);
    expect(s.functions).toEqual(['row_to_json']);
    expect(s.columns).toEqual([
      { relation: 'public.encounters', column: 'patient_id', clause: 'join' },
      { relation: 'public.patients', column: 'id', clause: 'join' },
      { relation: 'public.patients', column: 'ssn', clause: 'select' },
      { relation: 'public.patients', column: '*', clause: 'select' },
    ]);
  });

  it('expands * over every FROM item and leaves ambiguous unqualified columns unresolved', () => {
    const s = one("SELECT * FROM patients p JOIN encounters e ON e.patient_id = p.id WHERE name = 'x'");
    expect(s.columns).toContainEqual({ relation: 'public.patients', column: '*', clause: 'select' });
    expect(s.columns).toContainEqual({ relation: 'public.encounters', column: '*', clause: 'select' });
    expect(s.columns).toContainEqual({ column: 'name', clause: 'where' });
  });

  it('resolves an unqualified column to the single FROM relation, with every clause', () => {
    const s = one(
      'SELECT dob, count(*) FROM patients WHERE ssn = $1 GROUP BY dob HAVING count(*) > 1 ORDER BY last_name',
    );
    expect(s.columns).toEqual([
      { relation: 'public.patients', column: 'dob', clause: 'select' },
      { relation: 'public.patients', column: 'ssn', clause: 'where' },
      { relation: 'public.patients', column: 'dob', clause: 'group' },
      { relation: 'public.patients', column: 'last_name', clause: 'order' },
    ]);
    expect(s.functions).toEqual(['count']);
  });

  it('keeps quoted identifiers and written schemas as written', () => {
    const s = one('SELECT "Name" FROM "Clinic"."Patients"');
    expect(s.reads).toEqual(['Clinic.Patients']);
    expect(s.columns).toEqual([{ relation: 'Clinic.Patients', column: 'Name', clause: 'select' }]);
  });

  it('follows columns through subqueries in FROM, WHERE and the select list', () => {
    const s = one(
      'SELECT x.ssn, (SELECT max(e.seen_at) FROM encounters e WHERE e.pid = x.id) FROM (SELECT ssn, id FROM patients) x ' +
        'WHERE x.id IN (SELECT pid FROM notes n WHERE n.body LIKE $1) ORDER BY x.ssn',
    );
    expect(s.reads).toEqual(['public.patients', 'public.encounters', 'public.notes']);
    expect(s.columns).toEqual(
      expect.arrayContaining([
        { relation: 'public.patients', column: 'ssn', clause: 'select' },
        { relation: 'public.encounters', column: 'seen_at', clause: 'select' },
        { relation: 'public.patients', column: 'id', clause: 'where' },
        // The IN subquery's output is part of the predicate.
        { relation: 'public.notes', column: 'pid', clause: 'where' },
        { relation: 'public.notes', column: 'body', clause: 'where' },
        { relation: 'public.patients', column: 'ssn', clause: 'order' },
      ]),
    );
  });

  it('handles UNION, LATERAL and window functions', () => {
    expect(one('SELECT a FROM t UNION SELECT b FROM u').columns).toEqual([
      { relation: 'public.t', column: 'a', clause: 'select' },
      { relation: 'public.u', column: 'b', clause: 'select' },
    ]);
    const lateral = one(
      'SELECT * FROM patients p, LATERAL (SELECT * FROM encounters e WHERE e.pid = p.id) le',
    );
    expect(lateral.reads).toEqual(['public.patients', 'public.encounters']);
    expect(lateral.columns).toContainEqual({ relation: 'public.patients', column: 'id', clause: 'where' });
    const w = one(
      'SELECT rank() OVER (PARTITION BY p.dob ORDER BY p.name), sum(x) OVER w FROM patients p WINDOW w AS (PARTITION BY zip)',
    );
    expect(w.functions).toEqual(['rank', 'sum']);
    expect(w.columns.filter((c) => c.clause === 'window').map((c) => c.column)).toEqual([
      'dob',
      'name',
      'zip',
    ]);
  });

  it('does not read CTE names as tables and follows CTE columns (WITH … INSERT)', () => {
    const s = one('WITH s AS (SELECT * FROM patients WHERE dob > now()) INSERT INTO x SELECT s.ssn FROM s');
    expect(s).toMatchObject({ kind: 'insert', reads: ['public.patients'], writes: ['public.x'] });
    expect(s.columns).toContainEqual({ relation: 'public.patients', column: 'ssn', clause: 'select' });
    expect(s.functions).toEqual(['now']);
  });

  it('resolves unqualified names through search_path; pg_ names and catalog schemas stay catalog', () => {
    expect(
      inspectSql('SELECT 1 FROM t', { searchPath: ['pg_catalog', 'clinic', 'public'] }).statements[0]!.reads,
    ).toEqual(['clinic.t']);
    const psql = one(
      "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p') AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1",
    );
    expect(psql).toMatchObject({
      kind: 'select',
      writes: [],
      reads: ['pg_catalog.pg_class', 'pg_catalog.pg_namespace'],
    });
    expect(psql.functions).toEqual(['pg_catalog.pg_table_is_visible']);
    expect(one('SELECT * FROM information_schema.columns').reads).toEqual(['information_schema.columns']);
  });

  it('reports SET search_path and applies it to later statements of the same command', () => {
    const facts = inspectSql('SET search_path = clinic, public; SELECT * FROM patients', PATH);
    expect(facts.statements[0]).toMatchObject({
      kind: 'set',
      setting: { name: 'search_path', local: false, value: ['clinic', 'public'] },
    });
    expect(facts.statements[1]!.reads).toEqual(['clinic.patients']);
    expect(one('RESET search_path').setting).toEqual({ name: 'search_path', local: false });
    // Other settings never keep their (literal) value.
    expect(one("SET LOCAL application_name = 'x'").setting).toEqual({
      name: 'application_name',
      local: true,
    });
  });
});

describe('inspectSql: writes and statement kinds', () => {
  it('UPDATE and DELETE: target written, WHERE presence, SET columns', () => {
    const u = one('UPDATE t SET a = 1 WHERE id = 2');
    expect(u).toMatchObject({
      kind: 'update',
      reads: [],
      writes: ['public.t'],
      hasWhere: true,
      returnsRows: false,
    });
    expect(u.columns).toEqual([
      { relation: 'public.t', column: 'a', clause: 'set' },
      { relation: 'public.t', column: 'id', clause: 'where' },
    ]);
    expect(one('DELETE FROM t')).toMatchObject({ kind: 'delete', writes: ['public.t'], hasWhere: false });
    expect(one('DELETE FROM t WHERE id = 1 RETURNING ssn')).toMatchObject({
      hasWhere: true,
      returnsRows: true,
    });
    expect(one('TRUNCATE a, s.b')).toMatchObject({
      kind: 'delete',
      writes: ['public.a', 's.b'],
      hasWhere: false,
    });
    // A DELETE hidden in a CTE still counts.
    expect(one('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d')).toMatchObject({
      kind: 'select',
      writes: ['public.t'],
      hasWhere: false,
    });
  });

  it('INSERT … SELECT, CREATE TABLE AS and SELECT INTO read the source and write the target', () => {
    expect(one('INSERT INTO x SELECT * FROM patients')).toMatchObject({
      kind: 'insert',
      reads: ['public.patients'],
      writes: ['public.x'],
      columns: [{ relation: 'public.patients', column: '*', clause: 'select' }],
    });
    expect(one('CREATE TABLE x AS SELECT ssn FROM patients')).toMatchObject({
      kind: 'ddl',
      node: 'CreateTableAsStmt',
      reads: ['public.patients'],
      writes: ['public.x'],
      columns: [{ relation: 'public.patients', column: 'ssn', clause: 'select' }],
    });
    expect(one('SELECT ssn INTO newtable FROM patients')).toMatchObject({
      kind: 'ddl',
      node: 'SelectStmt',
      reads: ['public.patients'],
      writes: ['public.newtable'],
      returnsRows: false,
    });
  });

  it('DDL targets are writes', () => {
    expect(one('CREATE TABLE t (a int REFERENCES u(id))')).toMatchObject({
      kind: 'ddl',
      writes: ['public.t'],
      reads: ['public.u'],
    });
    expect(one('ALTER TABLE public.patients ADD COLUMN x int')).toMatchObject({
      kind: 'ddl',
      writes: ['public.patients'],
    });
    expect(one('DROP TABLE a, s.b')).toMatchObject({ kind: 'ddl', writes: ['public.a', 's.b'] });
    expect(one('CREATE INDEX i ON patients (ssn)')).toMatchObject({
      kind: 'ddl',
      writes: ['public.patients'],
    });
    expect(one('GRANT SELECT ON patients TO bob')).toMatchObject({
      kind: 'grant',
      writes: ['public.patients'],
    });
  });

  it('COPY: direction, target and relation', () => {
    expect(one('COPY (SELECT ssn FROM patients) TO STDOUT')).toMatchObject({
      kind: 'copy',
      reads: ['public.patients'],
      copy: { direction: 'to', target: 'stdout' },
      returnsRows: true,
      columns: [{ relation: 'public.patients', column: 'ssn', clause: 'select' }],
    });
    expect(one("COPY patients TO PROGRAM 'curl x'")).toMatchObject({
      reads: ['public.patients'],
      copy: { direction: 'to', target: 'program' },
      columns: [{ relation: 'public.patients', column: '*', clause: 'select' }],
    });
    expect(one("COPY t (a, b) FROM '/tmp/x'")).toMatchObject({
      writes: ['public.t'],
      copy: { direction: 'from', target: 'file' },
    });
    expect(one('COPY t FROM STDIN')).toMatchObject({
      writes: ['public.t'],
      copy: { direction: 'from', target: 'stdin' },
    });
  });

  it('dangerous functions are reported by name', () => {
    expect(one("SELECT pg_read_file('/etc/passwd')").functions).toEqual(['pg_read_file']);
    expect(one("SELECT dblink_exec('host=x', 'DROP TABLE t')").functions).toEqual(['dblink_exec']);
    expect(one("SELECT lo_export(42, '/tmp/x')").functions).toEqual(['lo_export']);
    expect(one("SELECT PG_CATALOG.PG_READ_FILE('/x')").functions).toEqual(['pg_catalog.pg_read_file']);
  });

  it('DO, CALL and EXECUTE are opaque; PREPARE reports its query', () => {
    expect(one("DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$")).toMatchObject({ kind: 'do', opaque: true });
    expect(one('CALL p()')).toMatchObject({ kind: 'call', opaque: true, functions: ['p'] });
    expect(one('EXECUTE s(1)')).toMatchObject({ kind: 'execute', opaque: true });
    expect(one('PREPARE s AS DELETE FROM patients')).toMatchObject({
      kind: 'prepare',
      opaque: false,
      writes: ['public.patients'],
      hasWhere: false,
    });
  });

  it('EXPLAIN ANALYZE of a write is that write; plain EXPLAIN only reads', () => {
    expect(one('EXPLAIN ANALYZE DELETE FROM patients')).toMatchObject({
      kind: 'delete',
      node: 'ExplainStmt',
      writes: ['public.patients'],
      hasWhere: false,
    });
    expect(one('EXPLAIN (ANALYZE false) DELETE FROM patients')).toMatchObject({
      kind: 'explain',
      writes: [],
    });
    expect(one('EXPLAIN SELECT * FROM patients')).toMatchObject({
      kind: 'explain',
      reads: ['public.patients'],
    });
  });

  it('maps utility statements to kinds', () => {
    const kinds = inspectSql('BEGIN; SHOW search_path; LISTEN c; NOTIFY c; VACUUM t; COMMIT').statements.map(
      (s) => s.kind,
    );
    expect(kinds).toEqual(['transaction', 'show', 'listen', 'notify', 'utility', 'transaction']);
  });
});

describe('inspectSql: text handling', () => {
  it('throws SqlSyntaxError with the 1-based position', () => {
    let err: unknown;
    try {
      inspectSql("SELECT 'é' FROMM x");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SqlSyntaxError);
    expect(err).toMatchObject({
      code: 'ERR_SQL_SYNTAX',
      position: 18,
      message: 'syntax error at or near "x"',
    });
    expect(() => inspectSql('SELEC 1')).toThrow(expect.objectContaining({ position: 1 }));
  });

  it('normalizes literals away, in utility statements and comments too', () => {
    const texts = [
      "SELECT * FROM patients WHERE ssn = '123-45-6789'",
      "COPY (SELECT 1) TO '/tmp/123-45-6789'",
      "PREPARE s AS SELECT * FROM patients WHERE ssn = '123-45-6789'",
      "CREATE TABLE x AS SELECT '123-45-6789' AS a",
      'SELECT 1 /* 123-45-6789 */ -- 123-45-6789',
      "SELECT E'123-45-6789', $q$123-45-6789$q$, U&'123-45-6789'",
    ];
    for (const t of texts) {
      const { normalized } = inspectSql(t);
      expect(normalized).not.toContain('123-45-6789');
      expect(normalized).toMatch(/\$1/);
    }
    expect(inspectSql("SELECT a FROM t WHERE b = 'x' AND c = 3").normalized).toBe(
      'SELECT a FROM t WHERE b = $1 AND c = $2',
    );
    expect(inspectSql("SELECT 1 WHERE 'x' = 'y'").fingerprint).toBe(
      inspectSql("select 2  where 'a' = 'b'").fingerprint,
    );
  });

  it('splits a multi-statement string per statement, multi-byte text included', () => {
    expect(splitSqlStatements("SELECT 'é';  UPDATE t SET a = 'ü' WHERE id = 1 ;;select 3")).toEqual([
      "SELECT 'é'",
      "UPDATE t SET a = 'ü' WHERE id = 1",
      'select 3',
    ]);
    expect(inspectSql('').statements).toEqual([]);
    expect(inspectSql(' ; ').statements).toEqual([]);
  });

  it('inspects quickly', () => {
    const text =
      'SELECT p.ssn, row_to_json(p) FROM patients p JOIN encounters e ON e.patient_id = p.id WHERE p.dob > $1 ORDER BY p.last_name';
    const n = 2000;
    const started = performance.now();
    for (let i = 0; i < n; i++) inspectSql(text);
    const perStatementUs = ((performance.now() - started) * 1000) / n;
    console.log(`parse + inspect + normalize + fingerprint: ${perStatementUs.toFixed(1)} µs per statement`);
  });
});
