/**
 * What "a write" is, once, for every rule that holds or denies writes (`sql.write` in a policy
 * rule). The construct library renders its PHI write safeguard with `sql.write` and its compliance
 * check accepts only rules that use it, so the renderer, the gateway and the check cannot disagree
 * on which statements are writes.
 *
 * A statement is a write when it may change data, schema, privileges or what other sessions see:
 * - its kind changes something by itself: INSERT, UPDATE, DELETE (TRUNCATE is classed DELETE),
 *   MERGE, DDL (CREATE/ALTER/DROP, SELECT INTO, CREATE TABLE AS, REFRESH, COMMENT, …), GRANT and
 *   REVOKE, or a statement the inspector does not know (`other`: fail closed);
 * - it writes a relation whatever its kind: COPY … FROM, a data-modifying WITH under a SELECT,
 *   PREPARE … AS INSERT, EXPLAIN ANALYZE of a write;
 * - its effect cannot be seen from its text (opaque: DO, CALL, EXECUTE of a prepared statement);
 * - it calls a function outside the vetted list (built-ins without side effects, a few vetted
 *   volatile ones, policy.vettedFunctions): such a function may write.
 * COPY … TO, SELECT, SET, SHOW, LISTEN, cursors and maintenance (VACUUM, REINDEX, …) are not.
 */
import type { SqlStatementFacts, SqlStatementKind } from '../inspect/facts';
import type { Matcher } from './glob';

/** Kinds that are writes whatever else the statement does. */
export const SQL_WRITE_KINDS: ReadonlySet<SqlStatementKind> = new Set<SqlStatementKind>([
  'insert',
  'update',
  'delete',
  'merge',
  'ddl',
  'grant',
  'call',
  'do',
  'other',
]);

/** Whether one statement is a write; `isVetted` tells vetted functions (policy/vetted-functions.ts). */
export function isSqlWrite(s: SqlStatementFacts, isVetted: Matcher): boolean {
  return (
    SQL_WRITE_KINDS.has(s.kind) || s.writes.length > 0 || s.opaque || s.functions.some((f) => !isVetted(f))
  );
}
