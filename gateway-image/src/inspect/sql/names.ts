/** Helpers over the JSON parse tree of libpg-query: node tags, strings and relation names. */

export type PgNode = Record<string, unknown>;

export function isObject(v: unknown): v is PgNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The tag of a wrapped node (`{ SelectStmt: {...} }` → `SelectStmt`), or undefined. */
export function tagOf(node: unknown): string | undefined {
  if (!isObject(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const k = keys[0]!;
  return /^[A-Z]/.test(k) && isObject(node[k]) ? k : undefined;
}

/** The body of a wrapped node with the given tag. */
export function unwrap(node: unknown, tag: string): PgNode | undefined {
  return isObject(node) && isObject(node[tag]) ? node[tag] : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The `sval`s of a list of String nodes (identifier lists such as funcname and DROP objects). */
export function stringList(v: unknown): string[] {
  const out: string[] = [];
  for (const item of list(v)) {
    const s = unwrap(item, 'String');
    if (s && typeof s.sval === 'string') out.push(s.sval);
  }
  return out;
}

/**
 * A RangeVar: wrapped (`{ RangeVar: … }`, in FROM lists) or bare (typed fields such as
 * `InsertStmt.relation` hold the node without its tag; recognised by its `relname`).
 */
export function asRangeVar(node: unknown): PgNode | undefined {
  const wrapped = unwrap(node, 'RangeVar');
  if (wrapped) return wrapped;
  return isObject(node) && typeof node.relname === 'string' ? node : undefined;
}

/**
 * The schema an unqualified relation name resolves to.
 *
 * Rule: a name beginning with `pg_` is a system catalog (`pg_catalog` is searched before the
 * path unless placed in it explicitly, and psql's `\d` queries rely on that); any other name
 * resolves to the first schema of the search path that is not `pg_catalog`, `$user` or a
 * `pg_temp` schema, and to `public` when there is none. The inspector does not see the
 * catalog, so it cannot know whether the table exists in an earlier schema: the session passes
 * the effective search path (and updates it when a statement reports a `search_path` setting).
 */
export function defaultSchema(name: string, searchPath: readonly string[]): string {
  if (name.startsWith('pg_')) return 'pg_catalog';
  for (const entry of searchPath) {
    // SHOW search_path quotes names: `"$user", public`.
    const s = /^".*"$/.test(entry) ? entry.slice(1, -1).replace(/""/g, '"') : entry;
    if (s === 'pg_catalog' || s === '$user' || s.startsWith('pg_temp')) continue;
    return s;
  }
  return 'public';
}

/** `schema.table` for a RangeVar; names written with a schema (including catalogs) stay as written. */
export function qualifiedName(rv: PgNode, searchPath: readonly string[]): string {
  const rel = str(rv.relname) ?? '';
  const schema = str(rv.schemaname);
  return `${schema ?? defaultSchema(rel, searchPath)}.${rel}`;
}

/** `schema.table` for an identifier list from DROP (`[table]`, `[schema, table]`, `[db, schema, table]`). */
export function qualifiedFromList(names: readonly string[], searchPath: readonly string[]): string {
  const rel = names[names.length - 1] ?? '';
  const schema = names.length >= 2 ? names[names.length - 2] : undefined;
  return `${schema ?? defaultSchema(rel, searchPath)}.${rel}`;
}

/** A function name as facts report it: lower-case, schema kept when written. */
export function functionName(funcname: unknown): string {
  return stringList(funcname).join('.').toLowerCase();
}
