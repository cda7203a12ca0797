/**
 * Run-time settings a statement changes, wherever it changes them: SET / RESET at any depth
 * (top level, `ALTER ROLE … SET`, `ALTER DATABASE … SET`, `ALTER SYSTEM`, a function's `SET`
 * clause), `set_config(name, value, …)` anywhere in an expression, and writes to `pg_settings`
 * (its update rule calls set_config). A name the text does not show is reported as `*`.
 *
 * The gateway parses SQL as PostgreSQL does with the lexing settings at their standard values
 * (LEXING_SETTINGS). A statement that would change one of them makes every later statement of the
 * session mean something else to the server than to the inspector, so it is refused for everyone:
 * no policy can allow it (assertLexingUnchanged).
 * https://www.postgresql.org/docs/current/runtime-config-compatible.html
 */
import { WardenError } from '../../errors';
import { asRangeVar, isObject, list, type PgNode, str, tagOf, unwrap } from './names';

export interface SettingChange {
  /** Lower-case setting name; `*` when the statement computes it (set_config(expr, …), pg_settings). */
  readonly name: string;
  /** The new value when written as a constant; `default` for RESET / TO DEFAULT; `computed` otherwise. */
  readonly value: string | 'default' | 'computed';
}

/** The refusal of a statement that would change how the server lexes SQL. */
export class LexingSettingError extends WardenError {
  constructor(readonly setting: string) {
    super(
      'ERR_SQL_LEXING_SETTING',
      setting === '*'
        ? 'a setting whose name the statement computes (set_config with an expression, or a write to pg_settings) cannot be inspected; name the setting in a SET statement'
        : `${setting} cannot be changed through Warden: the gateway reads SQL as the server does only with ${LEXING_SETTINGS[setting]!.standard}`,
    );
  }
}

interface LexingSetting {
  /** How the value the gateway parses with is written, for messages. */
  readonly standard: string;
  /** Whether a constant value leaves lexing as the gateway parses it. */
  accepts(value: string): boolean;
}

/**
 * Settings that change how the server splits a command into tokens, with the values libpg-query
 * parses as. client_encoding: the gateway decodes messages as UTF-8 (and refuses text that is not);
 * an encoding such as SJIS or BIG5 has multi-byte characters whose second byte is a backslash or a
 * quote. SQL_ASCII is accepted: the server then takes the bytes as they are, in its own encoding,
 * and every server encoding keeps ASCII bytes ASCII (psql asks for it in a C locale).
 */
export const LEXING_SETTINGS: Readonly<Record<string, LexingSetting>> = {
  standard_conforming_strings: {
    standard: 'standard_conforming_strings = on',
    accepts: (v) => parseBoolean(v) === true,
  },
  backslash_quote: {
    standard: 'backslash_quote = safe_encoding',
    accepts: (v) => v.toLowerCase() === 'safe_encoding',
  },
  client_encoding: {
    standard: 'client_encoding = UTF8',
    accepts: (v) => isUtf8Name(v) || normalEncodingName(v) === 'sqlascii',
  },
};

/** Whether a setting's reported value (ParameterStatus) leaves lexing as the gateway parses it. */
export function lexingValueAccepted(name: string, value: string): boolean {
  return LEXING_SETTINGS[name.toLowerCase()]?.accepts(value) ?? true;
}

/** PostgreSQL's encoding-name normalisation (lower case, only letters and digits): UTF8, utf-8, unicode. */
export function isUtf8Name(value: string): boolean {
  const n = normalEncodingName(value);
  return n === 'utf8' || n === 'unicode';
}

function normalEncodingName(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** PostgreSQL's parse_bool: on/off, true/false, yes/no (unique prefixes), 1/0. */
export function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  if ('true'.startsWith(v) || 'yes'.startsWith(v) || v === 'on' || v === '1') return true;
  if ('false'.startsWith(v) || 'no'.startsWith(v) || v === 'off' || v === 'of' || v === '0') return false;
  return undefined;
}

/** Every setting change in one raw statement (a wrapped node such as `{ VariableSetStmt: … }`). */
export function settingChanges(stmt: PgNode): SettingChange[] {
  const out: SettingChange[] = [];
  visit(stmt, out);
  return out;
}

