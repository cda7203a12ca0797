import { COLUMNS_QUERY, parseColumns, REFERENCES_QUERY, type Rows } from '../../classify/catalog';
import { classifyConnection } from '../../classify/classify';
import { formatClassifyResult } from '../../classify/format';
import type { PostgresConnectionConfig } from '../../config/connections';
import { loadConfigFile } from '../../config/load';
import { ConfigError } from '../../errors';
import { isLoopbackHost } from '../../identity/loopback';
import { createDetectors, scan } from '../../masking/detectors';
import { queryUpstream } from '../../protocols/postgres/session/upstream-query';
import { createDefaultSecretResolver } from '../../secrets/default-resolver';
import { type Command, optionalString, requireString, secretFromEnv, UsageError } from '../command';

/**
 * The connection reached through a URL instead of its configured upstream (the sandbox prints its
 * database's URL): host, port, database, user and password from the URL; TLS verified unless the
 * URL asks for `sslmode=disable` on a loopback host.
 */
function fromUrl(
  c: PostgresConnectionConfig,
  text: string,
): { config: PostgresConnectionConfig; password: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('the upstream URL is not a postgres:// URL');
  }
  if (!/^postgres(ql)?:$/.test(url.protocol))
    throw new UsageError('the upstream URL is not a postgres:// URL');
  const plaintext = url.searchParams.get('sslmode') === 'disable';
  if (plaintext && !isLoopbackHost(url.hostname))
    throw new UsageError('sslmode=disable is only accepted for a loopback upstream');
  const config: PostgresConnectionConfig = {
    ...c,
    upstream: {
      ...c.upstream,
      host: url.hostname,
      port: url.port ? Number(url.port) : 5432,
      database: decodeURIComponent(url.pathname.slice(1)) || c.upstream.database,
      user: decodeURIComponent(url.username) || c.upstream.user,
      password: 'env:WARDEN_CLASSIFY_URL_PASSWORD',
      tls: plaintext ? { mode: 'disable' } : c.upstream.tls,
    },
  };
  return { config, password: decodeURIComponent(url.password) };
}

export const classifyCommand: Command = {
  path: ['classify'],
  summary: "List a Postgres connection's columns that look like identifiers but are not classified",
  help: `Usage: warden classify --config FILE --connection NAME [flags]

Reads the connection's tables and columns, samples each table's rows through the gateway's PHI
detectors, and applies column-name hints for the HIPAA Safe Harbor identifiers (ZIP code, city,
admission and discharge dates, phone, account, device and licence numbers, …) to tables about
individuals (tables with a classified column, and tables that reference one). Prints the columns
that are not in the connection's classification, with the entity each should have and why, and a
classification block ready to paste. Prints names and counts, never values.
Exit status 0 when nothing is missing, 1 when a column is listed.

  --config FILE            the gateway config holding the connection and its classification
  --connection NAME        a postgres connection of that config
  --upstream-url-env VAR   reach the database through the postgres:// URL in this environment
                           variable instead of the configured upstream (sslmode=disable is
                           accepted on loopback only), e.g. the sandbox's upstream.url
  --sample N               rows sampled per table (default 200)
  --json                   print the result as JSON`,
  options: {
    config: { type: 'string' },
    connection: { type: 'string' },
    'upstream-url-env': { type: 'string' },
    sample: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(args, io) {
    const configFile = requireString(args, 'config');
    const name = requireString(args, 'connection');
    const sampleFlag = optionalString(args, 'sample');
    const sampleRows = sampleFlag === undefined ? 200 : Number(sampleFlag);
    if (!Number.isInteger(sampleRows) || sampleRows < 1)
      throw new UsageError(`--sample must be a whole number above 0, got "${sampleFlag}"`);
    const config = await loadConfigFile(configFile);
    const connection = config.connections.find((c) => c.name === name);
    if (!connection) throw new ConfigError(`${configFile} has no connection "${name}"`);
    if (connection.kind !== 'postgres')
      throw new ConfigError(
        `connection "${name}" is ${connection.kind}; warden classify reads Postgres connections`,
      );

    let upstream: PostgresConnectionConfig = connection;
    let resolve = (ref: string) => createDefaultSecretResolver().resolve(ref);
    if (optionalString(args, 'upstream-url-env') !== undefined) {
      const viaUrl = fromUrl(connection, secretFromEnv(args, io, 'upstream-url-env'));
      upstream = viaUrl.config;
      resolve = async () => viaUrl.password;
    }
    const query = async (sql: string): Promise<Rows> => {
      try {
        const [rows] = await queryUpstream(upstream, resolve, 'warden:classify', [sql]);
        return rows ?? [];
      } catch (err) {
        throw new ConfigError(`connection "${name}": ${withoutIdentifiers((err as Error).message)}`);
      }
    };
    const result = await classifyConnection({
      columns: parseColumns(await query(COLUMNS_QUERY)),
      references: (await query(REFERENCES_QUERY)).map(([from, to]) => [from ?? '', to ?? ''] as const),
      classification: connection.classification,
      query,
      sampleRows,
      mrnPatterns: config.masking.detectors.mrnPatterns,
    });
    io.stdout.write(
      args.values.json ? `${JSON.stringify(result, null, 2)}\n` : formatClassifyResult(name, result),
    );
    return result.missing.length === 0 ? 0 : 1;
  },
};

/** An upstream error may quote a value; whatever the detectors recognise is replaced by its entity. */
function withoutIdentifiers(message: string): string {
  let out = '';
  let at = 0;
  for (const d of scan(message, createDetectors())) {
    out += `${message.slice(at, d.start)}[${d.entity}]`;
    at = d.end;
  }
  return out + message.slice(at);
}
