/**
 * Loads the masking catalog over a connection of its own to the upstream (upstream-query.ts).
 */
import type { PostgresConnectionConfig } from '../../../config/connections';
import { CATALOG_QUERIES, type CatalogRows, catalogRows } from '../../../masking/catalog';
import { queryUpstream } from './upstream-query';

/** Reads the catalog of `config`'s upstream database. Rejects when it cannot (sessions then fail closed). */
export async function loadUpstreamCatalog(
  config: PostgresConnectionConfig,
  resolveSecret: (ref: string) => Promise<string>,
  connectTimeoutMs = 10_000,
): Promise<CatalogRows> {
  const [, columns, views, functions] = await queryUpstream(
    config,
    resolveSecret,
    'warden:catalog',
    [CATALOG_QUERIES.setup, CATALOG_QUERIES.columns, CATALOG_QUERIES.views, CATALOG_QUERIES.functions],
    connectTimeoutMs,
  );
  return catalogRows(columns!, views!, functions!);
}
