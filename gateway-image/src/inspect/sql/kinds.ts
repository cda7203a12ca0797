import type { SqlStatementKind } from '../facts';

/** Statement kinds of utility statements that are not DDL. Everything else is classed below. */
const UTILITY_KINDS: Readonly<Record<string, SqlStatementKind>> = {
  TransactionStmt: 'transaction',
  VariableSetStmt: 'set',
  VariableShowStmt: 'show',
  PrepareStmt: 'prepare',
  ExecuteStmt: 'execute',
  DeallocateStmt: 'deallocate',
  DeclareCursorStmt: 'cursor',
  FetchStmt: 'cursor',
  ClosePortalStmt: 'cursor',
  ListenStmt: 'listen',
  UnlistenStmt: 'listen',
  NotifyStmt: 'notify',
  CallStmt: 'call',
  DoStmt: 'do',
  GrantStmt: 'grant',
  GrantRoleStmt: 'grant',
  AlterDefaultPrivilegesStmt: 'grant',
  ExplainStmt: 'explain',
  CopyStmt: 'copy',
  SelectStmt: 'select',
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
  // TRUNCATE removes every row: classed as a DELETE without WHERE so the same rules catch it.
  TruncateStmt: 'delete',
  VacuumStmt: 'utility',
  CheckPointStmt: 'utility',
  LoadStmt: 'utility',
  DiscardStmt: 'utility',
  LockStmt: 'utility',
  ClusterStmt: 'utility',
  ReindexStmt: 'utility',
  ConstraintsSetStmt: 'utility',
};

/**
 * Schema, object and role changes: CREATE/ALTER/DROP of anything (including roles, databases,
 * ALTER SYSTEM), RENAME, COMMENT, SECURITY LABEL, CREATE TABLE AS, views, rules, triggers,
 * indexes, materialized view refreshes, IMPORT FOREIGN SCHEMA, REASSIGN/DROP OWNED.
 */
const DDL =
  /^(Create|Alter|Drop|Define|Rename|Comment|SecLabel|Composite|Index|View|Rule|RefreshMatView|ImportForeignSchema|ReassignOwned)/;

export function kindOf(node: string): SqlStatementKind {
  const known = UTILITY_KINDS[node];
  if (known) return known;
  return DDL.test(node) ? 'ddl' : 'other';
}

/** Fields of DDL statements that hold the object being created or changed (bare RangeVars). */
export const DDL_TARGET_FIELDS = ['relation', 'view', 'sequence', 'table', 'typevar'] as const;

/** DROP object types whose objects are relations, so they count as writes. */
export const DROPPED_RELATIONS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_INDEX',
  'OBJECT_SEQUENCE',
  'OBJECT_FOREIGN_TABLE',
]);
