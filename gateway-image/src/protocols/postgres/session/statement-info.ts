/**
 * What the result masker needs to know about each statement it forwards: the lineage of the rows
 * it returns, its COPY output options, and whether it changes the schema (the catalog is then
 * reloaded). One SessionLineage per session, so cursors and SQL-level PREPARE are followed.
 */
import { type PgNode, tagOf } from '../../../inspect/sql/names';
import { parseStatements } from '../../../inspect/sql/parser';
import type { SharedCatalog } from '../../../masking/catalog';
import { builtinOpaque, type Lineage, SessionLineage } from '../../../masking/lineage/index';
import { type CopyOptions, copyColumnList, copyOptionsOf } from '../results/copy-masker';

export interface StatementInfo {
  /** 'none': the statement returns no table data (SET, SHOW, EXPLAIN); 'unknown' fails closed. */
  readonly lineage: Lineage | 'none';
  /** `COPY t (a, b) TO`: the listed columns. */
  readonly copyLineage?: Lineage;
  readonly copy?: CopyOptions;
  /** Schema may change (DDL, or DO/CALL whose effect cannot be seen). */
  readonly ddl: boolean;
}

/** Statements that never change what the catalog says; anything else may. */
const NOT_DDL = new Set([
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'CopyStmt',
  'VariableSetStmt',
  'VariableShowStmt',
  'ExplainStmt',
  'TransactionStmt',
  'DeclareCursorStmt',
  'FetchStmt',
  'ClosePortalStmt',
  'PrepareStmt',
  'ExecuteStmt',
  'DeallocateStmt',
  'ListenStmt',
  'UnlistenStmt',
  'NotifyStmt',
  'LockStmt',
  'DiscardStmt',
  'CheckPointStmt',
  'VacuumStmt',
]);

/** The statements of `sql` (the parser caches and shares trees), or undefined when it does not parse. */
function parsed(sql: string): readonly PgNode[] | undefined {
  try {
    return parseStatements(sql).map((s) => s.stmt);
  } catch {
    return undefined;
  }
}

export class StatementInfos {
  private readonly lineage: SessionLineage;

  constructor(catalog: SharedCatalog) {
    this.lineage = new SessionLineage({
      isOpaqueFunction: (name) => catalog.current?.isOpaqueFunction(name) ?? builtinOpaque(name),
    });
  }

  /** One entry per statement of `sql`; undefined when it cannot be parsed (every result fails closed). */
  query(sql: string, searchPath: readonly string[]): StatementInfo[] | undefined {
    return parsed(sql)?.map((stmt) => this.info(stmt, searchPath));
  }

  private info(stmt: PgNode, searchPath: readonly string[]): StatementInfo {
    const tag = tagOf(stmt) ?? '';
    let lineage: Lineage | 'none';
    try {
      lineage = this.lineage.statement(stmt, searchPath) ?? 'none';
    } catch {
      lineage = 'unknown';
    }
    const copy = copyOptionsOf(stmt);
    const copyLineage = copy ? copyColumnList(stmt, searchPath) : undefined;
    return {
      lineage,
      ...(copy ? { copy } : {}),
      ...(copyLineage ? { copyLineage } : {}),
      ddl: !NOT_DDL.has(tag),
    };
  }
}
