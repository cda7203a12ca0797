import type { SqlFacts } from '../facts';
import { tagOf } from './names';
import { fingerprintSql, normalizeSql } from './normalize';
import { parseStatements } from './parser';
import { assertLexingUnchanged, settingChanges } from './settings';
import { inspectStatement } from './statement';

export { fingerprintSql, normalizeSql } from './normalize';
export { loadSqlParser, SqlSyntaxError, splitSqlStatements } from './parser';
export { LexingSettingError } from './settings';

export interface InspectSqlOptions {
  /**
   * The session's search_path, used to qualify unqualified relation names (see
   * `defaultSchema` in names.ts for the rule). Default `["public"]`.
   */
  readonly searchPath?: readonly string[];
}

/**
 * Facts about a SQL command (one or more statements) from the real PostgreSQL parse tree.
 * Synchronous; `await loadSqlParser()` must have completed once. Throws SqlSyntaxError
 * (code ERR_SQL_SYNTAX, 1-based `position`) when the text does not parse, and LexingSettingError
 * when a statement would change how the server lexes SQL (see settings.ts): such a command can
 * never be judged, so it is refused before policy.
 */
export function inspectSql(text: string, options: InspectSqlOptions = {}): SqlFacts {
  return inspectSqlDetailed(text, options).facts;
}

/**
 * inspectSql, and whether any fact depends on a literal's value (a SET's value, set_config's
 * arguments, `ORDER BY 1`): only facts that do not may be shared by texts of the same shape.
 */
const PLANNABLE = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

export function inspectSqlDetailed(
  text: string,
  options: InspectSqlOptions = {},
): { facts: SqlFacts; literalDependent: boolean } {
  const initial = options.searchPath ?? ['public'];
  let searchPath = initial;
  const parsed = parseStatements(text).map((s) => ({ stmt: s.stmt, changes: settingChanges(s.stmt) }));
  for (const s of parsed) assertLexingUnchanged(s.changes);
  // libpg-query's fingerprint ignores literal values in plannable statements only.
  const dependence = { literalDependent: parsed.some((s) => !PLANNABLE.has(tagOf(s.stmt) ?? '')) };
  const statements = parsed.map((s) => {
    const facts = inspectStatement(s.stmt, searchPath, s.changes, dependence);
    // Later statements of the same command see a search_path the command itself sets.
    if (facts.setting?.name === 'search_path') searchPath = facts.setting.value ?? initial;
    return facts;
  });
  const facts: SqlFacts = {
    protocol: 'postgres',
    statements,
    normalized: normalizeSql(text),
    fingerprint: fingerprintSql(text),
  };
  return { facts, literalDependent: dependence.literalDependent };
}
