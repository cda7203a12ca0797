/**
 * Which entity each output column carries: lineage sources looked up in the classification,
 * through views (whose definitions the catalog resolved to lineage of their own).
 */
import { mostSensitive } from '../entities';
import type { Output, Source } from './types';

export interface ClassificationLookup {
  /** The entity of `relation.column` (`*`: the most sensitive column of the relation), if classified. */
  entityOf(relation: string, column: string): string | undefined;
  /** A view's outputs by column name, when `relation` is a view the catalog resolved. */
  viewColumns?(relation: string): ReadonlyMap<string, Output> | undefined;
  /** Relations the statement reads, for sources whose relation could not be resolved. */
  readonly reads: readonly string[];
  /** Entity used when lineage is unknown over a database that holds PHI (fail closed). */
  readonly fallback: string | undefined;
}

/** The entity an output carries, or undefined when it depends on no classified column. */
export function entityOfOutput(o: Output, phi: ClassificationLookup, depth = 0): string | undefined {
  if (depth > 16) return phi.fallback;
  if (o.kind === 'unknown-star') return phi.fallback;
  if (o.kind === 'star') return entityOfSource({ relation: o.relation, column: '*' }, phi, depth);
  const found: string[] = [];
  if (o.opaque && phi.fallback) found.push(phi.fallback);
  for (const s of o.sources) {
    const e = entityOfSource(s, phi, depth);
    if (e) found.push(e);
  }
  return mostSensitive(found);
}

function entityOfSource(s: Source, phi: ClassificationLookup, depth: number): string | undefined {
  const relations = s.relation ? [s.relation] : phi.reads;
  const found: string[] = [];
  for (const rel of relations) {
    const view = phi.viewColumns?.(rel);
    if (view) {
      const outs =
        s.column === '*' ? [...view.values()] : [view.get(s.column)].filter((o) => o !== undefined);
      // A column the view does not have cannot be read from it; `*` takes all of them.
      for (const o of outs) {
        const e = entityOfOutput(o, phi, depth + 1);
        if (e) found.push(e);
      }
      continue;
    }
    const e = phi.entityOf(rel, s.column);
    if (e) found.push(e);
  }
  return mostSensitive(found);
}
