/**
 * What the database says about its relations, for masking: table OID + attribute number → column
 * (RowDescription names origins that way), relation widths (to line `*` up with the columns it
 * expands to), view definitions as lineage, and which functions are user-defined (opaque).
 * Protocol-free: a loader supplies the rows; the Postgres adapter loads them over its own upstream
 * connection. One snapshot is shared by every session of a connection and reloaded after DDL.
 */
import { parseStatements } from '../inspect/sql/parser';
import { builtinOpaque, type LineageCatalog, type Output, SessionLineage } from './lineage';

export interface CatalogRows {
  /** One row per live column: relation OID, schema, relation name, relkind, attnum, column name. */
  readonly columns: readonly (readonly [number, string, string, string, number, string])[];
  /** View and materialised view definitions, fully qualified: relation OID and SELECT text. */
  readonly views: readonly (readonly [number, string])[];
  /** User-defined functions: schema and name. */
  readonly functions: readonly (readonly [string, string])[];
}

export interface Relation {
  readonly oid: number;
  /** `schema.name`, as the lineage walker qualifies relations. */
  readonly name: string;
  readonly kind: string;
  /** Live columns in attnum order. */
  readonly columns: readonly string[];
  readonly byAttnum: ReadonlyMap<number, string>;
  /** For views: the SELECT text (fully qualified). */
  readonly definition?: string;
}

export class CatalogSnapshot implements LineageCatalog {
  private readonly byOid = new Map<number, Relation>();
  private readonly byName = new Map<string, Relation>();
  private readonly functions = new Set<string>();
  private readonly viewCache = new Map<string, ReadonlyMap<string, Output> | null>();

  constructor(rows: CatalogRows) {
    const defs = new Map(rows.views);
    let current:
      | { oid: number; name: string; kind: string; columns: string[]; byAttnum: Map<number, string> }
      | undefined;
    for (const [oid, schema, rel, kind, attnum, column] of rows.columns) {
      if (current?.oid !== oid) {
        current = { oid, name: `${schema}.${rel}`.toLowerCase(), kind, columns: [], byAttnum: new Map() };
        const definition = defs.get(oid);
        const relation: Relation = definition === undefined ? current : { ...current, definition };
        this.byOid.set(oid, relation);
        this.byName.set(relation.name, relation);
      }
      current.columns.push(column);
      current.byAttnum.set(attnum, column);
    }
    for (const [schema, name] of rows.functions) {
      this.functions.add(name.toLowerCase());
      this.functions.add(`${schema}.${name}`.toLowerCase());
    }
  }

  relation(oid: number): Relation | undefined {
    return this.byOid.get(oid);
  }

  relationNamed(name: string): Relation | undefined {
    return this.byName.get(name.toLowerCase());
  }

  isOpaqueFunction(name: string): boolean {
    return builtinOpaque(name) || this.functions.has(name.toLowerCase());
  }

  /**
   * A view's outputs by column name, from its definition's lineage; null when the definition
   * cannot be traced (every column then counts as unknown). Undefined for non-views.
   */
  viewColumns(name: string): ReadonlyMap<string, Output> | null | undefined {
    const rel = this.relationNamed(name);
    if (!rel?.definition) return undefined;
    if (this.viewCache.has(rel.name)) return this.viewCache.get(rel.name)!;
    const traced = traceView(rel, this);
    this.viewCache.set(rel.name, traced);
    return traced;
  }
}

function traceView(rel: Relation, catalog: LineageCatalog): ReadonlyMap<string, Output> | null {
  try {
    const stmt = parseStatements(rel.definition!)[0]?.stmt;
    const outputs = stmt ? new SessionLineage(catalog).statement(stmt, []) : undefined;
    // pg_get_viewdef expands `*`, so a stored definition lines up one output per column.
    if (!Array.isArray(outputs) || outputs.length !== rel.columns.length) return null;
    if (outputs.some((o) => o.kind !== 'expr')) return null;
    return new Map(rel.columns.map((c, i) => [c, outputs[i]!]));
  } catch {
    return null;
  }
}

/**
 * The snapshot every session of one connection shares. After DDL it is marked stale and
 * reloaded; while stale, sessions treat views and unknown OIDs as untraceable (fail closed),
 * since a view may have been redefined to expose what it did not before.
 */
export class SharedCatalog {
  private snap: CatalogSnapshot | undefined;
  private loading: Promise<CatalogSnapshot> | undefined;
  private generation = 0;
  stale = false;

  constructor(private readonly load: () => Promise<CatalogRows>) {}

  /** The snapshot, loading it first if there is none (rejects when it cannot be loaded). */
  async ready(): Promise<CatalogSnapshot> {
    if (this.snap && (!this.stale || this.loading)) return this.snap;
    return this.loading ?? this.reload();
  }

  /** The current snapshot; undefined until the first load completed. */
  get current(): CatalogSnapshot | undefined {
    return this.snap;
  }

  /** DDL ran: mark stale and reload in the background. */
  invalidate(): void {
    this.stale = true;
    this.generation++;
    this.reload().catch(() => undefined);
  }

  private reload(): Promise<CatalogSnapshot> {
    const generation = this.generation;
    const p = this.load().then((rows) => {
      const snap = new CatalogSnapshot(rows);
      // A reload that started before a later invalidation does not clear it.
      if (generation === this.generation) {
        this.snap = snap;
        this.stale = false;
      }
      this.snap ??= snap;
      return snap;
    });
    this.loading = p;
    p.finally(() => {
      if (this.loading === p) this.loading = undefined;
    }).catch(() => undefined);
    return p;
  }
}

/** The catalog queries, run with an empty search_path so view definitions come fully qualified. */
export const CATALOG_QUERIES = {
  setup: "SET search_path = ''",
  columns: `SELECT c.oid, n.nspname, c.relname, c.relkind, a.attnum, a.attname
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
    ORDER BY c.oid, a.attnum`,
  views: `SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid)
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  functions: `SELECT DISTINCT n.nspname, p.proname
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`,
} as const;

/** Builds CatalogRows from the text rows of CATALOG_QUERIES. */
export function catalogRows(
  columns: readonly (readonly (string | null)[])[],
  views: readonly (readonly (string | null)[])[],
  functions: readonly (readonly (string | null)[])[],
): CatalogRows {
  return {
    columns: columns.map((r) => [Number(r[0]), r[1] ?? '', r[2] ?? '', r[3] ?? '', Number(r[4]), r[5] ?? '']),
    views: views.map((r) => [Number(r[0]), r[1] ?? '']),
    functions: functions.map((r) => [r[0] ?? '', r[1] ?? '']),
  };
}