/** Throws LexingSettingError when a change would leave lexing other than the gateway parses it. */
export function assertLexingUnchanged(changes: readonly SettingChange[]): void {
  for (const c of changes) {
    if (c.name === '*') throw new LexingSettingError('*');
    const lexing = LEXING_SETTINGS[c.name];
    if (!lexing || c.value === 'default') continue;
    // A RESET returns to the session's value, which the gateway checked when the session started.
    if (c.value === 'computed' || !lexing.accepts(c.value)) throw new LexingSettingError(c.name);
  }
}

const SETTINGS_VIEW = /^(pg_catalog\.)?pg_settings$/;

function visit(node: unknown, out: SettingChange[]): void {
  if (Array.isArray(node)) {
    for (const n of node) visit(n, out);
    return;
  }
  if (!isObject(node)) return;
  const tag = tagOf(node);
  if (tag === 'VariableSetStmt') out.push(...fromSet(node[tag] as PgNode));
  else if (tag === 'FuncCall') fromFunction(node[tag] as PgNode, out);
  else if (tag && WRITES.has(tag)) fromWrite(node[tag] as PgNode, out);
  // A SET nested without its tag (`ALTER ROLE … SET`, `ALTER SYSTEM`) is a bare VariableSetStmt.
  for (const [key, value] of Object.entries(tag ? (node[tag] as PgNode) : node)) {
    if (key === 'setstmt' && isObject(value) && !tagOf(value)) out.push(...fromSet(value));
    if (typeof value === 'object') visit(value, out);
  }
}

const WRITES = new Set(['UpdateStmt', 'InsertStmt', 'DeleteStmt', 'MergeStmt']);

function fromWrite(body: PgNode, out: SettingChange[]): void {
  const rv = asRangeVar(body.relation);
  if (!rv) return;
  const name = `${str(rv.schemaname) ? `${str(rv.schemaname)}.` : ''}${str(rv.relname) ?? ''}`.toLowerCase();
  if (SETTINGS_VIEW.test(name)) out.push({ name: '*', value: 'computed' });
}

function fromSet(body: PgNode): SettingChange[] {
  const kind = str(body.kind);
  if (kind === 'VAR_RESET_ALL') return [{ name: 'all', value: 'default' }];
  const name = (str(body.name) ?? '').toLowerCase();
  // SET TRANSACTION … / SET SESSION CHARACTERISTICS: transaction modes, each a DefElem.
  if (kind === 'VAR_SET_MULTI') {
    return list(body.args).map((a) => ({
      name: (str(unwrap(a, 'DefElem')?.defname) ?? name).toLowerCase(),
      value: 'computed',
    }));
  }
  if (kind === 'VAR_SET_DEFAULT' || kind === 'VAR_RESET') return [{ name, value: 'default' }];
  if (kind !== 'VAR_SET_VALUE') return [{ name, value: 'computed' }];
  const values = list(body.args).map(constantText);
  const value = values.length === 1 && values[0] !== undefined ? values[0] : 'computed';
  return [{ name, value }];
}

function fromFunction(body: PgNode, out: SettingChange[]): void {
  const names = list(body.funcname).map((n) => str(unwrap(n, 'String')?.sval));
  if (names[names.length - 1] !== 'set_config') return;
  const [nameArg, valueArg] = list(body.args);
  const name = constantText(nameArg);
  if (name === undefined) {
    out.push({ name: '*', value: 'computed' });
    return;
  }
  out.push({ name: name.toLowerCase(), value: constantText(valueArg) ?? 'computed' });
}

/**
 * The text of a constant as the server would read the setting's value: a string, a number or a
 * boolean, possibly under casts (`'off'::text`). Anything else (a parameter, a column, a call) is
 * undefined.
 */
function constantText(node: unknown): string | undefined {
  const cast = unwrap(node, 'TypeCast');
  if (cast) return constantText(cast.arg);
  const k = unwrap(node, 'A_Const');
  if (!k || k.isnull === true) return undefined;
  if (isObject(k.sval)) return str(k.sval.sval) ?? '';
  if (isObject(k.ival)) return String(typeof k.ival.ival === 'number' ? k.ival.ival : 0);
  if (isObject(k.fval)) return str(k.fval.fval);
  if (isObject(k.boolval)) return k.boolval.boolval === true ? 'on' : 'off';
  return undefined;
}
