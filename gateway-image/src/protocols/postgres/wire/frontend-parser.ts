/**
 * Incremental parser of frontend (client → server) messages. Bytes in, messages out, no I/O.
 * Malformed input throws ProtocolError; after that the parser must not be used again. Chunks handed
 * in must not be reused by the caller (socket 'data' buffers never are).
 * Emitted `raw` buffers are never overwritten (see ChunkQueue), so forwarding them later is safe.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { ChunkQueue } from './chunk-queue';
import { ProtocolError } from './errors';
import {
  FrontendCode,
  type FrontendMessage,
  type RegularMessage,
  StartupCode,
  type StartupPacket,
} from './messages';

export interface FrontendParserOptions {
  /** Largest regular message, length word included. @default 1 GiB - 1 (PostgreSQL's PQ_LARGE_MESSAGE_LIMIT) */
  readonly maxMessageBytes?: number;
  /** Largest startup packet. @default 10000 (PostgreSQL's MAX_STARTUP_PACKET_LENGTH) */
  readonly maxStartupBytes?: number;
}

/** Messages that PostgreSQL reads with PQ_SMALL_MESSAGE_LIMIT: a bigger one is an attack or a bug. */
const SMALL_MESSAGE_LIMIT = 10_000;
const SMALL_TYPES = new Set<number>([
  FrontendCode.Close,
  FrontendCode.Describe,
  FrontendCode.Flush,
  FrontendCode.Sync,
  FrontendCode.Terminate,
  FrontendCode.CopyDone,
]);

export class FrontendParser {
  /** Startup packets have no type byte; the parser switches to typed messages after StartupMessage. */
  private phase: 'startup' | 'regular' = 'startup';
  private readonly queue = new ChunkQueue();
  /** May be changed as the session moves on (small until the client is authenticated). */
  maxMessageBytes: number;
  private readonly maxStartupBytes: number;

  constructor(options: FrontendParserOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? 0x3fffffff;
    this.maxStartupBytes = options.maxStartupBytes ?? 10_000;
  }

  /** Bytes received but not yet part of a whole message. */
  get pendingBytes(): number {
    return this.queue.length;
  }

  get inStartupPhase(): boolean {
    return this.phase === 'startup';
  }

  /** Parses every whole message in the bytes received so far. */
  parse(chunk: Buffer): FrontendMessage[] {
    this.queue.push(chunk);
    const out: FrontendMessage[] = [];
    for (;;) {
      const needed = this.nextLength();
      if (needed === undefined || this.queue.length < needed) return out;
      const buffer = this.queue.take(needed);
      const message = this.phase === 'startup' ? parseStartup(buffer) : parseRegular(buffer);
      if (message.type === 'startup') this.phase = 'regular';
      out.push(message);
    }
  }

  /** Total size of the next message, or undefined while its header is incomplete. */
  private nextLength(): number | undefined {
    const headerBytes = this.phase === 'startup' ? 4 : 5;
    if (this.queue.length < headerBytes) return undefined;
    const head = this.queue.peek(headerBytes);
    if (this.phase === 'startup') {
      const length = head.readInt32BE(0);
      if (length < 8 || length > this.maxStartupBytes) {
        throw new ProtocolError(`invalid startup packet length ${length}`);
      }
      return length;
    }
    const code = head[0]!;
    const length = head.readInt32BE(1);
    const limit = SMALL_TYPES.has(code) ? SMALL_MESSAGE_LIMIT : this.maxMessageBytes;
    if (length < 4 || length > limit) {
      throw new ProtocolError(`invalid length ${length} for message type 0x${code.toString(16)}`);
    }
    return length + 1;
  }
}

/** Reads NUL-terminated strings and integers inside one message, never past its end. */
class Reader {
  offset: number;

  constructor(
    private readonly buffer: Buffer,
    start: number,
    private readonly what: string,
  ) {
    this.offset = start;
  }

  cstring(): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end < 0) throw new ProtocolError(`${this.what}: string not terminated`);
    const value = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }

  /**
   * A NUL-terminated SQL text. Node decodes invalid UTF-8 to U+FFFD; the server (client_encoding
   * UTF8) rejects such bytes, so the gateway must not inspect a text it decoded differently.
   */
  sqlText(): { sql: string; invalidUtf8?: true } {
    const start = this.offset;
    const sql = this.cstring();
    if (!sql.includes('\uFFFD')) return { sql };
    // A U+FFFD the client sent re-encodes to its own bytes; one standing for invalid bytes does not.
    const valid = Buffer.from(sql, 'utf8').equals(this.buffer.subarray(start, this.offset - 1));
    return valid ? { sql } : { sql, invalidUtf8: true };
  }

  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  count(): number {
    const n = this.int16();
    if (n < 0) throw new ProtocolError(`${this.what}: negative count`);
    return n;
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  need(n: number): void {
    if (this.offset + n > this.buffer.length) throw new ProtocolError(`${this.what}: truncated`);
  }

  end(): void {
    if (this.offset !== this.buffer.length) throw new ProtocolError(`${this.what}: trailing bytes`);
  }
}

