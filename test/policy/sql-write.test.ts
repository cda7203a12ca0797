import { policy as policySchema } from '../../gateway-image/src/config/policy';
import { inspectSql, loadSqlParser } from '../../gateway-image/src/inspect/sql';
import { createPolicyEngine } from '../../gateway-image/src/policy/engine';
import { human } from '../support/principals';

beforeAll(() => loadSqlParser());

/** The rule the construct library renders for PHI databases, and a kinds-only rule that misses writes. */
const engine = createPolicyEngine(
  policySchema.parse({
    default: 'allow',
    vettedFunctions: ['public.read_only_summary'],
    rules: [{ name: 'hold-writes', decision: 'require-approval', sql: { write: true } }],
  }),
  { connections: [{ name: 'ehr', phi: true }] },
);
const decide = (sql: string) => engine.decide(human, 'ehr', inspectSql(sql)).outcome;

describe('sql.write: the one definition of a write', () => {
  it.each([
    'INSERT INTO patients (id) VALUES (1)',
    "UPDATE patients SET city = 'x' WHERE id = 1",
    'DELETE FROM patients WHERE id = 1',
    'TRUNCATE patients',
    'MERGE INTO patients p USING staging s ON p.id = s.id WHEN MATCHED THEN DELETE',
    'COPY patients FROM STDIN',
    'CREATE TABLE x (a int)',
    'ALTER TABLE patients ADD COLUMN note text',
    'DROP TABLE patients',
    'SELECT * INTO copy_of_patients FROM patients',
    'GRANT SELECT ON patients TO public',
    'WITH gone AS (DELETE FROM patients WHERE id = 1 RETURNING id) SELECT count(*) FROM gone',
    'PREPARE p AS DELETE FROM patients WHERE id = $1',
    'EXECUTE p(1)',
    'EXPLAIN ANALYZE DELETE FROM patients WHERE id = 1',
    'DO $$ BEGIN DELETE FROM patients; END $$',
    'CALL purge_patients()',
    'SELECT archive_patient(1)',
  ])('holds %s', (sql) => {
    expect(decide(sql)).toBe('require-approval');
  });

  it.each([
    'SELECT * FROM patients WHERE id = 1',
    'COPY patients TO STDOUT',
    'EXPLAIN DELETE FROM patients',
    'SET search_path = public',
    'SHOW search_path',
    'SELECT count(*), now() FROM encounters',
    'SELECT public.read_only_summary(1)',
    'VACUUM patients',
  ])('lets %s through', (sql) => {
    expect(decide(sql)).toBe('allow');
  });

  it('catches what a kinds-only rule (INSERT, UPDATE, DELETE) lets through unheld', () => {
    const kindsOnly = createPolicyEngine(
      policySchema.parse({
        default: 'allow',
        rules: [{ name: 'k', decision: 'require-approval', sql: { kinds: ['insert', 'update', 'delete'] } }],
      }),
      { connections: [{ name: 'ehr', phi: true }] },
    );
    const missed = [
      'MERGE INTO patients p USING staging s ON p.id = s.id WHEN MATCHED THEN DELETE',
      'COPY patients FROM STDIN',
      'DROP TABLE patients',
      'WITH gone AS (DELETE FROM patients RETURNING id) SELECT 1',
    ];
    for (const sql of missed) {
      expect(kindsOnly.decide(human, 'ehr', inspectSql(sql)).outcome).toBe('allow');
      expect(decide(sql)).toBe('require-approval');
    }
  });
});
