/**
 * Queries the gateway runs on an upstream connection of its own (the masking catalog, the
 * brokered role's privileges): simple-query protocol, text results, one query at a time, then
 * the connection is closed. No client session ever waits behind them or sees them.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SIMPLE-QUERY
 */
import { serialize } from 'pg-protocol';
import type { PostgresConnectionConfig } from '../../../config/connections';
import { BackendCode, BackendFramer, decodeErrorFields } from '../wire/backend-framer';
import { UpstreamError } from '../wire/errors';
import { decodeDataRow } from '../wire/row-codec';
import { connectUpstream, endpointOf, type UpstreamConnection } from './upstream';

export type Rows = (string | null)[][];

/**
 * Logs in to `config`'s upstream with the gateway's credentials (resolved now: rotation needs no
 * restart), runs `queries` and closes. Rejects when any step fails.
 */
export async function queryUpstream(
  config: PostgresConnectionConfig,
  resolveSecret: (ref: string) => Promise<string>,
  applicationName: string,
  queries: readonly string[],
  connectTimeoutMs = 10_000,
): Promise<Rows[]> {
  const conn = await connectUpstream({
    ...(await endpointOf(config, resolveSecret, connectTimeoutMs)),
    database: config.upstream.database,
    user: config.upstream.user,
    password: await resolveSecret(config.upstream.password),
    parameters: { application_name: applicationName },
  });
  return runQueries(conn, queries);
}

/** Runs each query in turn; resolves with each one's rows (text values). */
function runQueries(conn: UpstreamConnection, queries: readonly string[]): Promise<Rows[]> {
  const { socket, remainder } = conn;
  const done = new Promise<Rows[]>((resolve, reject) => {
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
  return done.finally(() => socket.end(serialize.end()));
}
