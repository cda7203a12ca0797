/**
 * Loads the masking catalog over a connection of its own to the upstream, with the gateway's
 * credentials, so no client session ever waits behind catalog queries or sees them.
 * Simple-query protocol, text results.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SIMPLE-QUERY
 */
import { serialize } from 'pg-protocol';
import type { PostgresConnectionConfig } from '../../config/connections';
import { CATALOG_QUERIES, type CatalogRows, catalogRows } from '../../masking/catalog';
import { BackendCode, BackendFramer, decodeErrorFields } from './backend-framer';
import { UpstreamError } from './errors';
import { decodeDataRow } from './row-codec';
import { connectUpstream, endpointOf } from './upstream';

type Rows = (string | null)[][];

/** Reads the catalog of `config`'s upstream database. Rejects when it cannot (sessions then fail closed). */
export async function loadUpstreamCatalog(
  config: PostgresConnectionConfig,
  resolveSecret: (ref: string) => Promise<string>,
  connectTimeoutMs = 10_000,
): Promise<CatalogRows> {
  const conn = await connectUpstream({
    ...(await endpointOf(config, resolveSecret, connectTimeoutMs)),
    database: config.upstream.database,
    user: config.upstream.user,
    password: await resolveSecret(config.upstream.password),
    parameters: { application_name: 'warden:catalog' },
  });
  const results = await runQueries(conn.socket, conn.remainder, [
    CATALOG_QUERIES.setup,
    CATALOG_QUERIES.columns,
    CATALOG_QUERIES.views,
    CATALOG_QUERIES.functions,
  ]).finally(() => conn.socket.end(serialize.end()));
  return catalogRows(results[1]!, results[2]!, results[3]!);
}

/** Runs each query in turn; resolves with each one's rows (text values). */
function runQueries(
  socket: NodeJS.ReadWriteStream & { destroy(err?: Error): void },
  remainder: Buffer,
  queries: readonly string[],
): Promise<Rows[]> {
  return new Promise((resolve, reject) => {
    const framer = new BackendFramer();
    const results: Rows[] = [];
    let rows: Rows = [];
    let failure: Error | undefined;
    const fail = (err: Error) => {
      socket.removeListener('data', onData);
      socket.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      try {
        for (const f of framer.push(chunk)) {
          if (f.code === BackendCode.DataRow)
            rows.push(decodeDataRow(f.raw).map((v) => v?.toString('utf8') ?? null));
          else if (f.code === BackendCode.ErrorResponse) {
            failure ??= new UpstreamError(`catalog query failed: ${decodeErrorFields(f.raw).message}`);
          } else if (f.code === BackendCode.ReadyForQuery) {
            if (failure) return fail(failure);
            results.push(rows);
            rows = [];
            if (results.length === queries.length) {
              socket.removeListener('data', onData);
              return resolve(results);
            }
            socket.write(serialize.query(queries[results.length]!));
          }
        }
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    };
    socket.on('data', onData);
    socket.once('error', fail);
    socket.once('close', () => fail(new UpstreamError('catalog connection closed')));
    socket.write(serialize.query(queries[0]!));
    if (remainder.length > 0) onData(remainder);
    socket.resume();
  });
}
