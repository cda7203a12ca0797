/**
 * Incremental parser of frontend (client → server) messages. Bytes in, messages out, no I/O.
 * Malformed input throws ProtocolError; after that the parser must not be used again. Chunks handed
 * in must not be reused by the caller (socket 'data' buffers never are).
 * Emitted `raw` buffers are never overwritten (see ChunkQueue), so forwarding them later is safe.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { ByteReader, messageNamer } from './byte-reader';
import { ChunkQueue } from './chunk-queue';
import { ProtocolError, StatementTooLongError } from './errors';
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
  /** Largest Query or Parse, type byte included: larger throw StatementTooLongError. @default maxMessageBytes */
  readonly maxStatementBytes?: number;
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
  private readonly maxStatementBytes: number;

  constructor(options: FrontendParserOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? 0x3fffffff;
    this.maxStartupBytes = options.maxStartupBytes ?? 10_000;
    this.maxStatementBytes = options.maxStatementBytes ?? this.maxMessageBytes;
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
    const statement = code === FrontendCode.Query || code === FrontendCode.Parse;
    if (statement && length <= limit && length + 1 > this.maxStatementBytes) {
      throw new StatementTooLongError(length + 1, this.maxStatementBytes);
    }
    if (length < 4 || length > limit) {
      throw new ProtocolError(`invalid length ${length} for message type 0x${code.toString(16)}`);
    }
    return length + 1;
  }
}

const messageName = messageNamer(FrontendCode);

/**
 * A NUL-terminated SQL text. Node decodes invalid UTF-8 to U+FFFD; the server (client_encoding
 * UTF8) rejects such bytes, so the gateway must not inspect a text it decoded differently.
 */
function sqlText(r: ByteReader): { sql: string; invalidUtf8?: true } {
  const start = r.offset;
  const sql = r.cstring();
  if (!sql.includes('\uFFFD')) return { sql };
  // A U+FFFD the client sent re-encodes to its own bytes; one standing for invalid bytes does not.
  const valid = Buffer.from(sql, 'utf8').equals(r.buffer.subarray(start, r.offset - 1));
  return valid ? { sql } : { sql, invalidUtf8: true };
}

function parseStartup(raw: Buffer): StartupPacket {
  const code = new ByteReader(raw, 4, 'startup packet').int32();
  const fixed = (type: 'sslRequest' | 'gssEncRequest'): StartupPacket => {
    if (raw.length !== 8) throw new ProtocolError(`${type}: invalid length`);
    return { type, raw };
  };
  if (code === StartupCode.SSLRequest) return fixed('sslRequest');
  if (code === StartupCode.GSSENCRequest) return fixed('gssEncRequest');
  if (code === StartupCode.CancelRequest) {
    const r = new ByteReader(raw, 8, 'CancelRequest');
    // Protocol 3.2 lets the key be 4..256 bytes; 3.0 uses exactly 4.
    if (r.remaining < 8 || r.remaining > 260) throw r.error('invalid length');
    return { type: 'cancelRequest', raw, processId: r.int32(), secretKey: r.rest() };
  }
  const major = code >>> 16;
  if (major !== 3) throw new ProtocolError(`unsupported protocol version ${major}.${code & 0xffff}`);
  // StartupMessage: name/value pairs of NUL-terminated strings, then one NUL.
  const r = new ByteReader(raw, 8, 'StartupMessage');
  const parameters = new Map<string, string>();
  for (;;) {
    const name = r.cstring();
    if (name === '') break;
    if (parameters.has(name)) throw r.error(`duplicate parameter ${name}`);
    parameters.set(name, r.cstring());
  }
  r.end();
  return { type: 'startup', raw, majorVersion: major, minorVersion: code & 0xffff, parameters };
}

/**
 * One whole regular message (type byte, length and body), decoded and checked as a client's is.
 * For messages the gateway writes itself and then forwards like a client's.
 */
export function parseMessage(raw: Buffer): RegularMessage {
  if (raw.length < 5 || raw.readInt32BE(1) !== raw.length - 1) {
    throw new ProtocolError('message length does not match its bytes');
  }
  return parseRegular(raw);
}

function parseRegular(raw: Buffer): RegularMessage {
  const code = raw[0]!;
  const r = new ByteReader(raw, 5, messageName(code));
  const bare = (type: 'sync' | 'flush' | 'terminate' | 'copyDone'): RegularMessage => {
    r.end();
    return { type, raw };
  };
  const target = (): 'statement' | 'portal' => {
    const t = r.byte();
    if (t === 0x53 /* 'S' */) return 'statement';
    if (t === 0x50 /* 'P' */) return 'portal';
    throw r.error('target must be S or P');
  };
  let message: RegularMessage;
  switch (code) {
    case FrontendCode.Query:
      message = { type: 'query', raw, ...sqlText(r) };
      break;
    case FrontendCode.Parse: {
      const name = r.cstring();
      const text = sqlText(r);
      const parameterTypes: number[] = [];
      for (let n = r.count(); n > 0; n--) parameterTypes.push(r.uint32());
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
      if (message.maxRows < 0) throw r.error('negative row limit');
      break;
    }
    case FrontendCode.CopyData:
      return { type: 'copyData', raw, data: r.rest() };
    case FrontendCode.CopyFail:
      message = { type: 'copyFail', raw, reason: r.cstring() };
      break;
    case FrontendCode.Password:
      return { type: 'password', raw, body: r.rest() };
    case FrontendCode.FunctionCall:
      // Refused by the session without looking further: the OID is enough to say what was asked.
      return { type: 'functionCall', raw, functionOid: r.uint32() };
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

function parseBind(raw: Buffer, r: ByteReader): RegularMessage {
  const portal = r.cstring();
  const statement = r.cstring();
  const formatCount = r.count();
  for (let i = 0; i < formatCount; i++) {
    const f = r.int16();
    if (f !== 0 && f !== 1) throw r.error('invalid parameter format');
  }
  const parameterCount = r.count();
  // One format for all parameters, or one per parameter (protocol-message-formats, Bind).
  if (formatCount > 1 && formatCount !== parameterCount) {
    throw r.error('format count does not match parameter count');
  }
  for (let i = 0; i < parameterCount; i++) {
    const length = r.int32();
    if (length < -1) throw r.error('invalid parameter length');
    if (length > 0) r.skip(length);
  }
  for (let n = r.count(); n > 0; n--) {
    const f = r.int16();
    if (f !== 0 && f !== 1) throw r.error('invalid result format');
  }
  r.end();
  return { type: 'bind', raw, portal, statement, parameterCount };
}
