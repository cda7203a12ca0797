/**
 * Reads a session recording and renders it for a reviewer: time offsets, statements with their
 * decisions, result counts and the first rows as a table, errors, and how the session ended.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WardenError } from '../errors';
import {
  parseRecording,
  type RecordingLine,
  type ResultLine,
  type ResultSet,
  SESSION_ID,
  type SessionStartLine,
  type StatementLine,
} from './format';

export class RecordingError extends WardenError {
  constructor(code: 'ERR_RECORDING_NOT_FOUND' | 'ERR_RECORDING_INVALID', message: string, cause?: unknown) {
    super(code, message, cause === undefined ? undefined : { cause });
  }
}

/**
 * Loads `<dir>/<id>.jsonl`. A unique prefix of a session id is accepted too (ids are long UUIDs);
 * an unknown or ambiguous id is a RecordingError saying so.
 */
export async function readRecording(dir: string, id: string): Promise<RecordingLine[]> {
  if (!SESSION_ID.test(id)) {
    throw new RecordingError('ERR_RECORDING_NOT_FOUND', `"${id}" is not a session id`);
  }
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new RecordingError(
      'ERR_RECORDING_NOT_FOUND',
      `cannot read recordings directory ${dir}: ${code}`,
      err,
    );
  }
  const exact = `${id}.jsonl`;
  const matches = names.includes(exact) ? [exact] : names.filter((n) => n.startsWith(id));
  if (matches.length === 0) {
    throw new RecordingError('ERR_RECORDING_NOT_FOUND', `no recording of session ${id} in ${dir}`);
  }
  if (matches.length > 1) {
    throw new RecordingError(
      'ERR_RECORDING_NOT_FOUND',
      `session id prefix ${id} matches ${matches.length} recordings in ${dir}; give more of the id`,
    );
  }
  const path = join(dir, matches[0]!);
  try {
    return parseRecording(await readFile(path, 'utf8'));
  } catch (err) {
    throw new RecordingError('ERR_RECORDING_INVALID', `${path}: ${(err as Error).message}`, err);
  }
}

export interface FormatOptions {
  /** Rows shown per result set. @default 10 */
  readonly rows?: number;
  /** Widest a table cell is printed, in characters. @default 40 */
  readonly maxCellWidth?: number;
}

export function formatRecording(lines: readonly RecordingLine[], opts: FormatOptions = {}): string {
  const rowsShown = opts.rows ?? 10;
  const cellWidth = opts.maxCellWidth ?? 40;
  const out: string[] = [];
  const at = (t: number) => `+${(t / 1000).toFixed(3)}s`.padStart(10);
  const indent = ' '.repeat(12);
  for (const line of lines) {
    switch (line.type) {
      case 'session.start':
        out.push(...header(line));
        break;
      case 'statement':
        out.push(`${at(line.t)}  ${line.message === 'parse' ? `parse ${name(line.statement)}` : 'query'}`);
        out.push(...block(line.text ?? '(text not recorded: the statement could not be inspected)', indent));
        out.push(`${indent}→ ${decision(line)}`);
        break;
      case 'result':
        out.push(`${at(line.t)}  ${resultSummary(line)}`);
        for (const set of line.sets) out.push(...table(set, rowsShown, cellWidth, indent));
        if (line.truncated) {
          const kept = line.sets.reduce((n, s) => n + s.rows.length, 0);
          out.push(`${indent}(${kept} of ${line.rows} rows recorded)`);
        }
        break;
      case 'session.end':
        out.push(
          `${at(line.t)}  session end: ${line.reason}${line.sqlState ? ` [${line.sqlState}]` : ''}, ` +
            `${line.statements} statement${line.statements === 1 ? '' : 's'}, ${(line.durationMs / 1000).toFixed(1)}s`,
        );
        break;
      case 'recording.stopped':
        out.push(`${at(line.t)}  recording stopped (gateway shut down) while the session was open`);
        break;
    }
  }
  const last = lines.at(-1);
  if (last && last.type !== 'session.end' && last.type !== 'recording.stopped') {
    out.push(`${' '.repeat(12)}(no end record: the session was live or the gateway stopped abruptly)`);
  }
  return `${out.join('\n')}\n`;
}

function header(s: SessionStartLine): string[] {
  const p = s.principal;
  const groups = p.groups.length > 0 ? `, groups ${p.groups.join(', ')}` : '';
  const client = [
    s.client.user && `user ${s.client.user}`,
    s.client.application && `app ${s.client.application}`,
  ]
    .filter(Boolean)
    .join(', ');
  return [
    `Session ${s.session} (${s.protocol}) on connection ${s.connection}`,
    `  principal ${p.subject} (${p.kind}${groups}) via ${p.issuer}`,
    `  started ${s.time}${client ? `; client ${client}` : ''}; up to ${s.maxResultRows} rows kept per result`,
    '',
  ];
}

function name(statement: string | undefined): string {
  return statement ? `"${statement}"` : '(unnamed)';
}

function decision(s: StatementLine): string {
  const rule = s.rule ? ` by rule ${s.rule}` : '';
  const reason = s.reason ? `: ${s.reason}` : '';
  return `${s.decision.toUpperCase()}${rule}${reason}`;
}

function resultSummary(r: ResultLine): string {
  const error = r.sqlState ? `, SQLSTATE ${r.sqlState}` : '';
  if (r.via === 'refusal') return `refused by the gateway${error}`;
  const what = r.via === 'execute' ? `execute ${name(r.statement)}` : 'result';
  const tags = r.tags.length > 0 ? ` ${r.tags.join('; ')}` : '';
  const rows = `${r.rows} row${r.rows === 1 ? '' : 's'}`;
  return `${what}: ${r.outcome}${tags}, ${rows}${error} (${r.durationMs.toFixed(1)} ms)`;
}

function block(text: string, indent: string): string[] {
  return text.split('\n').map((l) => `${indent}${l}`);
}

function table(set: ResultSet, limit: number, width: number, indent: string): string[] {
  const rows = set.rows.slice(0, limit);
  const count = Math.max(set.columns.length, ...rows.map((r) => r.length));
  if (count === 0) return [];
  const cell = (v: string | null | undefined) => {
    const s = v === null ? 'NULL' : (v ?? '').replace(/[\r\n\t]/g, ' ');
    return s.length > width ? `${s.slice(0, width - 1)}…` : s;
  };
  const head = Array.from({ length: count }, (_, i) => cell(set.columns[i] ?? `column${i + 1}`));
  const body = rows.map((r) => Array.from({ length: count }, (_, i) => cell(r[i])));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `${indent}| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `${indent}|${widths.map((w) => '-'.repeat(w + 2)).join('+')}|`;
  const out = [line(head), rule, ...body.map(line)];
  if (set.rows.length > limit) out.push(`${indent}… ${set.rows.length - limit} more recorded rows`);
  return out;
}
