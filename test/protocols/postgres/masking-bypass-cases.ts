/**
 * The queries of the masking bypass suite (masking-bypass.test.ts) and the setup they rely on:
 * views over PHI, a unique index whose violation echoes a key, an unclassified free-text table,
 * and functions that RAISE values.
 */
import type { Client, QueryResult } from 'pg';

export const SETUP = `
CREATE VIEW v_ssn AS SELECT id, ssn AS harmless, state FROM patients;
CREATE VIEW patient_contacts AS SELECT id, first_name || ' ' || last_name AS who, phone AS p FROM patients;
CREATE VIEW v_nested AS SELECT id, upper(harmless) AS h2 FROM v_ssn;
CREATE UNIQUE INDEX patients_ssn_key ON patients (ssn);
CREATE TABLE handoffs (id int PRIMARY KEY, body text);
INSERT INTO handoffs SELECT id, 'Call back at ' || phone || ' or ' || email || '; SSN on file ' || ssn
  FROM patients WHERE id <= 5;
CREATE FUNCTION leak_notice(i int) RETURNS int LANGUAGE plpgsql AS $f$
DECLARE r record;
BEGIN
  SELECT ssn, email, phone INTO r FROM patients WHERE id = i;
  RAISE NOTICE 'patient ssn % email % phone %', r.ssn, r.email, r.phone;
  RETURN 1;
END $f$;
CREATE FUNCTION leak_error(i int) RETURNS int LANGUAGE plpgsql AS $f$
DECLARE s text;
BEGIN
  SELECT ssn INTO s FROM patients WHERE id = i;
  RAISE EXCEPTION 'bad record %', s USING DETAIL = 'ssn was ' || s;
END $f$;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC;
ANALYZE patients;
`;

export type Who = 'agent' | 'clinician';
export interface Case {
  readonly name: string;
  readonly sql: string;
  readonly values?: unknown[];
  /** Extended protocol, named statement (prepared) — otherwise simple unless values are given. */
  readonly prepared?: boolean;
  readonly binary?: boolean;
  readonly who?: Who;
  /** allowed: must succeed; refused: must fail; either: policy may go either way. */
  readonly expect: 'allowed' | 'refused' | 'either';
  readonly check?: (r: QueryResult, direct: Client) => Promise<void>;
}

