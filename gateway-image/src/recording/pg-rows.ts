/**
 * Decodes the two backend messages a recording keeps: RowDescription (column names) and DataRow
 * (values as the client received them), read with the Postgres adapter's wire decoders. Pure:
 * bytes in, strings out.
 */
import { BackendCode } from '../protocols/postgres/wire/backend-framer';
import { ProtocolError } from '../protocols/postgres/wire/errors';
import {
  decodeRowDescription as decodeFields,
  decodeDataRow as decodeValues,
} from '../protocols/postgres/wire/row-codec';

/** A recorded value: text as sent, `null` for SQL NULL, or `\x…` hex for bytes that are not text. */
export type RecordedValue = string | null;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface RecordedColumns {
  readonly names: string[];
  /** Per column: 1 when the server said binary (a Describe of a statement always says 0). */
  readonly formats: number[];
}

/** Column names of a RowDescription, or undefined for any other (or a malformed) message. */
export function decodeRowDescription(message: Buffer): RecordedColumns | undefined {
  if (message[0] !== BackendCode.RowDescription) return undefined;
  const fields = orUndefined(() => decodeFields(message));
  return fields && { names: fields.map((f) => f.name), formats: fields.map((f) => f.format) };
}

/** Values of a DataRow, or undefined for any other (or a malformed) message. */
export function decodeDataRow(message: Buffer, formats: readonly number[] = []): RecordedValue[] | undefined {
  if (message[0] !== BackendCode.DataRow) return undefined;
  const values = orUndefined(() => decodeValues(message));
  return values?.map((v, i) => (v === null ? null : renderValue(v, formats[i] === 1)));
}

/** The wire's own strict decoders; a recording skips what they refuse (the session has ended then). */
function orUndefined<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
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
