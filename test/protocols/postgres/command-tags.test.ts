/**
 * The inspection invariant must never end a legitimate session: every statement of this corpus is
 * run on the real server, and each tag it reports must fit what the inspector made of it.
 */
import { Client } from 'pg';
import { inspectSql, loadSqlParser } from '../../../gateway-image/src/inspect/sql';
import { checkTag } from '../../../gateway-image/src/protocols/postgres/session/command-tags';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const CORPUS = [
  'CREATE TABLE t (id int primary key, v text)',
  "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
  'SELECT * FROM t',
  'VALUES (1), (2)',
  'TABLE t',
  "UPDATE t SET v = 'c' WHERE id = 1",
  'DELETE FROM t WHERE id = 2',
  "MERGE INTO t USING (VALUES (3, 'x')) s(id, v) ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)",
  'WITH x AS (SELECT 1) SELECT * FROM x',
  'WITH d AS (DELETE FROM t WHERE id = 3 RETURNING *) SELECT count(*) FROM d',
  'SELECT 1 AS b INTO t2',
  'CREATE TABLE t3 AS SELECT 1 AS a',
  'CREATE TABLE t4 AS SELECT 1 AS a WITH NO DATA',
  'CREATE MATERIALIZED VIEW mv AS SELECT 1 AS c',
  'CREATE MATERIALIZED VIEW mv2 AS SELECT 1 AS c WITH NO DATA',
  'REFRESH MATERIALIZED VIEW mv',
  'CREATE VIEW v AS SELECT id FROM t',
  'CREATE INDEX ON t (v)',
  'ALTER TABLE t ADD COLUMN w int',
  "COMMENT ON TABLE t IS 'x'",
  'EXPLAIN SELECT 1',
  'EXPLAIN ANALYZE SELECT 1',
  'BEGIN; SAVEPOINT s; RELEASE s; COMMIT',
  'START TRANSACTION; ROLLBACK',
  'BEGIN; SELECT 1/0',
  'COMMIT',
  'BEGIN; LOCK TABLE t; SET CONSTRAINTS ALL DEFERRED; END',
  'DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t; FETCH 1 FROM c; MOVE 1 IN c; CLOSE c; CLOSE ALL',
  'PREPARE p AS SELECT 1; EXECUTE p; DEALLOCATE p; DEALLOCATE ALL',
  'PREPARE q AS INSERT INTO t VALUES (9, $1); EXECUTE q($$z$$); CREATE TEMP TABLE t5 AS EXECUTE q($$y$$)',
  "SET work_mem = '8MB'; RESET work_mem; SET TIME ZONE 'UTC'; SHOW work_mem",
  "SELECT set_config('application_name', 'tags', false)",
  "LISTEN ch; NOTIFY ch, 'x'; UNLISTEN *",
  'DO $$ BEGIN END $$',
  'CREATE PROCEDURE pr() LANGUAGE sql AS $$ SELECT 1 $$; CALL pr()',
  'ANALYZE t; VACUUM t; CLUSTER t USING t_pkey; REINDEX TABLE t; CHECKPOINT',
  'DISCARD PLANS; DISCARD SEQUENCES; DISCARD TEMP',
  'TRUNCATE t2',
  'GRANT SELECT ON t TO PUBLIC; REVOKE SELECT ON t FROM PUBLIC',
  'CREATE ROLE tags_r; GRANT tags_r TO CURRENT_USER; REVOKE tags_r FROM CURRENT_USER; DROP ROLE tags_r',
  'COPY t TO STDOUT',
  'DROP VIEW v; DROP TABLE t3',
  'SELECT 1;;SELECT 2',
];

let db: TestDatabase;
let client: Client;
const tags: string[] = [];

beforeAll(async () => {
  await loadSqlParser();
  db = await createTestDatabase('command_tags');
  client = new Client(db.connection);
  await client.connect();
  // node-postgres keeps only the tag's first word in results; the connection sees the whole tag.
  (client as unknown as { connection: NodeJS.EventEmitter }).connection.on(
    'commandComplete',
    (m: { text: string }) => tags.push(m.text),
  );
}, 60_000);

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('CommandComplete tags fit the inspected statements', () => {
  it.each(CORPUS)('%s', async (text) => {
    const facts = inspectSql(text);
    tags.length = 0;
    await client.query(text).catch(() => undefined);
    // An error stops a multi-statement query early: fewer tags, never more (every command here
    // completes at least its first statement).
    expect(tags.length).toBeGreaterThan(0);
    expect(tags.length).toBeLessThanOrEqual(facts.statements.length);
    tags.forEach((tag, i) => {
      expect(checkTag(facts.statements, i, tag)).toBeUndefined();
    });
  });
});

describe('checkTag reports what the server ran that was not inspected', () => {
  it('a statement more than inspected, or of another kind', () => {
    const one = inspectSql("SELECT 'a' , ' ; create table x(a int); -- '").statements;
    expect(checkTag(one, 0, 'SELECT 1')).toBeUndefined();
    expect(checkTag(one, 1, 'CREATE TABLE')).toEqual({
      index: 1,
      inspected: 'none',
      reported: 'CREATE TABLE',
    });
    const two = inspectSql('SELECT 1; SELECT 2').statements;
    expect(checkTag(two, 1, 'UPDATE 10')).toEqual({ index: 1, inspected: 'select', reported: 'UPDATE' });
    expect(checkTag(inspectSql('CREATE TABLE y (a int)').statements, 0, 'DELETE 3')).toMatchObject({
      inspected: 'ddl',
    });
    expect(checkTag(inspectSql('EXECUTE p').statements, 0, 'DELETE 3')).toBeUndefined();
  });
});
