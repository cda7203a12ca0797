import type { SqlClause, SqlStatementFacts } from '../inspect/facts';
import type { ClassificationIndex } from './classification';
import { type Matcher, nameMatcher } from './glob';
import { isSqlWrite } from './sql-write';
import type { SqlMatchConfig } from './types';

/** Clauses where a column decides which rows are seen: PHI there leaks through the result's shape. */
const PREDICATE_CLAUSES: ReadonlySet<SqlClause> = new Set([
  'where',
  'join',
  'group',
  'having',
  'order',
  'window',
]);
/** Clauses whose values flow into the rows a statement writes or copies out. */
const COPY_CLAUSES: ReadonlySet<SqlClause> = new Set(['select', 'values', 'set']);

/** One statement-level test of an sql match block. */
type StatementTest = (s: SqlStatementFacts, phi: ClassificationIndex) => boolean;

/** A compiled `sql` match block: true when every field given is satisfied by at least one statement. */
export type SqlMatcher = (statements: readonly SqlStatementFacts[], phi: ClassificationIndex) => boolean;

export interface SqlMatchContext {
  /** Whether a function is on the vetted list (policy/vetted-functions.ts plus policy.vettedFunctions). */
  readonly isVetted: Matcher;
}

export function compileSqlMatch(m: SqlMatchConfig, context: SqlMatchContext): SqlMatcher {
  const tests: StatementTest[] = [];
  if (m.kinds) {
    const kinds = new Set<string>(m.kinds);
    tests.push((s) => kinds.has(s.kind));
  }
  if (m.functions) tests.push(anyOf((s) => s.functions, nameMatcher(m.functions)));
  if (m.reads) tests.push(anyOf((s) => s.reads, nameMatcher(m.reads)));
  if (m.writes) tests.push(anyOf((s) => s.writes, nameMatcher(m.writes)));
  if (m.writesClassified !== undefined) {
    const want = m.writesClassified;
    tests.push((s, phi) => s.writes.some((w) => phi.holdsPhi(w)) === want);
  }
  if (m.opaque !== undefined) {
    const want = m.opaque;
    tests.push((s) => s.opaque === want);
  }
  if (m.withoutWhere !== undefined) {
    const want = m.withoutWhere;
    tests.push((s) => (s.hasWhere === false) === want);
  }
  if (m.copy) {
    const { direction, target } = m.copy;
    tests.push(
      (s) =>
        s.copy !== undefined &&
        (direction === undefined || s.copy.direction === direction) &&
        (target === undefined || target.includes(s.copy.target)),
    );
  }
  if (m.phiPredicates !== undefined) {
    const want = m.phiPredicates;
    tests.push((s, phi) => usesPhiInPredicates(s, phi) === want);
  }
  if (m.copiesPhi !== undefined) {
    const want = m.copiesPhi;
    tests.push((s, phi) => copiesPhi(s, phi) === want);
  }
  if (m.settings) {
    const match = nameMatcher(m.settings);
    // A name the statement computes could be any setting.
    tests.push((s) => (s.settings ?? []).some((name) => name === '*' || match(name)));
  }
  if (m.nodes) {
    const nodes = new Set(m.nodes.map((n) => n.toLowerCase()));
    tests.push((s) => nodes.has(s.node.toLowerCase()));
  }
  if (m.write !== undefined) {
    const want = m.write;
    tests.push((s) => isSqlWrite(s, context.isVetted) === want);
  }
  if (m.unvettedFunctions !== undefined) {
    const want = m.unvettedFunctions;
    tests.push((s) => s.functions.some((f) => !context.isVetted(f)) === want);
  }
  return (statements, phi) => tests.every((t) => statements.some((s) => t(s, phi)));
}

function anyOf(values: (s: SqlStatementFacts) => readonly string[], match: Matcher): StatementTest {
  return (s) => values(s).some(match);
}

/** A classified column filters, joins, groups, orders or partitions rows. */
export function usesPhiInPredicates(s: SqlStatementFacts, phi: ClassificationIndex): boolean {
  return s.columns.some((c) => PREDICATE_CLAUSES.has(c.clause) && phi.refersToPhi(c, s));
}

/**
 * PHI flows out of its table: a classified column — or `*` / a whole row of a classified table —
 * feeds an argument of a function that keeps it in server state others can read (clause `sink`:
 * set_config, pg_notify, large objects, sequences, advisory locks, …), or the statement writes a
 * relation (CREATE TABLE AS, SELECT INTO, CREATE VIEW, INSERT … SELECT, UPDATE … FROM, MERGE) or
 * copies out (COPY … TO) and such a column feeds the rows it writes or copies. Columns of the
 * written relations themselves do not count: rewriting a PHI table in place is what
 * `writesClassified` is for.
 */
export function copiesPhi(s: SqlStatementFacts, phi: ClassificationIndex): boolean {
  if (s.columns.some((c) => c.clause === 'sink' && phi.refersToPhi(c, s))) return true;
  if (s.writes.length === 0 && s.copy?.direction !== 'to') return false;
  const written = new Set(s.writes);
  return s.columns.some((c) => COPY_CLAUSES.has(c.clause) && phi.refersToPhi(c, s, written));
}
