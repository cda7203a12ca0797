/**
 * The run-time settings a client asks for in its StartupMessage: every parameter that is not part
 * of the protocol itself is a setting (`statement_timeout=5s`), and `options` carries more as
 * command-line switches (`-c statement_timeout=5s`, `--search-path=app`), spaces escaped with a
 * backslash as libpq writes them. The gateway judges each one as the `SET` it amounts to and
 * passes the allowed ones on, so a driver's settings work as they would against the server.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html (StartupMessage)
 * https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-OPTIONS
 */
import { WardenError } from '../../../errors';

/** Parameters of the protocol, not settings: who connects where, and how. */
const PROTOCOL_PARAMETERS = new Set(['user', 'database', 'options', 'replication', 'application_name']);

/** Settings in the gateway's own namespace: read by the gateway (warden.reason), never forwarded. */
export const GATEWAY_NAMESPACE = 'warden.';

/** A StartupMessage asks for something the gateway does not relay; `parameter` names it. */
export class StartupParameterError extends WardenError {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super('ERR_PG_STARTUP_PARAMETER', message);
  }
}

/**
 * Settings by lower-case name (`-` read as `_`, as the server reads switches), the last occurrence
 * winning as on the server: `options` first, then the top-level parameters (the server applies the
 * switches, then the parameters, so a top-level `statement_timeout` beats a `-c` one). Throws
 * StartupParameterError for a replication connection or an `options` switch other than -c / --.
 */
export function startupSettings(parameters: ReadonlyMap<string, string>): Map<string, string> {
  const replication = parameters.get('replication');
  if (replication !== undefined && !['false', 'off', 'no', '0'].includes(replication.toLowerCase())) {
    throw new StartupParameterError('replication', 'replication connections are not relayed by Warden');
  }
  const settings = new Map<string, string>();
  const options = parameters.get('options');
  if (options !== undefined) {
    for (const [name, value] of parseOptions(options)) settings.set(name, value);
  }
  for (const [name, value] of parameters) {
    // _pq_.* are protocol extensions, answered with NegotiateProtocolVersion and never forwarded.
    if (PROTOCOL_PARAMETERS.has(name) || name.startsWith('_pq_.')) continue;
    settings.set(settingName(name), value);
  }
  return settings;
}

/** `-c name=value` / `-cname=value` / `--name=value`, as the server's switch parser reads them. */
function parseOptions(options: string): [string, string][] {
  const args = splitOptions(options);
  const out: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let assignment: string | undefined;
    if (arg === '-c') assignment = args[++i];
    else if (arg.startsWith('-c')) assignment = arg.slice(2);
    else if (arg.startsWith('--')) assignment = arg.slice(2);
    else {
      throw new StartupParameterError(
        'options',
        `startup option "${arg.slice(0, 40)}" is not relayed by Warden; use -c name=value`,
      );
    }
    const eq = assignment?.indexOf('=') ?? -1;
    if (assignment === undefined || eq <= 0) {
      throw new StartupParameterError('options', 'a -c startup option needs name=value');
    }
    out.push([settingName(assignment.slice(0, eq)), assignment.slice(eq + 1)]);
  }
  return out;
}

/** Splits at unescaped whitespace; a backslash keeps the next character (libpq's escaping). */
function splitOptions(options: string): string[] {
  const args: string[] = [];
  let current: string | undefined;
  for (let i = 0; i < options.length; i++) {
    const ch = options[i]!;
    if (/\s/.test(ch)) {
      if (current !== undefined) args.push(current);
      current = undefined;
      continue;
    }
    const next = ch === '\\' && i + 1 < options.length ? options[++i]! : ch;
    current = (current ?? '') + next;
  }
  if (current !== undefined) args.push(current);
  return args;
}

function settingName(name: string): string {
  return name.toLowerCase().replaceAll('-', '_');
}

/** A setting as the `SET` statement the server would run for it, for inspection and policy. */
export function settingAsSql(name: string, value: string): string {
  return `SET ${quoteIdentifier(name)} = ${quoteLiteral(value)}`;
}

function quoteIdentifier(name: string): string {
  // Dotted custom settings (`app.tenant`) are one name made of two identifiers.
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * `application_name` upstream: the client's own name and the principal, `psql (warden:alice)`,
 * within the 63 bytes PostgreSQL keeps (the client's part is shortened first; non-printable
 * ASCII is replaced as the server would).
 */
export function upstreamApplicationName(client: string | undefined, subject: string): string {
  const max = 63;
  const own = `warden:${subject}`;
  const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');
  const name = client ? printable(client).trim() : '';
  if (name === '') return truncateBytes(printable(own), max);
  const suffix = ` (${printable(own)})`;
  if (suffix.length >= max - 1) return truncateBytes(printable(own), max);
  return `${truncateBytes(name, max - suffix.length)}${suffix}`;
}

function truncateBytes(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max);
}
