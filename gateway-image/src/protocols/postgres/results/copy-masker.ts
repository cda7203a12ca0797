/**
 * COPY … TO STDOUT rows in text and CSV format, masked field by field. The options (delimiter,
 * NULL string, quote, header) come from the statement's parse tree, because the CopyOutResponse
 * only says text or binary; an agent choosing `DELIMITER '|'` must not shift the columns.
 * https://www.postgresql.org/docs/current/sql-copy.html#SQL-COPY-FILE-FORMATS
 */
import type { PgNode } from '../../../inspect/sql/names';
import { isObject, list, qualifiedName, str, stringList, unwrap } from '../../../inspect/sql/names';
import type { ColumnPlan } from '../../../masking/column-masker';
import type { Output } from '../../../masking/lineage/index';

export interface CopyOptions {
  readonly csv: boolean;
  readonly binary: boolean;
  readonly delimiter: string;
  readonly nullString: string;
  readonly quote: string;
  readonly escape: string;
  readonly header: boolean;
}

const TEXT_DEFAULTS: CopyOptions = {
  csv: false,
  binary: false,
  delimiter: '\t',
  nullString: '\\N',
  quote: '"',
  escape: '"',
  header: false,
};

/** The output options of a CopyStmt (`COPY … TO`); undefined for anything else. */
export function copyOptionsOf(stmt: PgNode): CopyOptions | undefined {
  const body = unwrap(stmt, 'CopyStmt');
  if (!body || body.is_from) return undefined;
  const opts: Record<string, string | true> = {};
  for (const o of list(body.options)) {
    const d = unwrap(o, 'DefElem');
    const name = str(d?.defname);
    if (!d || !name) continue;
    const arg = isObject(d.arg) ? d.arg : undefined;
    const s = str(unwrap(arg, 'String')?.sval);
    const b = unwrap(arg, 'Boolean');
    opts[name] = s ?? (b ? String(b.boolval === true) : true);
  }
  const format = String(opts.format ?? 'text').toLowerCase();
  const csv = format === 'csv';
  const quote = typeof opts.quote === 'string' ? opts.quote : '"';
  const header = opts.header === true || /^(true|on|1|match)$/i.test(String(opts.header ?? ''));
  return {
    csv,
    binary: format === 'binary',
    delimiter: typeof opts.delimiter === 'string' ? opts.delimiter : csv ? ',' : '\t',
    nullString: typeof opts.null === 'string' ? opts.null : csv ? '' : '\\N',
    quote,
    escape: typeof opts.escape === 'string' ? opts.escape : quote,
    header,
  };
}

/** `COPY t (a, b) TO …`: the listed columns, which the relation's `*` lineage would not line up with. */
export function copyColumnList(stmt: PgNode, searchPath: readonly string[]): Output[] | undefined {
  const body = unwrap(stmt, 'CopyStmt');
  const rel = isObject(body?.relation) ? body.relation : undefined;
  const cols = list(body?.attlist).flatMap((a) => stringList([a]));
  if (!rel || cols.length === 0) return undefined;
  const relation = qualifiedName(rel, searchPath);
  return cols.map((column) => ({
    kind: 'expr',
    sources: [{ relation, column }],
    plain: true,
    opaque: false,
  }));
}

export type FieldMasker = (plan: ColumnPlan, value: string, column: number) => string | null;

/** Masks one CopyData message's rows; rows are whole lines (PostgreSQL sends one row per message). */
export class CopyRowMasker {
  private headerPending: boolean;
  private carry = '';

  constructor(
    private readonly opts: CopyOptions = TEXT_DEFAULTS,
    private readonly plans: readonly ColumnPlan[],
    private readonly maskField: FieldMasker,
  ) {
    this.headerPending = opts.header;
  }

  /** The masked payload of a CopyData message. */
  mask(data: Buffer): Buffer {
    const text = this.carry + data.toString('utf8');
    const rows = this.opts.csv ? splitCsvRows(text, this.opts.quote, this.opts.escape) : splitLines(text);
    this.carry = rows.pop() ?? '';
    let out = '';
    for (const row of rows) {
      if (this.headerPending) {
        this.headerPending = false;
        out += row;
        continue;
      }
      out += this.row(row);
    }
    return Buffer.from(out, 'utf8');
  }

  private row(line: string): string {
    const eol = line.endsWith('\r\n') ? '\r\n' : line.endsWith('\n') ? '\n' : '';
    const body = line.slice(0, line.length - eol.length);
    const fields = this.opts.csv
      ? splitCsvFields(body, this.opts.delimiter, this.opts.quote, this.opts.escape)
      : splitTextFields(body, this.opts.delimiter);
    const masked = fields.map((raw, i) => {
      const plan = this.plans[i] ?? { kind: 'mask', entity: 'PHI', strategy: 'redact' };
      if (plan.kind === 'pass') return raw;
      const value = this.decode(raw);
      if (value === null) return raw;
      const out = this.maskField(plan, value, i);
      if (out === value) return raw;
      return out === null ? this.opts.nullString : this.encode(out);
    });
    return masked.join(this.opts.delimiter) + eol;
  }

  private decode(raw: string): string | null {
    const o = this.opts;
    if (o.csv) {
      if (raw === o.nullString) return null;
      if (!raw.startsWith(o.quote)) return raw;
      return unquoteCsv(raw, o.quote, o.escape);
    }
    if (raw === o.nullString) return null;
    return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
      if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
      if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
      return ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' } as Record<string, string>)[e] ?? e;
    });
  }

  private encode(value: string): string {
    const o = this.opts;
    if (o.csv) {
      const needs =
        value === o.nullString ||
        /[\r\n]/.test(value) ||
        value.includes(o.delimiter) ||
        value.includes(o.quote);
      return needs ? o.quote + value.replaceAll(o.quote, o.escape + o.quote) + o.quote : value;
    }
    return value
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
      .replaceAll(o.delimiter, `\\${o.delimiter}`);
  }
}

/** Lines with their terminators; the last element is an unterminated remainder ('' if none). */
function splitLines(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
    out.push(text.slice(at, nl + 1));
    at = nl + 1;
  }
  out.push(text.slice(at));
  return out;
}

/** Text-format fields: a backslash escapes the next character, delimiter included. */
function splitTextFields(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line.startsWith(delimiter, i)) {
      out.push(line.slice(start, i));
      start = i + delimiter.length;
    }
  }
  out.push(line.slice(start));
  return out;
}

/** CSV rows: newlines inside quoted fields do not end a row. */
function splitCsvRows(text: string, quote: string, esc: string): string[] {
  const out: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes && ch === esc && esc !== quote && text[i + 1] === quote) i++;
    else if (ch === quote) inQuotes = !inQuotes;
    else if (ch === '\n' && !inQuotes) {
      out.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

function splitCsvFields(line: string, delimiter: string, quote: string, esc: string): string[] {
  const out: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inQuotes && ch === esc && esc !== quote && line[i + 1] === quote) i++;
    else if (ch === quote) inQuotes = !inQuotes;
    else if (!inQuotes && line.startsWith(delimiter, i)) {
      out.push(line.slice(start, i));
      start = i + delimiter.length;
    }
  }
  out.push(line.slice(start));
  return out;
}

function unquoteCsv(raw: string, quote: string, esc: string): string {
  let out = '';
  let inQuotes = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (inQuotes && ch === esc && raw[i + 1] === quote) {
      out += quote;
      i++;
    } else if (ch === quote) inQuotes = !inQuotes;
    else out += ch;
  }
  return out;
}
