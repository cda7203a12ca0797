import type { ColumnRef, SqlClause } from '../facts';
import { functionName } from './names';

/** Where a column of a derived table (subquery, CTE) comes from. */
export interface Source {
  readonly relation?: string;
  readonly column: string;
}

/**
 * The output of a subquery or CTE, so that `x.ssn` over `(SELECT ssn FROM patients) x` is
 * reported as `public.patients.ssn`: `outputs` maps each output name to the columns it was
 * computed from; `stars` holds the `*` sources (whose column names are unknown without the catalog).
 */
export interface Derived {
  readonly outputs: Map<string, Source[]>;
  readonly stars: Source[];
}

export function emptyDerived(): Derived {
  return { outputs: new Map(), stars: [] };
}

/** One FROM item visible to column references: a relation, or a derived table. */
export interface RangeEntry {
  readonly alias: string;
  readonly relation?: string;
  readonly derived?: Derived;
}

/** The range entries and CTE names of one query level; `parent` is the enclosing level. */
export class Scope {
  readonly entries: RangeEntry[] = [];
  readonly ctes = new Map<string, Derived>();

  constructor(readonly parent?: Scope) {}

  findCte(name: string): Derived | undefined {
    return this.ctes.get(name) ?? this.parent?.findCte(name);
  }

  /** The entry an alias names, innermost level first (correlated subqueries see outer levels). */
  findAlias(alias: string): RangeEntry | undefined {
    return this.entries.find((e) => e.alias === alias) ?? this.parent?.findAlias(alias);
  }

  /** The entries of the innermost level that has any: where an unqualified column resolves. */
  nearestEntries(): readonly RangeEntry[] {
    return this.entries.length > 0 || !this.parent ? this.entries : this.parent.nearestEntries();
  }
}

/** What the walk of one statement collects. */
export class Collector {
  readonly reads = new Set<string>();
  readonly writes = new Set<string>();
  readonly columns: ColumnRef[] = [];
  readonly functions = new Set<string>();
  /** One entry per UPDATE/DELETE met, top level or in a data-modifying CTE: whether it had WHERE. */
  readonly modifications: boolean[] = [];
  opaque = false;
  /**
   * Some fact depends on a literal's value (`ORDER BY 1`, a SET's value): the facts hold for this
   * text only, not for every text of the same shape.
   */
  literalDependent = false;

  constructor(readonly searchPath: readonly string[]) {}

  column(relation: string | undefined, column: string, clause: SqlClause): void {
    this.columns.push(relation === undefined ? { column, clause } : { relation, column, clause });
  }

  /** Records a function call; returns its name as facts report it. */
  fn(funcname: unknown): string {
    const name = functionName(funcname);
    if (name) this.functions.add(name);
    return name;
  }

  /** Columns, deduplicated, in first-seen order. */
  uniqueColumns(): ColumnRef[] {
    const seen = new Set<string>();
    return this.columns.filter((c) => {
      const key = `${c.relation ?? ''}\u0000${c.column}\u0000${c.clause}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
}
