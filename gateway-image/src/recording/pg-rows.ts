/**
 * Decodes the two backend messages a recording keeps: RowDescription (column names) and DataRow
 * (values as the client received them). Pure: bytes in, strings out.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** A recorded value: text as sent, `null` for SQL NULL, or `\x…` hex for bytes that are not text. */
export type RecordedValue = string | null;

const ROW_DESCRIPTION = 0x54; // 'T'
const DATA_ROW = 0x44; // 'D'
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface RecordedColumns {
  readonly names: string[];
  /** Per column: 1 when the server said binary (a Describe of a statement always says 0). */
  readonly formats: number[];
}

/** Column names of a RowDescription, or undefined for any other message. */
export function decodeRowDescription(message: Buffer): RecordedColumns | undefined {
  if (message[0] !== ROW_DESCRIPTION || message.length < 7) return undefined;
  const count = message.readInt16BE(5);
  const names: string[] = [];
  const formats: number[] = [];
  let at = 7;
  for (let i = 0; i < count; i++) {
    const nul = message.indexOf(0, at);
    if (nul < 0) return undefined;
    names.push(message.toString('utf8', at, nul));
    // After the name: table oid (4), column number (2), type oid (4), size (2), modifier (4), format (2).
    const fmt = nul + 1 + 16;
    if (fmt + 2 > message.length) return undefined;
    formats.push(message.readInt16BE(fmt));
    at = fmt + 2;
  }
  return { names, formats };
}

/** Values of a DataRow, or undefined for any other (or a malformed) message. */
export function decodeDataRow(message: Buffer, formats: readonly number[] = []): RecordedValue[] | undefined {
  if (message[0] !== DATA_ROW || message.length < 7) return undefined;
  const count = message.readInt16BE(5);
  const values: RecordedValue[] = [];
  let at = 7;
  for (let i = 0; i < count; i++) {
    if (at + 4 > message.length) return undefined;
    const len = message.readInt32BE(at);
    at += 4;
    if (len < 0) {
      values.push(null);
      continue;
    }
    if (at + len > message.length) return undefined;
    values.push(renderValue(message.subarray(at, at + len), formats[i] === 1));
    at += len;
  }
  return values;
}

// Binary-format values are only recognisable by their bytes when the RowDescription came from a
// Describe of a statement (format 0 there, the Bind decides): anything that is not clean UTF-8
// text is kept as hex so the recording stays valid JSON and loses nothing.
function renderValue(bytes: Buffer, binary: boolean): string {
  if (!binary) {
    try {
      const text = utf8.decode(bytes);
      if (!/[\u0000-\u0008\u000e-\u001f]/.test(text)) return text;
    } catch {
      // not UTF-8: fall through to hex
    }
  }
  return `\\x${bytes.toString('hex')}`;
}