function parseStartup(raw: Buffer): StartupPacket {
  const code = raw.readInt32BE(4);
  const fixed = (type: 'sslRequest' | 'gssEncRequest'): StartupPacket => {
    if (raw.length !== 8) throw new ProtocolError(`${type}: invalid length`);
    return { type, raw };
  };
  if (code === StartupCode.SSLRequest) return fixed('sslRequest');
  if (code === StartupCode.GSSENCRequest) return fixed('gssEncRequest');
  if (code === StartupCode.CancelRequest) {
    // Protocol 3.2 lets the key be 4..256 bytes; 3.0 uses exactly 4.
    if (raw.length < 16 || raw.length > 268) throw new ProtocolError('CancelRequest: invalid length');
    return { type: 'cancelRequest', raw, processId: raw.readInt32BE(8), secretKey: raw.subarray(12) };
  }
  const major = code >>> 16;
  if (major !== 3) throw new ProtocolError(`unsupported protocol version ${major}.${code & 0xffff}`);
  // StartupMessage: name/value pairs of NUL-terminated strings, then one NUL.
  const reader = new Reader(raw, 8, 'StartupMessage');
  const parameters = new Map<string, string>();
  for (;;) {
    const name = reader.cstring();
    if (name === '') break;
    if (parameters.has(name)) throw new ProtocolError(`StartupMessage: duplicate parameter ${name}`);
    parameters.set(name, reader.cstring());
  }
  reader.end();
  return { type: 'startup', raw, majorVersion: major, minorVersion: code & 0xffff, parameters };
}

function parseRegular(raw: Buffer): RegularMessage {
  const code = raw[0]!;
  const r = new Reader(raw, 5, `message 0x${code.toString(16)}`);
  const bare = (type: 'sync' | 'flush' | 'terminate' | 'copyDone'): RegularMessage => {
    r.end();
    return { type, raw };
  };
  const target = (): 'statement' | 'portal' => {
    r.need(1);
    const t = raw[r.offset++];
    if (t === 0x53 /* 'S' */) return 'statement';
    if (t === 0x50 /* 'P' */) return 'portal';
    throw new ProtocolError('Describe/Close: target must be S or P');
  };
  let message: RegularMessage;
  switch (code) {
    case FrontendCode.Query:
      message = { type: 'query', raw, ...r.sqlText() };
      break;
    case FrontendCode.Parse: {
      const name = r.cstring();
      const text = r.sqlText();
      const parameterTypes: number[] = [];
      for (let n = r.count(); n > 0; n--) parameterTypes.push(r.int32() >>> 0);
      message = { type: 'parse', raw, name, ...text, parameterTypes };
      break;
    }
    case FrontendCode.Bind:
      message = parseBind(raw, r);
      break;
    case FrontendCode.Describe:
      message = { type: 'describe', raw, target: target(), name: r.cstring() };
      break;
    case FrontendCode.Close:
      message = { type: 'close', raw, target: target(), name: r.cstring() };
      break;
    case FrontendCode.Execute: {
      const portal = r.cstring();
      message = { type: 'execute', raw, portal, maxRows: r.int32() };
      if (message.maxRows < 0) throw new ProtocolError('Execute: negative row limit');
      break;
    }
    case FrontendCode.CopyData:
      return { type: 'copyData', raw, data: raw.subarray(5) };
    case FrontendCode.CopyFail:
      message = { type: 'copyFail', raw, reason: r.cstring() };
      break;
    case FrontendCode.Password:
      return { type: 'password', raw, body: raw.subarray(5) };
    case FrontendCode.FunctionCall:
      // Refused by the session without looking further: the OID is enough to say what was asked.
      r.need(4);
      return { type: 'functionCall', raw, functionOid: raw.readUInt32BE(5) };
    case FrontendCode.Sync:
      return bare('sync');
    case FrontendCode.Flush:
      return bare('flush');
    case FrontendCode.Terminate:
      return bare('terminate');
    case FrontendCode.CopyDone:
      return bare('copyDone');
    default:
      throw new ProtocolError(`unknown message type 0x${code.toString(16)}`);
  }
  r.end();
  return message;
}

function parseBind(raw: Buffer, r: Reader): RegularMessage {
  const portal = r.cstring();
  const statement = r.cstring();
  const formatCount = r.count();
  for (let i = 0; i < formatCount; i++) {
    const f = r.int16();
    if (f !== 0 && f !== 1) throw new ProtocolError('Bind: invalid parameter format');
  }
  const parameterCount = r.count();
  // One format for all parameters, or one per parameter (protocol-message-formats, Bind).
  if (formatCount > 1 && formatCount !== parameterCount) {
    throw new ProtocolError('Bind: format count does not match parameter count');
  }
  for (let i = 0; i < parameterCount; i++) {
    const length = r.int32();
    if (length < -1) throw new ProtocolError('Bind: invalid parameter length');
    if (length > 0) r.skip(length);
  }
  for (let n = r.count(); n > 0; n--) {
    const f = r.int16();
    if (f !== 0 && f !== 1) throw new ProtocolError('Bind: invalid result format');
  }
  r.end();
  return { type: 'bind', raw, portal, statement, parameterCount };
}
