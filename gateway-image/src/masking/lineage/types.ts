/**
 * Output-column lineage: for each column a statement returns, the table columns its value is
 * computed from. The Postgres adapter combines it with RowDescription (table OID, attribute
 * number) so that an expression over a PHI column — a cast, a function, a whole-row reference,
 * an aggregate — is masked as its most sensitive input.
 */

/** A table column an output depends on. `column: '*'` is the whole row; no `relation`: unresolved. */
export interface Source {
  readonly relation?: string;
  readonly column: string;
}

export type Output =
  | {
      readonly kind: 'expr';
      readonly sources: readonly Source[];
      /** A bare column reference (or a cast of one): `partial` and `year` may cut it as the column. */
      readonly plain: boolean;
      /** The value may come from somewhere the parse tree does not show (a user function, dynamic SQL). */
      readonly opaque: boolean;
    }
  /** `*` / `t.*` over a relation: one output per column, as many as the catalog says it has. */
  | { readonly kind: 'star'; readonly relation: string }
  /** A star over something whose columns are unknown (a set-returning function in FROM). */
  | { readonly kind: 'unknown-star' };

/** What a row-returning statement returns, or 'unknown' when lineage cannot be established. */
export type Lineage = readonly Output[] | 'unknown';

/** Catalog facts the walker needs; everything else about relations comes from the parse tree. */
export interface LineageCatalog {
  /** Functions whose result cannot be traced (user-defined, dynamic SQL such as query_to_xml). */
  isOpaqueFunction(name: string): boolean;
}