const FIVE = 'WHERE id <= 5';
export const CASES: Case[] = [
  {
    name: 'plain columns',
    sql: `SELECT id, ssn, first_name, last_name, mrn, phone, email, street FROM patients ${FIVE}`,
    expect: 'allowed',
    check: sameIds,
  },
  { name: 'aliases', sql: `SELECT ssn AS a, email AS "b", phone c FROM patients ${FIVE}`, expect: 'allowed' },
  {
    name: 'upper / lower',
    sql: `SELECT upper(first_name), lower(last_name), upper(email) FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'concat',
    sql: `SELECT first_name || ' ' || last_name, concat(ssn, '/', phone) FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'substring',
    sql: `SELECT substring(ssn from 1 for 11), substr(email, 1) FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'hex encode',
    sql: `SELECT encode(ssn::bytea, 'hex'), encode(convert_to(email, 'UTF8'), 'hex') FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'base64 encode',
    sql: `SELECT encode(convert_to(ssn, 'UTF8'), 'base64') FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  { name: 'reverse', sql: `SELECT reverse(ssn), reverse(phone) FROM patients ${FIVE}`, expect: 'allowed' },
  {
    name: 'casts',
    sql: `SELECT ssn::bytea, date_of_birth::text, date_of_birth::timestamp, mrn::varchar(40) FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'to_char of DOB',
    sql: `SELECT to_char(date_of_birth, 'YYYY-MM-DD') FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'translate / regexp_replace',
    sql: `SELECT translate(ssn, '0123456789', 'abcdefghij'), regexp_replace(phone, '\\D', '', 'g') FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'CASE',
    sql: `SELECT CASE WHEN id > 0 THEN ssn ELSE 'x' END, CASE id WHEN 1 THEN email END FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'coalesce / format / json_build_object',
    sql: `SELECT coalesce(NULL, phone), format('%s', email), json_build_object('s', ssn) FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'scalar subquery',
    sql: `SELECT (SELECT ssn FROM patients p2 WHERE p2.id = p.id) FROM patients p ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'derived table',
    sql: `SELECT s.a, s.id FROM (SELECT ssn AS a, id FROM patients) s ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'CTE',
    sql: `WITH c AS (SELECT ssn AS s, email AS e, id FROM patients) SELECT s, e, id FROM c ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'recursive CTE',
    sql: `WITH RECURSIVE r(n, s) AS (SELECT 1, (SELECT ssn FROM patients WHERE id = 1) UNION ALL SELECT n + 1, s FROM r WHERE n < 3) SELECT * FROM r`,
    expect: 'allowed',
  },
  {
    name: 'view over ssn',
    sql: `SELECT * FROM v_ssn ${FIVE}`,
    expect: 'allowed',
    check: stateMatches('v_ssn'),
  },
  {
    name: 'view column expression',
    sql: `SELECT upper(harmless), who, p FROM v_ssn JOIN patient_contacts USING (id) WHERE id <= 5`,
    expect: 'allowed',
  },
  { name: 'view over a view', sql: `SELECT h2 FROM v_nested ${FIVE}`, expect: 'allowed' },
  {
    name: 'UNION',
    sql: `SELECT ssn FROM patients ${FIVE} UNION ALL SELECT city FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'INTERSECT / EXCEPT',
    sql: `SELECT email FROM patients ${FIVE} EXCEPT SELECT 'x' INTERSECT SELECT phone FROM patients`,
    expect: 'either',
  },
  { name: 'whole row p', sql: `SELECT p FROM patients p ${FIVE}`, expect: 'allowed' },
  { name: 'p.* and *', sql: `SELECT p.*, 1 AS one FROM patients p ${FIVE}`, expect: 'allowed' },
  {
    name: 'row_to_json / to_jsonb',
    sql: `SELECT row_to_json(p), to_jsonb(p.*), p::text FROM patients p ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'array_agg / string_agg / json_agg',
    sql: `SELECT array_agg(ssn), string_agg(email, ','), json_agg(p) FROM patients p ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'LATERAL',
    sql: `SELECT l.x, l.y FROM patients p, LATERAL (SELECT p.ssn AS x, p.phone AS y) l WHERE p.id <= 5`,
    expect: 'allowed',
  },
  {
    name: 'window function',
    sql: `SELECT first_value(ssn) OVER (ORDER BY id), lag(email) OVER (ORDER BY id) FROM patients ${FIVE}`,
    expect: 'allowed',
  },
  {
    name: 'unnest of an aggregate',
    sql: `SELECT u FROM unnest((SELECT array_agg(ssn) FROM patients ${FIVE})) u`,
    expect: 'allowed',
  },
  {
    name: 'cursor DECLARE / FETCH',
    sql: `BEGIN; DECLARE c CURSOR FOR SELECT id, ssn, email FROM patients ${FIVE} ORDER BY id; FETCH 3 FROM c; FETCH ALL FROM c; COMMIT`,
    expect: 'allowed',
  },
  {
    name: 'binary cursor',
    sql: `BEGIN; DECLARE b BINARY CURSOR FOR SELECT ssn, date_of_birth, phone FROM patients ${FIVE}; FETCH ALL FROM b; COMMIT`,
    expect: 'allowed',
  },
  {
    name: 'SQL PREPARE / EXECUTE',
    sql: `PREPARE q AS SELECT ssn, email FROM patients ${FIVE}; EXECUTE q`,
    expect: 'either',
  },
  {
    name: 'RETURNING with a subquery on PHI',
    sql: `UPDATE providers SET department = department WHERE id = 1 RETURNING (SELECT ssn FROM patients WHERE id = 1), department`,
    expect: 'either',
  },
  {
    name: 'prepared (named)',
    sql: `SELECT id, ssn, email, date_of_birth FROM patients WHERE id <= $1`,
    values: [5],
    prepared: true,
    expect: 'allowed',
    check: sameIds,
  },
  {
    name: 'extended, unnamed',
    sql: `SELECT upper(last_name), phone FROM patients WHERE id <= $1`,
    values: [5],
    expect: 'allowed',
  },
  {
    name: 'binary format',
    sql: `SELECT id, ssn, date_of_birth, mrn, email FROM patients WHERE id <= $1`,
    values: [5],
    binary: true,
    expect: 'allowed',
    check: sameIds,
  },
  {
    name: 'binary format, whole rows and arrays',
    sql: `SELECT p, array_agg(ssn) OVER () FROM patients p WHERE id <= $1`,
    values: [5],
    binary: true,
    expect: 'allowed',
  },
  {
    name: 'binary prepared json',
    sql: `SELECT to_jsonb(p) FROM patients p WHERE id <= $1`,
    values: [5],
    binary: true,
    prepared: true,
    expect: 'allowed',
  },
  {
    name: 'free text, unclassified column (detectors)',
    sql: `SELECT id, body FROM handoffs ORDER BY id`,
    expect: 'allowed',
    check: sameIds,
  },
  {
    name: 'planner statistics',
    sql: `SELECT attname, most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE tablename = 'patients'`,
    expect: 'allowed',
  },
  {
    name: 'query_to_xml',
    sql: `SELECT query_to_xml('SELECT ssn, email FROM patients LIMIT 5', true, true, '')`,
    expect: 'either',
  },
  { name: 'RAISE NOTICE with values', sql: `SELECT leak_notice(1), leak_notice(2)`, expect: 'either' },
  { name: 'RAISE EXCEPTION with values', sql: `SELECT leak_error(3)`, expect: 'refused' },
  { name: 'cast error echoing a value', sql: `SELECT ssn::int FROM patients ${FIVE}`, expect: 'refused' },
  { name: 'cast error on email', sql: `SELECT email::date FROM patients ${FIVE}`, expect: 'refused' },
  {
    name: 'predicate on PHI (binary search)',
    sql: `SELECT id FROM patients WHERE ssn LIKE '1%'`,
    expect: 'refused',
  },
  { name: 'ORDER BY PHI', sql: `SELECT id FROM patients ORDER BY ssn LIMIT 5`, expect: 'refused' },
  { name: 'CREATE TABLE AS', sql: `CREATE TABLE copy_of AS SELECT ssn FROM patients`, expect: 'refused' },
  { name: 'SELECT INTO', sql: `SELECT ssn INTO copy_into FROM patients`, expect: 'refused' },
  {
    name: 'COPY (SELECT …) TO STDOUT',
    sql: `COPY (SELECT ssn, email FROM patients ${FIVE}) TO STDOUT`,
    expect: 'refused',
  },
  { name: 'COPY patients TO STDOUT (agent)', sql: `COPY patients TO STDOUT`, expect: 'either' },
  {
    name: 'COPY of non-PHI columns',
    sql: `COPY (SELECT id, state FROM patients ${FIVE}) TO STDOUT`,
    expect: 'allowed',
  },
  {
    name: 'COPY patients (text) as clinician',
    sql: `COPY patients TO STDOUT`,
    who: 'clinician',
    expect: 'allowed',
  },
  {
    name: 'COPY patients (CSV, header, custom delimiter) as clinician',
    sql: `COPY patients TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER '|')`,
    who: 'clinician',
    expect: 'allowed',
  },
  {
    name: 'COPY column list as clinician',
    sql: `COPY patients (id, ssn, email) TO STDOUT WITH CSV`,
    who: 'clinician',
    expect: 'allowed',
  },
  {
    name: 'binary COPY of PHI as clinician',
    sql: `COPY patients TO STDOUT (FORMAT binary)`,
    who: 'clinician',
    expect: 'refused',
  },
  {
    name: 'unique violation DETAIL as clinician',
    sql: `UPDATE patients SET ssn = (SELECT ssn FROM patients WHERE id = 2) WHERE id = 1`,
    who: 'clinician',
    expect: 'refused',
  },
  { name: 'RAISE NOTICE as clinician', sql: `SELECT leak_notice(4)`, who: 'clinician', expect: 'allowed' },
];

/** Non-PHI values (ids) come back exactly as the database has them. */
async function sameIds(r: QueryResult, d: Client): Promise<void> {
  const want = await d.query(`SELECT id FROM patients WHERE id <= 5 ORDER BY id`);
  expect(r.rows.map((x) => Number(x.id)).sort((a, b) => a - b)).toEqual(want.rows.map((x) => x.id));
}

/** The state is not a Safe Harbor identifier (city and ZIP are): it stays unclassified. */
function stateMatches(view: string) {
  return async (r: QueryResult, d: Client) => {
    const want = await d.query(`SELECT id, state FROM ${view} WHERE id <= 5 ORDER BY id`);
    const got = [...r.rows].sort((a, b) => a.id - b.id).map((x) => ({ id: x.id, state: x.state }));
    expect(got).toEqual(want.rows);
  };
}
