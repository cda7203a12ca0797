/**
 * The session recording format: JSON Lines, one file per session (`<dir>/<session-id>.jsonl`).
 * The first line is `session.start`; every later line carries `t`, milliseconds since that start.
 * Statement text is the inspector's normalized form (literals replaced by placeholders); result
 * rows are the values the client received (after masking), at most `maxResultRows` per result.
 */
import type { QueryResultBody } from '../audit/bodies';
import type { RecordedValue } from './pg-rows';

export const RECORDING_FORMAT = 'warden-recording/1';

export interface SessionStartLine {
  readonly type: 'session.start';
  readonly format: typeof RECORDING_FORMAT;
  readonly protocol: 'postgres';
  readonly session: string;
  /** Wall-clock start, ISO 8601. */
  readonly time: string;
  readonly connection: string;
  readonly principal: {
    readonly subject: string;
    readonly kind: string;
    readonly issuer: string;
    readonly groups: readonly string[];
  };
  /** What the client said about itself in its StartupMessage. */
  readonly client: { readonly user?: string; readonly application?: string };
  readonly maxResultRows: number;
}

export interface StatementLine {
  readonly type: 'statement';
  readonly t: number;
  readonly message: 'query' | 'parse';
  /** Prepared statement name for a Parse ('' = unnamed). */
  readonly statement?: string;
  readonly text?: string;
  readonly fingerprint?: string;
  readonly kinds?: readonly string[];
  /** allow | deny | require-approval, or why no decision was made (syntax-error, not-inspectable, …). */
  readonly decision: string;
  readonly rule?: string;
  readonly reason?: string;
}

export interface ResultSet {
  readonly columns: string[];
  readonly rows: RecordedValue[][];
}

/** What a result line says as its `query.result` audit event does; `rows` counts every row the client received, recorded or not. */
export interface ResultLine
  extends Pick<QueryResultBody, 'via' | 'outcome' | 'rows' | 'bytes' | 'tags' | 'sqlState' | 'durationMs'> {
  readonly type: 'result';
  readonly t: number;
  readonly statement?: string;
  readonly text?: string;
  /** The recorded rows, one set per RowDescription. */
  readonly sets: readonly ResultSet[];
  /** Whether rows were left out because of the cap. */
  readonly truncated: boolean;
}

export interface SessionEndLine {
  readonly type: 'session.end';
  readonly t: number;
  readonly time: string;
  readonly reason: string;
  readonly durationMs: number;
  readonly statements: number;
  readonly sqlState?: string;
}

/** The recorder stopped (gateway shutdown) while the session was still open. */
export interface RecordingStoppedLine {
  readonly type: 'recording.stopped';
  readonly t: number;
  readonly time: string;
}

export type RecordingLine =
  | SessionStartLine
  | StatementLine
  | ResultLine
  | SessionEndLine
  | RecordingStoppedLine;

/** Session ids are gateway-issued UUIDs; anything else is refused before it becomes a path. */
export const SESSION_ID = /^[0-9A-Za-z][0-9A-Za-z-]{0,127}$/;

/**
 * Parses a recording file's text. A last line cut short (a crash mid-write) is dropped, not fatal;
 * any other unparsable line is an error naming its line number.
 */
export function parseRecording(text: string): RecordingLine[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out: RecordingLine[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      out.push(JSON.parse(line) as RecordingLine);
    } catch (err) {
      if (i === lines.length - 1 && i > 0) break;
      throw new SyntaxError(`line ${i + 1} is not JSON`, { cause: err });
    }
  }
  if (out[0]?.type !== 'session.start') throw new SyntaxError('the first line is not a session.start record');
  return out;
}
