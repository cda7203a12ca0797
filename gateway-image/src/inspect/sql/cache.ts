/**
 * Inspection results by exact statement text and search_path. Clients re-send the same text: the
 * extended protocol parses it again for every execution (pgbench -M extended, most drivers'
 * unnamed statements), and applications repeat a handful of queries. A hit skips three parser
 * passes (parse, normalize, fingerprint). Entries are frozen: one result is shared by every
 * session, so nothing downstream may change what policy and audit see.
 */
import type { SqlFacts } from '../facts';
import { inspectSql } from './index';
import { deepFreeze } from './parser';

export interface SqlInspectionCacheOptions {
  /** Statements kept, least recently used dropped first. @default 1000 */
  readonly maxEntries?: number;
  /** Longer statements are inspected every time (they bound the cache's memory). @default 16384 */
  readonly maxTextLength?: number;
}

export type SqlInspector = (text: string, searchPath: readonly string[]) => SqlFacts;

/** `inspectSql` with an LRU cache in front; syntax errors are not cached (they throw again). */
export function cachedSqlInspector(options: SqlInspectionCacheOptions = {}): SqlInspector {
  const maxEntries = options.maxEntries ?? 1000;
  const maxTextLength = options.maxTextLength ?? 16_384;
  for (const [name, v] of [
    ['maxEntries', maxEntries],
    ['maxTextLength', maxTextLength],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer`);
  }
  const entries = new Map<string, SqlFacts>();
  return (text, searchPath) => {
    if (text.length > maxTextLength || maxEntries === 0) return inspectSql(text, { searchPath });
    // NUL cannot occur in a statement or an identifier PostgreSQL accepts: the key is unambiguous.
    const key = `${searchPath.join('\0')}\0\0${text}`;
    const hit = entries.get(key);
    if (hit) {
      entries.delete(key);
      entries.set(key, hit);
      return hit;
    }
    const facts = deepFreeze(inspectSql(text, { searchPath }));
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(key, facts);
    return facts;
  };
}
