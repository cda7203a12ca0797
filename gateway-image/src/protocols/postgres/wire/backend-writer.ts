/**
 * Serialises the few backend (server → client) messages the gateway writes itself. Everything
 * else the client receives is relayed from the upstream byte for byte.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { BackendCode } from './backend-framer';

/** One-byte answers to SSLRequest / GSSENCRequest (protocol-flow, "SSL Session Encryption"). */
export const SSL_ACCEPTED = Buffer.from('S');
export const ENCRYPTION_REFUSED = Buffer.from('N');

/** Transaction status carried by ReadyForQuery. */
export type TransactionStatus = 'I' | 'T' | 'E';

/** Fields of ErrorResponse and NoticeResponse (protocol-error-fields). */
export interface ErrorFields {
  readonly severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';
  /** SQLSTATE, five characters (errcodes-appendix). */
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  /** 1-based character position in the query text. */
  readonly position?: number;
}

/** A backend message: type byte, int32 length (itself included), body. */
export function message(code: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = code;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n, 0);
  return b;
}

function cstring(s: string): Buffer {
  return Buffer.from(`${s.replaceAll('\0', '')}\0`, 'utf8');
}

export function authenticationOk(): Buffer {
  return message(BackendCode.Authentication, int32(0));
}

export function authenticationCleartextPassword(): Buffer {
  return message(BackendCode.Authentication, int32(3));
}

export function parameterStatus(name: string, value: string): Buffer {
  return message(BackendCode.ParameterStatus, Buffer.concat([cstring(name), cstring(value)]));
}

export function backendKeyData(processId: number, secretKey: Buffer): Buffer {
  return message(BackendCode.BackendKeyData, Buffer.concat([int32(processId), secretKey]));
}

export function readyForQuery(status: TransactionStatus): Buffer {
  return message(BackendCode.ReadyForQuery, Buffer.from(status, 'latin1'));
}

/** Tells a client asking for protocol 3.x (x > 0) or `_pq_.` options what the gateway speaks. */
export function negotiateProtocolVersion(minor: number, unsupportedOptions: readonly string[]): Buffer {
  return message(
    BackendCode.NegotiateProtocolVersion,
    Buffer.concat([
      int32((3 << 16) | minor),
      int32(unsupportedOptions.length),
      ...unsupportedOptions.map(cstring),
    ]),
  );
}

function fields(f: ErrorFields): Buffer {
  // 'S' is localised in real servers; 'V' (never localised) exists since 9.6 and clients prefer it.
  const parts: Buffer[] = [];
  const add = (tag: string, value: string | undefined) => {
    if (value !== undefined) parts.push(Buffer.from(tag, 'latin1'), cstring(value));
  };
  add('S', f.severity);
  add('V', f.severity);
  add('C', f.code);
  add('M', f.message);
  add('D', f.detail);
  add('H', f.hint);
  add('P', f.position === undefined ? undefined : String(f.position));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function errorResponse(f: ErrorFields): Buffer {
  return message(BackendCode.ErrorResponse, fields(f));
}

export function noticeResponse(f: ErrorFields): Buffer {
  return message(BackendCode.NoticeResponse, fields(f));
}

/** A NotificationResponse (LISTEN/NOTIFY), rewritten when its payload is masked. */
export function notificationResponse(processId: number, channel: string, payload: string): Buffer {
  return message(
    BackendCode.NotificationResponse,
    Buffer.concat([int32(processId), cstring(channel), cstring(payload)]),
  );
}

export function commandComplete(tag: string): Buffer {
  return message(BackendCode.CommandComplete, cstring(tag));
}

export function emptyQueryResponse(): Buffer {
  return message(BackendCode.EmptyQueryResponse, Buffer.alloc(0));
}

export function parseComplete(): Buffer {
  return message(BackendCode.ParseComplete, Buffer.alloc(0));
}

export function bindComplete(): Buffer {
  return message(BackendCode.BindComplete, Buffer.alloc(0));
}

export function closeComplete(): Buffer {
  return message(BackendCode.CloseComplete, Buffer.alloc(0));
}

export function noData(): Buffer {
  return message(BackendCode.NoData, Buffer.alloc(0));
}
