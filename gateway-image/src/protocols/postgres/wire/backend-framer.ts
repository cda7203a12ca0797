/**
 * Splits the upstream's byte stream into backend messages (type byte + int32 length) without
 * decoding them: rows are relayed as they arrived. The few messages the gateway must understand
 * are decoded on demand by the functions below, strictly: a malformed body throws ProtocolError and
 * the session ends rather than relay what it could not read.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import type { TransactionStatus } from './backend-writer';
import { ByteReader, messageNamer } from './byte-reader';
import { ChunkQueue } from './chunk-queue';
import { UpstreamError } from './errors';

/** Type bytes of backend (server → client) messages: those the gateway reads, rewrites or writes. */
export const BackendCode = {
  ParseComplete: 0x31, // '1'
  BindComplete: 0x32, // '2'
  CloseComplete: 0x33, // '3'
  NotificationResponse: 0x41, // 'A'
  CommandComplete: 0x43, // 'C'
  DataRow: 0x44, // 'D'
  ErrorResponse: 0x45, // 'E'
  CopyInResponse: 0x47, // 'G'
  CopyOutResponse: 0x48, // 'H'
  EmptyQueryResponse: 0x49, // 'I'
  BackendKeyData: 0x4b, // 'K'
  NoticeResponse: 0x4e, // 'N'
  Authentication: 0x52, // 'R'
  ParameterStatus: 0x53, // 'S'
  RowDescription: 0x54, // 'T'
  CopyBothResponse: 0x57, // 'W'
  ReadyForQuery: 0x5a, // 'Z'
  CopyDone: 0x63, // 'c'
  CopyData: 0x64, // 'd'
  NoData: 0x6e, // 'n'
  PortalSuspended: 0x73, // 's'
  ParameterDescription: 0x74, // 't'
  NegotiateProtocolVersion: 0x76, // 'v'
} as const;

export interface BackendFrame {
  readonly code: number;
  /** The whole message, type byte and length included. */
  readonly raw: Buffer;
}

export class BackendFramer {
  private readonly queue = new ChunkQueue();

  constructor(private readonly maxMessageBytes = 0x3fffffff) {}

  push(chunk: Buffer): BackendFrame[] {
    const out: BackendFrame[] = [];
    this.each(chunk, (code, src, start, end) => out.push({ code, raw: src.subarray(start, end) }));
    return out;
  }

  /**
   * Calls `visit` for each whole message, as a range of the buffer that holds it: the chunk itself
   * for every message inside it (no view, no copy), a joined buffer for one that spanned chunks.
   */
  each(chunk: Buffer, visit: (code: number, src: Buffer, start: number, end: number) => void): void {
    let at = 0;
    // First, the message an earlier chunk began: take just enough of this one to finish it.
    while (this.queue.length > 0) {
      // Its header first (5 bytes), then the length it gives.
      const size = this.queue.length < 5 ? 5 : this.messageLength(this.queue.peek(5), 0) + 1;
      const missing = size - this.queue.length;
      if (missing > 0) {
        const n = Math.min(missing, chunk.length - at);
        if (n === 0) return;
        this.queue.push(chunk.subarray(at, at + n));
        at += n;
        continue;
      }
      const raw = this.queue.take(size);
      visit(raw[0]!, raw, 0, size);
    }
    while (at + 5 <= chunk.length) {
      const end = at + 1 + this.messageLength(chunk, at);
      if (end > chunk.length) break;
      visit(chunk[at]!, chunk, at, end);
      at = end;
    }
    if (at < chunk.length) this.queue.push(at === 0 ? chunk : chunk.subarray(at));
  }

  /** The int32 length of the message at `at` (which excludes the type byte), checked. */
  private messageLength(src: Buffer, at: number): number {
    const length = src.readInt32BE(at + 1);
    if (length < 4 || length > this.maxMessageBytes) {
      throw new UpstreamError(`upstream sent an invalid message length ${length}`);
    }
    return length;
  }

  /** Bytes not yet part of a whole message (handed over when a new framer takes the stream). */
  takeRemainder(): Buffer {
    return this.queue.drain();
  }
}

const messageName = messageNamer(BackendCode);

/** A reader of a backend message's body (after its type byte and length), named in its errors. */
export function bodyReader(raw: Buffer): ByteReader {
  return new ByteReader(raw, 5, `upstream ${messageName(raw[0] ?? 0)}`);
}

