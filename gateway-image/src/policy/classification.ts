import type { ColumnRef, SqlStatementFacts } from '../inspect/facts';

/** "schema.table.column" (or "schema.table.*") → PHI entity, as in a Postgres connection's config. */
export type Classification = Readonly<Record<string, string>>;

/**
 * Classified columns by table, for the questions policy asks. Names compare case-insensitively:
 * a classification written `public.Patients.SSN` still covers `public.patients.ssn` (matching too
 * much is the safe side for PHI).
 */
export class ClassificationIndex {
  /** table → classified columns; `*` stands for every column of the table. */
  private readonly tables = new Map<string, Set<string>>();

  constructor(classification: Classification) {
    for (const key of Object.keys(classification)) {
      const dot = key.lastIndexOf('.');
      if (dot <= 0) continue;
      const table = key.slice(0, dot).toLowerCase();
      const cols = this.tables.get(table) ?? new Set<string>();
      cols.add(key.slice(dot + 1).toLowerCase());
      this.tables.set(table, cols);
    }
  }

  get empty(): boolean {
    return this.tables.size === 0;
  }

  /** Whether the table holds any classified column. */
  holdsPhi(relation: string): boolean {
    return this.tables.has(relation.toLowerCase());
  }

  /** Whether a column (or `*`, every column) of the table is classified. */
  isClassified(relation: string, column: string): boolean {
    const cols = this.tables.get(relation.toLowerCase());
    if (!cols) return false;
    return column === '*' || cols.has('*') || cols.has(column.toLowerCase());
  }

  /**
   * Whether a column reference may carry PHI. A column whose relation the inspector could not
   * resolve (several FROM items, no qualifier) counts when any relation the statement touches has
   * a classified column of that name: without the catalog, the inspector cannot rule it out.
   */
  refersToPhi(ref: ColumnRef, statement: SqlStatementFacts, exclude?: ReadonlySet<string>): boolean {
    if (ref.relation !== undefined)
      return !exclude?.has(ref.relation) && this.isClassified(ref.relation, ref.column);
    return [...statement.reads, ...statement.writes].some(
      (rel) => !exclude?.has(rel) && this.isClassified(rel, ref.column),
    );
  }
}
