/**
 * What `warden classify` reads from a Postgres connection: its tables and columns, which tables
 * reference which (foreign keys), and a sample of each table's rows as text. Identifiers are
 * quoted, so any table or column name is read as itself.
 */
export interface CatalogColumn {
  readonly schema: string;
  readonly table: string;
  readonly column: string;
  readonly dataType: string;
}

export type Rows = (string | null)[][];

/** User tables and their columns, in column order. */
export const COLUMNS_QUERY = `SELECT c.table_schema, c.table_name, c.column_name, c.data_type
  FROM information_schema.columns c
  JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
  WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
    AND c.table_schema NOT LIKE 'pg\\_%'
  ORDER BY c.table_schema, c.table_name, c.ordinal_position`;

/** "schema.table" → "schema.table" for every foreign key: the referencing table, the referenced one. */
export const REFERENCES_QUERY = `SELECT fn.nspname || '.' || f.relname, tn.nspname || '.' || t.relname
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_class f ON f.oid = k.conrelid JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace
  JOIN pg_catalog.pg_class t ON t.oid = k.confrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
  WHERE k.contype = 'f'`;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Up to `rows` rows of a table, every column as text. */
export function sampleQuery(schema: string, table: string, columns: readonly string[], rows: number): string {
  const list = columns.map((c) => `${quoteIdent(c)}::text`).join(', ');
  return `SELECT ${list} FROM ${quoteIdent(schema)}.${quoteIdent(table)} LIMIT ${Math.floor(rows)}`;
}

export function parseColumns(rows: Rows): CatalogColumn[] {
  return rows.map(([schema, table, column, dataType]) => ({
    schema: schema ?? '',
    table: table ?? '',
    column: column ?? '',
    dataType: (dataType ?? '').toLowerCase(),
  }));
}