export interface UpstreamErrorFields {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
}

/** One field of an ErrorResponse / NoticeResponse, and where it lies in the message (tag to NUL). */
export interface ResponseField {
  readonly tag: string;
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** ErrorResponse / NoticeResponse: field tag byte + NUL-terminated value, repeated, then a NUL (protocol-error-fields). */
export function decodeResponseFields(raw: Buffer): ResponseField[] {
  const r = bodyReader(raw);
  const fields: ResponseField[] = [];
  for (;;) {
    const start = r.offset;
    const tag = r.byte();
    if (tag === 0) break;
    fields.push({ tag: String.fromCharCode(tag), value: r.cstring(), start, end: r.offset });
  }
  r.end();
  return fields;
}

/** The fields of an ErrorResponse / NoticeResponse the gateway tracks. */
export function decodeErrorFields(raw: Buffer): UpstreamErrorFields {
  const fields = new Map(decodeResponseFields(raw).map((f) => [f.tag, f.value]));
  return {
    // 'V' is the non-localised severity; older servers only send 'S'.
    severity: fields.get('V') ?? fields.get('S') ?? 'ERROR',
    code: fields.get('C') ?? 'XX000',
    message: fields.get('M') ?? '',
  };
}

export function decodeCommandTag(raw: Buffer): string {
  const r = bodyReader(raw);
  const tag = r.cstring();
  r.end();
  return tag;
}

export function decodeParameterStatus(raw: Buffer): [string, string] {
  const r = bodyReader(raw);
  const name = r.cstring();
  const value = r.cstring();
  r.end();
  return [name, value];
}

/** ReadyForQuery's transaction status byte. */
export function decodeTransactionStatus(raw: Buffer): TransactionStatus {
  const r = bodyReader(raw);
  const status = String.fromCharCode(r.byte());
  r.end();
  if (status !== 'I' && status !== 'T' && status !== 'E')
    throw r.error(`invalid transaction status ${status}`);
  return status;
}

export function decodeBackendKey(raw: Buffer): { processId: number; secretKey: Buffer } {
  const r = bodyReader(raw);
  const processId = r.int32();
  // 4 bytes in protocol 3.0; up to 256 in 3.2.
  if (r.remaining < 4 || r.remaining > 256) throw r.error(`invalid secret key length ${r.remaining}`);
  return { processId, secretKey: Buffer.from(r.rest()) };
}

/** Authentication request: the int32 subtype and what follows it. */
export function decodeAuthentication(raw: Buffer): { kind: number; data: Buffer } {
  const r = bodyReader(raw);
  return { kind: r.int32(), data: r.rest() };
}

/** AuthenticationSASL's data: NUL-terminated mechanism names, then an empty one. */
export function decodeSaslMechanisms(data: Buffer): string[] {
  const r = new ByteReader(data, 0, 'upstream AuthenticationSASL');
  const mechanisms: string[] = [];
  for (let m = r.cstring(); m !== ''; m = r.cstring()) mechanisms.push(m);
  r.end();
  return mechanisms;
}

/** AuthenticationMD5Password's data: the 4-byte salt. */
export function decodeMd5Salt(data: Buffer): Buffer {
  const r = new ByteReader(data, 0, 'upstream AuthenticationMD5Password');
  const salt = r.bytes(4);
  r.end();
  return salt;
}

/** CopyIn/Out/BothResponse: the overall format and the number of columns (each with its format). */
export function decodeCopyResponse(raw: Buffer): { readonly binary: boolean; readonly columns: number } {
  const r = bodyReader(raw);
  const format = r.byte();
  if (format !== 0 && format !== 1) throw r.error(`invalid format ${format}`);
  const columns = r.count();
  for (let i = 0; i < columns; i++) {
    const f = r.int16();
    // A text COPY has every column in text (protocol-message-formats).
    if (f !== 0 && (f !== 1 || format === 0)) throw r.error(`invalid column format ${f}`);
  }
  r.end();
  return { binary: format === 1, columns };
}

/** NotificationResponse: the notifying backend's process ID, the channel and the payload. */
export function decodeNotification(raw: Buffer): { processId: number; channel: string; payload: string } {
  const r = bodyReader(raw);
  const notification = { processId: r.int32(), channel: r.cstring(), payload: r.cstring() };
  r.end();
  return notification;
}
