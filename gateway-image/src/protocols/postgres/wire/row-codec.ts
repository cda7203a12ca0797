/**
 * RowDescription and DataRow, decoded and rebuilt for the result masker. Pure codecs: bytes in,
 * bytes out. DataRow values stay Buffers (views into the frame) so unmasked columns are copied,
 * never decoded.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { BackendCode, bodyReader } from './backend-framer';

/** pg_type OIDs the masker names: masked columns are announced as `text`. */
export const TypeOid = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

export interface FieldDescription {
  readonly name: string;
  readonly tableOid: number;
  readonly column: number;
  readonly typeOid: number;
  readonly typeSize: number;
  readonly typeModifier: number;
  /** 0 text, 1 binary; always 0 in a statement Describe (not yet known). */
  readonly format: number;
}

export function decodeRowDescription(raw: Buffer): FieldDescription[] {
  const r = bodyReader(raw);
  const out: FieldDescription[] = [];
  for (let n = r.count(); n > 0; n--) {
    out.push({
      name: r.cstring(),
      tableOid: r.uint32(),
      column: r.int16(),
      typeOid: r.uint32(),
      typeSize: r.int16(),
      typeModifier: r.int32(),
      format: r.int16(),
    });
  }
  r.end();
  return out;
}

export function encodeRowDescription(fields: readonly FieldDescription[]): Buffer {
  const names = fields.map((f) => Buffer.from(`${f.name}\0`, 'utf8'));
  const length = 4 + 2 + names.reduce((sum, n) => sum + n.length + 18, 0);
  const out = Buffer.allocUnsafe(1 + length);
  out[0] = BackendCode.RowDescription;
  out.writeInt32BE(length, 1);
  out.writeInt16BE(fields.length, 5);
  let at = 7;
  fields.forEach((f, i) => {
    at += names[i]!.copy(out, at);
    out.writeUInt32BE(f.tableOid, at);
    out.writeInt16BE(f.column, at + 4);
    out.writeUInt32BE(f.typeOid, at + 6);
    out.writeInt16BE(f.typeSize, at + 10);
    out.writeInt32BE(f.typeModifier, at + 12);
    out.writeInt16BE(f.format, at + 16);
    at += 18;
  });
  return out;
}

/** How a masked column is announced: text, variable length, no modifier, text format. */
export function asText(f: FieldDescription): FieldDescription {
  return { ...f, typeOid: TypeOid.text, typeSize: -1, typeModifier: -1, format: 0 };
}

/**
 * A DataRow's values (null for SQL NULL) as views into `raw`, for the gateway's own queries. The
 * result masker locates values itself (RowMasker), in place, per column of every relayed row.
 */
export function decodeDataRow(raw: Buffer): (Buffer | null)[] {
  const r = bodyReader(raw);
  const out: (Buffer | null)[] = [];
  for (let n = r.count(); n > 0; n--) {
    const length = r.int32();
    if (length < -1) throw r.error(`invalid value length ${length}`);
    out.push(length === -1 ? null : r.bytes(length));
  }
  r.end();
  return out;
}

const TEXT_LIKE: ReadonlySet<number> = new Set([
  TypeOid.text,
  TypeOid.varchar,
  TypeOid.bpchar,
  TypeOid.name,
  TypeOid.json,
]);

/** Types whose values cannot carry text (numbers, times, booleans, UUIDs): no detector runs on them. */
const NO_TEXT: ReadonlySet<number> = new Set([
  TypeOid.bool,
  TypeOid.int2,
  TypeOid.int4,
  TypeOid.int8,
  TypeOid.oid,
  TypeOid.float4,
  TypeOid.float8,
  TypeOid.numeric,
  TypeOid.date,
  TypeOid.time,
  TypeOid.timestamp,
  TypeOid.timestamptz,
  TypeOid.uuid,
]);

export function carriesNoText(typeOid: number): boolean {
  return NO_TEXT.has(typeOid);
}

const PG_EPOCH_DAYS = 10_957; // 2000-01-01 in days since 1970-01-01

/**
 * The text form of a binary value, for the types whose binary format is simple; undefined for the
 * rest (the masker then redacts, since it cannot cut or token a value it cannot read).
 */
export function binaryToText(typeOid: number, v: Buffer): string | undefined {
  if (TEXT_LIKE.has(typeOid)) return v.toString('utf8');
  switch (typeOid) {
    case TypeOid.jsonb:
      // Version byte 1, then the JSON text.
      return v[0] === 1 ? v.toString('utf8', 1) : undefined;
    case TypeOid.int2:
      return v.length === 2 ? String(v.readInt16BE(0)) : undefined;
    case TypeOid.int4:
      return v.length === 4 ? String(v.readInt32BE(0)) : undefined;
    case TypeOid.int8:
      return v.length === 8 ? String(v.readBigInt64BE(0)) : undefined;
    case TypeOid.date: {
      if (v.length !== 4) return undefined;
      const ms = (v.readInt32BE(0) + PG_EPOCH_DAYS) * 86_400_000;
      return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : undefined;
    }
    default:
      return undefined;
  }
}

/** Whether a binary value of this type is its text's UTF-8 bytes (so detectors can rewrite it in place). */
export function binaryIsText(typeOid: number): boolean {
  return TEXT_LIKE.has(typeOid);
}
