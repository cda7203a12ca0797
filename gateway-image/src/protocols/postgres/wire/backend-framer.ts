/**
 * Splits the upstream's byte stream into backend messages (type byte + int32 length) without
 * decoding them: rows are relayed as they arrived. The few messages the gateway must understand
 * are decoded on demand by the functions below.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
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

function cstrings(raw: Buffer, from: number): string[] {
  const out: string[] = [];
  let at = from;
  while (at < raw.length) {
    const end = raw.indexOf(0, at);
    if (end < 0) break;
    out.push(raw.toString('utf8', at, end));
    at = end + 1;
  }
  return out;
}

export interface UpstreamErrorFields {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
}

/** ErrorResponse / NoticeResponse: field tag byte + NUL-terminated value, repeated (protocol-error-fields). */
export function decodeErrorFields(raw: Buffer): UpstreamErrorFields {
  const fields = new Map<string, string>();
  let at = 5;
  while (at < raw.length && raw[at] !== 0) {
    const tag = String.fromCharCode(raw[at]!);
    const end = raw.indexOf(0, at + 1);
    if (end < 0) break;
    fields.set(tag, raw.toString('utf8', at + 1, end));
    at = end + 1;
  }
  return {
    // 'V' is the non-localised severity; older servers only send 'S'.
    severity: fields.get('V') ?? fields.get('S') ?? 'ERROR',
    code: fields.get('C') ?? 'XX000',
    message: fields.get('M') ?? '',
  };
}

export function decodeCommandTag(raw: Buffer): string {
  return cstrings(raw, 5)[0] ?? '';
}

export function decodeParameterStatus(raw: Buffer): [string, string] {
  const [name = '', value = ''] = cstrings(raw, 5);
  return [name, value];
}

/** ReadyForQuery's transaction status byte: 'I', 'T' or 'E'. */
export function decodeTransactionStatus(raw: Buffer): string {
  return String.fromCharCode(raw[5] ?? 0x49);
}

export function decodeBackendKey(raw: Buffer): { processId: number; secretKey: Buffer } {
  if (raw.length < 13) throw new UpstreamError('upstream sent a short BackendKeyData');
  return { processId: raw.readInt32BE(5), secretKey: Buffer.from(raw.subarray(9)) };
}

/** Authentication request: the int32 subtype and what follows it. */
export function decodeAuthentication(raw: Buffer): { kind: number; data: Buffer } {
  if (raw.length < 9) throw new UpstreamError('upstream sent a short Authentication message');
  return { kind: raw.readInt32BE(5), data: raw.subarray(9) };
}

/** AuthenticationSASL: NUL-terminated mechanism names, then an empty one. */
export function decodeSaslMechanisms(data: Buffer): string[] {
  return cstrings(data, 0).filter((m) => m !== '');
}
