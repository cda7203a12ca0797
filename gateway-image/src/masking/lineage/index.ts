/**
 * Lineage of the rows a statement returns, with the session state that needs it: SQL-level
 * PREPARE/EXECUTE and cursors (DECLARE/FETCH) return the rows of a statement seen earlier.
 */
import { isObject, type PgNode, str, tagOf, unwrap } from '../../inspect/sql/names';
import { parseStatements } from '../../inspect/sql/parser';
import type { Lineage, LineageCatalog } from './types';
import { LineageWalker, returningOf } from './walker';

export type { Lineage, LineageCatalog, Output, Source } from './types';

/** Dynamic SQL and table-reading functions in pg_catalog: their result is not in the parse tree. */
const BUILTIN_OPAQUE =
  /^(?:pg_catalog\.)?(?:query_to_xml\w*|cursor_to_xml\w*|table_to_xml\w*|schema_to_xml\w*|database_to_xml\w*|dblink\w*|pg_read_\w+|lo_\w+|ts_stat|xpath\w*|currval|pg_stat_get_activity)$/;

export function builtinOpaque(name: string): boolean {
  return BUILTIN_OPAQUE.test(name);
}

export class SessionLineage {
  private readonly prepared = new Map<string, Lineage | undefined>();
  private readonly cursors = new Map<string, Lineage | undefined>();

  constructor(private readonly catalog: LineageCatalog) {}

  /**
   * One entry per statement of `sql`: its row lineage, undefined for statements that return no
   * rows from tables (SET, SHOW, EXPLAIN, DDL), 'unknown' when rows may carry table data the walk
   * cannot trace. Throws on a syntax error (the gate has already refused those).
   */
  statements(sql: string, searchPath: readonly string[]): (Lineage | undefined)[] {
    return parseStatements(sql).map((s) => this.statement(s.stmt, searchPath));
  }

  statement(stmt: PgNode, searchPath: readonly string[]): Lineage | undefined {
    const tag = tagOf(stmt);
    const body = tag ? (stmt[tag] as PgNode) : {};
    const walker = new LineageWalker(searchPath, this.catalog);
    switch (tag) {
      case 'SelectStmt':
        // SELECT INTO writes a table and returns no rows (copying PHI is policy's business).
        return isObject(body.intoClause) ? undefined : walker.query(stmt).outputs;
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        return returningOf(body) ? walker.query(stmt).outputs : undefined;
      case 'DeclareCursorStmt': {
        const name = str(body.portalname);
        if (name) this.cursors.set(name, this.statement(body.query as PgNode, searchPath) ?? 'unknown');
        return undefined;
      }
      case 'FetchStmt': {
        const name = str(body.portalname);
        // MOVE returns no rows; FETCH from an unknown cursor is fail-closed.
        if (body.ismove) return undefined;
        return (name && this.cursors.get(name)) || 'unknown';
      }
      case 'ClosePortalStmt': {
        const name = str(body.portalname);
        if (name) this.cursors.delete(name);
        else this.cursors.clear();
        return undefined;
      }
      case 'PrepareStmt': {
        const name = str(body.name);
        if (name) this.prepared.set(name, this.statement(body.query as PgNode, searchPath));
        return undefined;
      }
      case 'ExecuteStmt': {
        const name = str(body.name);
        return name && this.prepared.has(name) ? this.prepared.get(name) : 'unknown';
      }
      case 'DeallocateStmt': {
        const name = str(body.name);
        if (name) this.prepared.delete(name);
        else this.prepared.clear();
        return undefined;
      }
      case 'CopyStmt': {
        if (body.is_from) return undefined;
        if (isObject(body.query)) return this.statement(body.query, searchPath);
        const rel = unwrap(body, 'relation') ?? (isObject(body.relation) ? body.relation : undefined);
        return rel
          ? walker.query({ SelectStmt: { targetList: [star()], fromClause: [{ RangeVar: rel }] } }).outputs
          : 'unknown';
      }
      case 'VariableSetStmt':
      case 'VariableShowStmt':
      case 'ExplainStmt':
      case 'TransactionStmt':
        return undefined;
      default:
        // Statements with their own result shapes (CALL with OUT parameters, utility commands
        // some extension adds): if they return rows, those rows are of unknown origin.
        return 'unknown';
    }
  }
}

function star(): PgNode {
  return { ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } };
}
