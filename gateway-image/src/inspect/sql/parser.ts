import { hasSqlDetails, loadModule, parseSync } from 'libpg-query';
import { WardenError } from '../../errors';
import { deepFreeze } from '../../immutable';

/**
 * The SQL text could not be parsed. `position` is 1-based, counted in characters like the
 * `P` field of a PostgreSQL ErrorResponse, so the Postgres adapter can answer SQLSTATE 42601
 * with the position psql points at. The message is the parser's own (it quotes at most the
 * token where parsing stopped).
 */
export class SqlSyntaxError extends WardenError {
  readonly position: number;

  constructor(message: string, position: number, options?: { cause?: unknown }) {
    super('ERR_SQL_SYNTAX', message, options);
    this.position = position;
  }
}

/** One raw statement of a parse result: a wrapped node (`{ SelectStmt: {...} }`) and its span. */
export interface RawStatement {
  readonly stmt: Record<string, unknown>;
  /** Byte offset into the UTF-8 text; the parser omits it for the first statement. */
  readonly stmt_location?: number;
  /** Byte length; the parser omits it for the last statement (it runs to the end). */
  readonly stmt_len?: number;
}

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the WebAssembly parser. Call once at start; every later call returns the same promise. */
export function loadSqlParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

export function assertParserLoaded(): void {
  if (!ready) throw new WardenError('ERR_SQL_PARSER_NOT_LOADED', 'call `await loadSqlParser()` first');
}

/** Parse trees kept by exact text, least recently used dropped first (see parseStatements). */
const TREE_CACHE_ENTRIES = 1000;
/** Longer texts are parsed every time: they bound the cache's memory. */
const TREE_CACHE_MAX_TEXT = 16_384;
const trees = new Map<string, readonly RawStatement[]>();

/**
 * Parses `text` into raw statements; a syntax error becomes a SqlSyntaxError. Every consumer of
 * a statement (inspection, policy, lineage for masking, splitting) parses the same text, and
 * clients re-send the same texts, so trees are cached by text and shared: they are frozen, and
 * nothing may change them. Syntax errors are not cached (they throw again).
 */
export function parseStatements(text: string): readonly RawStatement[] {
  const hit = trees.get(text);
  if (hit) {
    trees.delete(text);
    trees.set(text, hit);
    return hit;
  }
  const stmts = deepFreeze(parseUncached(text));
  if (text.length <= TREE_CACHE_MAX_TEXT) {
    if (trees.size >= TREE_CACHE_ENTRIES) trees.delete(trees.keys().next().value!);
    trees.set(text, stmts);
  }
  return stmts;
}

function parseUncached(text: string): RawStatement[] {
  assertParserLoaded();
  // libpg-query refuses the empty string; PostgreSQL answers it with EmptyQueryResponse.
  if (text.length === 0) return [];
  try {
    return (parseSync(text) as unknown as { stmts?: RawStatement[] }).stmts ?? [];
  } catch (err) {
    if (hasSqlDetails(err) && err.sqlDetails) {
      // libpg-query converts PostgreSQL's 1-based character position to 0-based; undo that.
      throw new SqlSyntaxError(err.sqlDetails.message, err.sqlDetails.cursorPosition + 1, { cause: err });
    }
    throw new SqlSyntaxError(err instanceof Error ? err.message : String(err), 1, { cause: err });
  }
}

/**
 * Splits a multi-statement string into the text of each statement (without the separating
 * semicolons and surrounding whitespace), in order. Empty statements (`;;`) are skipped, as
 * PostgreSQL skips them. Throws SqlSyntaxError when the text does not parse.
 */
export function splitSqlStatements(text: string): string[] {
  return parseStatements(text).map((s) => statementText(text, s));
}

/** The text of one raw statement. stmt_location/stmt_len are byte offsets into the UTF-8 text. */
export function statementText(text: string, s: RawStatement, bytes?: Buffer): string {
  const buf = bytes ?? Buffer.from(text, 'utf8');
  const start = s.stmt_location ?? 0;
  const end = s.stmt_len ? start + s.stmt_len : buf.length;
  return buf.subarray(start, end).toString('utf8').trim();
}
