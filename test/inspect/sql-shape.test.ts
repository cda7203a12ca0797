/**
 * Inspection by shape must never change a decision: facts served from the shape cache equal the
 * facts of a fresh parse, for every statement of the masking-bypass and policy suites and for
 * variants of each with every plain literal changed. And the shape reader refuses what it cannot
 * read exactly as PostgreSQL does.
 */
import { inspectSql, loadSqlParser } from '../../gateway-image/src/inspect/sql';
import { cachedSqlInspector } from '../../gateway-image/src/inspect/sql/cache';
import { literalShape } from '../../gateway-image/src/inspect/sql/shape';
import { CASES } from '../protocols/postgres/masking-bypass-cases';

beforeAll(() => loadSqlParser());

describe('literalShape', () => {
  it('is the same for statements that differ only in plain literal values', () => {
    const a = literalShape('SELECT abalance FROM pgbench_accounts WHERE aid = 48213;');
    expect(a).toBeDefined();
    expect(literalShape('SELECT abalance FROM pgbench_accounts WHERE aid = 7;')).toBe(a);
    expect(literalShape("select * from t where name = 'O''Brien' and x = 1")).toBe(
      literalShape("select * from t where name = 'x' and x = 22"),
    );
    expect(literalShape('select "a""b", t1.c2 from t1 where $1 = 3')).toBe(
      literalShape('select "a""b", t1.c2 from t1 where $1 = 4'),
    );
  });

  it('keeps names, keywords and placeholders: different code, different shapes', () => {
    const shapes = [
      'select a from t where x = 1',
      'select b from t where x = 1',
      'select a from t where x = $1',
      'select a from t where x = 1 order by 1',
      'select "1" from t',
      "select a from t where x = '1'",
    ].map(literalShape);
    expect(new Set(shapes).size).toBe(shapes.length);
  });

  it.each([
    ["select E'a\\\\' , 'b'"],
    ["select e'x'"],
    ["select U&'\\\\0027'"],
    ['select U&"d!0061t" UESCAPE \'!\''],
    ["select B'101', X'ff', N'abc'"],
    ["select 'a\\\\b'"],
    ['select $q$ ; drop table t; $q$'],
    ['select $$x$$'],
    ['select 1 -- comment'],
    ['select /* c */ 1'],
    ['select 1.5'],
    ['select 1e5'],
    ['select 0x1F'],
    ['select 1_000'],
    ["select 'unterminated"],
    ['select "unterminated'],
  ])('gives no shape to %s', (text) => {
    expect(literalShape(text)).toBeUndefined();
  });
});

/** The statement with every plain literal changed to another value of the same kind. */
function variant(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      const j = text.indexOf('"', i + 1);
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === "'" && !/[A-Za-z0-9_$&]/.test(text[i - 1] ?? '')) {
      let j = i + 1;
      while (!(text[j] === "'" && text[j + 1] !== "'")) j += text[j] === "'" ? 2 : 1;
      out += "'zz''9'";
      i = j + 1;
    } else if (/[0-9]/.test(ch) && !/[A-Za-z0-9_$.]/.test(text[i - 1] ?? '')) {
      let j = i;
      while (/[0-9]/.test(text[j] ?? '')) j++;
      out += String(Number(text.slice(i, j)) + 7);
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

const CORPUS = [
  ...CASES.map((c) => c.sql),
  'SELECT abalance FROM pgbench_accounts WHERE aid = 48213',
  'UPDATE pgbench_accounts SET abalance = abalance + -4012 WHERE aid = 8',
  'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 52, 44, CURRENT_TIMESTAMP)',
  "SELECT id FROM patients WHERE ssn = '123-45-6789'",
  'SELECT ssn FROM patients ORDER BY 1',
  'SELECT ssn, id FROM patients ORDER BY 2',
  'SELECT id, ssn FROM patients ORDER BY 1',
  'SELECT dob, count(*) FROM patients GROUP BY 1 LIMIT 5',
  "SET statement_timeout = '5s'",
  "SET search_path = 'app', public",
  "SELECT set_config('application_name', 'x', false)",
  "SELECT set_config('work_mem', '64MB', false)",
  'COPY (SELECT ssn FROM patients WHERE id < 10) TO STDOUT',
  "SELECT pg_notify('c', ssn) FROM patients WHERE id = 3",
  'INSERT INTO scratch SELECT ssn FROM patients WHERE id = 1',
  'DELETE FROM encounters WHERE id = 12',
  'SELECT * FROM patients p JOIN encounters e ON e.patient_id = p.id AND e.id > 10',
  "SELECT lo_from_bytea(0, 'abc')",
  "SELECT 'a' || ssn FROM patients WHERE 1 = 1",
];

describe('facts by shape equal facts from a fresh parse', () => {
  const pathA = ['"$user"', 'public'];
  it.each(CORPUS)('%s', (text) => {
    const inspect = cachedSqlInspector();
    const first = inspect(text, pathA);
    expect(first).toEqual(inspectSql(text, { searchPath: pathA }));
    const other = variant(text);
    let fresh: unknown;
    try {
      fresh = inspectSql(other, { searchPath: pathA });
    } catch {
      // A variant that does not parse (a literal where only one value is valid) must not parse from the cache either.
      expect(() => inspect(other, pathA)).toThrow();
      return;
    }
    expect(inspect(other, pathA)).toEqual(fresh);
  });

  it('never shares facts that depend on a literal (ORDER BY position, settings)', () => {
    const inspect = cachedSqlInspector();
    inspect('SELECT id, ssn FROM patients ORDER BY 1', ['public']);
    const byTwo = inspect('SELECT id, ssn FROM patients ORDER BY 2', ['public']);
    expect(byTwo.statements[0]!.columns).toContainEqual({
      relation: 'public.patients',
      column: 'ssn',
      clause: 'order',
    });
    inspect("SELECT set_config('standard_conforming_strings', 'on', false)", ['public']);
    expect(() =>
      inspect("SELECT set_config('standard_conforming_strings', 'off', false)", ['public']),
    ).toThrow(expect.objectContaining({ code: 'ERR_SQL_LEXING_SETTING' }));
  });
});
