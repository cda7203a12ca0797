/**
 * The inspection invariant: every statement the upstream reports completing (a CommandComplete
 * tag) must be one the gateway inspected, in number and in kind. A mismatch means the server read
 * the command text differently from the inspector (a lexing setting changed behind the gateway's
 * back, a grammar difference between parser versions): the statements were judged on a text the
 * server did not run, so the session cannot go on.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html (CommandComplete)
 */
import type { SqlStatementFacts } from '../../../inspect/facts';

/** Tags a statement of each parser node produces (the tag's leading words). Absent node: see tagFits. */
const TAGS: Readonly<Record<string, readonly string[]>> = {
  // SELECT … INTO reports SELECT n, as the CREATE TABLE AS it runs as.
  SelectStmt: ['SELECT'],
  InsertStmt: ['INSERT'],
  UpdateStmt: ['UPDATE'],
  DeleteStmt: ['DELETE'],
  MergeStmt: ['MERGE'],
  CopyStmt: ['COPY'],
  ExplainStmt: ['EXPLAIN'],
  // WITH DATA reports SELECT n; WITH NO DATA its own tag.
  CreateTableAsStmt: ['SELECT', 'CREATE TABLE AS', 'CREATE MATERIALIZED VIEW', 'SELECT INTO'],
  // COMMIT of a failed transaction (and PREPARE TRANSACTION of one) reports ROLLBACK.
  TransactionStmt: [
    'BEGIN',
    'START TRANSACTION',
    'COMMIT',
    'ROLLBACK',
    'SAVEPOINT',
    'RELEASE',
    'PREPARE TRANSACTION',
    'COMMIT PREPARED',
    'ROLLBACK PREPARED',
  ],
  VariableSetStmt: ['SET', 'RESET'],
  VariableShowStmt: ['SHOW'],
  DeclareCursorStmt: ['DECLARE CURSOR'],
  FetchStmt: ['FETCH', 'MOVE'],
  ClosePortalStmt: ['CLOSE CURSOR'],
  PrepareStmt: ['PREPARE'],
  DeallocateStmt: ['DEALLOCATE'],
  ListenStmt: ['LISTEN'],
  UnlistenStmt: ['UNLISTEN'],
  NotifyStmt: ['NOTIFY'],
  DoStmt: ['DO'],
  CallStmt: ['CALL'],
  LockStmt: ['LOCK TABLE'],
  DiscardStmt: ['DISCARD'],
  CheckPointStmt: ['CHECKPOINT'],
  VacuumStmt: ['VACUUM', 'ANALYZE'],
  ClusterStmt: ['CLUSTER'],
  ReindexStmt: ['REINDEX'],
  LoadStmt: ['LOAD'],
  ConstraintsSetStmt: ['SET CONSTRAINTS'],
  TruncateStmt: ['TRUNCATE TABLE'],
  GrantStmt: ['GRANT', 'REVOKE'],
  GrantRoleStmt: ['GRANT ROLE', 'REVOKE ROLE'],
  RefreshMatViewStmt: ['REFRESH MATERIALIZED VIEW'],
};

/** Leading words of the tags schema and object changes report. */
const DDL_TAGS = [
  'CREATE',
  'ALTER',
  'DROP',
  'COMMENT',
  'SECURITY LABEL',
  'IMPORT FOREIGN SCHEMA',
  'REASSIGN OWNED',
  'GRANT',
  'REVOKE',
  'REFRESH',
  'SELECT',
];

/** Tags that report rows read or written: a statement the inspector did not class so must not produce one. */
const DATA_TAGS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY', 'FETCH', 'MOVE'];

function startsWithWords(tag: string, words: string): boolean {
  return tag === words || tag.startsWith(`${words} `);
}

/**
 * Whether `tag` can complete `statement`. EXECUTE runs a statement prepared earlier (any tag);
 * a node this table does not know must at least not report rows (it is classed 'other' or DDL).
 */
export function tagFits(statement: SqlStatementFacts, tag: string): boolean {
  if (statement.node === 'ExecuteStmt') return true;
  const known = TAGS[statement.node];
  if (known) return known.some((w) => startsWithWords(tag, w));
  if (statement.kind === 'ddl') return DDL_TAGS.some((w) => startsWithWords(tag, w));
  return !DATA_TAGS.some((w) => startsWithWords(tag, w));
}

/** What the upstream reported against what was inspected, for the audit event. */
export interface TagMismatch {
  /** 0-based position of the statement in the command. */
  readonly index: number;
  /** The statement kind the gateway judged there, or `none` when it judged fewer statements. */
  readonly inspected: string;
  /** The reported tag's words, without its row counts. */
  readonly reported: string;
}

/** Checks the `index`-th CommandComplete of a command against its inspected statements. */
export function checkTag(
  statements: readonly SqlStatementFacts[],
  index: number,
  tag: string,
): TagMismatch | undefined {
  const statement = statements[index];
  const reported = tag.replace(/(\s+\d+)+$/, '');
  if (!statement) return { index, inspected: 'none', reported };
  return tagFits(statement, tag) ? undefined : { index, inspected: statement.kind, reported };
}
