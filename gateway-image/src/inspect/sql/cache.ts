/**
 * Inspection results by statement shape (the text without its literals' values, see shape.ts) or,
 * when facts depend on a literal or the text has no shape, by exact text — always with the
 * search_path. Clients re-send the same statements: the extended protocol parses the text again
 * for every execution (most drivers' unnamed statements), and applications repeat a handful of
 * queries with different values inlined. A hit skips three parser passes (parse, normalize,
 * fingerprint). Entries are frozen: one result is shared by every session, so nothing downstream
 * may change what policy and audit see.
 */

import { deepFreeze } from '../../immutable';
import type { SqlFacts } from '../facts';
import { inspectSql, inspectSqlDetailed } from './index';
import { literalShape } from './shape';

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
  const byShape = new Lru(maxEntries);
  const byText = new Lru(maxEntries);
  return (text, searchPath) => {
    if (text.length > maxTextLength || maxEntries === 0) return inspectSql(text, { searchPath });
    // NUL cannot occur in a statement or an identifier PostgreSQL accepts: the keys are unambiguous.
    const path = `${searchPath.join('\0')}\0\0`;
    const shape = literalShape(text);
    const shared = shape === undefined ? undefined : byShape.get(path + shape);
    if (shared) return shared;
    const own = byText.get(path + text);
    if (own) return own;
    const { facts, literalDependent } = inspectSqlDetailed(text, { searchPath });
    const frozen = deepFreeze(facts);
    if (shape !== undefined && !literalDependent) byShape.set(path + shape, frozen);
    else byText.set(path + text, frozen);
    return frozen;
  };
}

/** A map that forgets its least recently used entry beyond `max`. */
class Lru {
  private readonly entries = new Map<string, SqlFacts>();

  constructor(private readonly max: number) {}

  get(key: string): SqlFacts | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, facts: SqlFacts): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, facts);
  }
}
