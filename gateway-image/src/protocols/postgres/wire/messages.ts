/**
 * Frontend (client → server) messages of the PostgreSQL wire protocol v3, as the gateway's parser
 * yields them. Every message keeps its exact bytes in `raw`, so a message the gateway does not
 * change is forwarded upstream without being serialised again.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Type bytes of regular frontend messages. */
export const FrontendCode = {
  Bind: 0x42, // 'B'
  Close: 0x43, // 'C'
  Describe: 0x44, // 'D'
  Execute: 0x45, // 'E'
  FunctionCall: 0x46, // 'F'
  Flush: 0x48, // 'H'
  Parse: 0x50, // 'P'
  Query: 0x51, // 'Q'
  Sync: 0x53, // 'S'
  Terminate: 0x58, // 'X'
  CopyDone: 0x63, // 'c'
  CopyData: 0x64, // 'd'
  CopyFail: 0x66, // 'f'
  /** PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share 'p'. */
  Password: 0x70, // 'p'
} as const;

/** Request codes of untyped startup-phase packets (the int32 after the length). */
export const StartupCode = {
  /** Protocol 3.0: major 3 in the high 16 bits, minor in the low 16 bits. */
  ProtocolV3: 3 << 16,
  CancelRequest: 80877102,
  SSLRequest: 80877103,
  GSSENCRequest: 80877104,
} as const;

/** The first byte of a TLS ClientHello record: PostgreSQL 17 "direct" TLS starts with it. */
export const TLS_HANDSHAKE_BYTE = 0x16;

interface Raw {
  /** The message exactly as received, length and type byte included. */
  readonly raw: Buffer;
}

export interface StartupMessage extends Raw {
  readonly type: 'startup';
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** Startup parameters in order (`user`, `database`, `application_name`, `_pq_.*`, …). */
  readonly parameters: ReadonlyMap<string, string>;
}

export interface SSLRequest extends Raw {
  readonly type: 'sslRequest';
}

export interface GSSENCRequest extends Raw {
  readonly type: 'gssEncRequest';
}

export interface CancelRequest extends Raw {
  readonly type: 'cancelRequest';
  readonly processId: number;
  /** 4 bytes in protocol 3.0; up to 256 in 3.2. */
  readonly secretKey: Buffer;
}

export interface QueryMessage extends Raw {
  readonly type: 'query';
  readonly sql: string;
  /** The text is not valid UTF-8 (`sql` holds replacement characters): it is refused, never guessed at. */
  readonly invalidUtf8?: true;
}

export interface ParseMessage extends Raw {
  readonly type: 'parse';
  /** '' is the unnamed statement. */
  readonly name: string;
  readonly sql: string;
  readonly invalidUtf8?: true;
  readonly parameterTypes: readonly number[];
}

export interface BindMessage extends Raw {
  readonly type: 'bind';
  readonly portal: string;
  readonly statement: string;
  /** Parameter values are left in `raw`: the gateway never needs them, and they may be PHI. */
  readonly parameterCount: number;
}

export interface DescribeMessage extends Raw {
  readonly type: 'describe';
  readonly target: 'statement' | 'portal';
  readonly name: string;
}

export interface CloseMessage extends Raw {
  readonly type: 'close';
  readonly target: 'statement' | 'portal';
  readonly name: string;
}

export interface ExecuteMessage extends Raw {
  readonly type: 'execute';
  readonly portal: string;
  /** 0 means no limit. */
  readonly maxRows: number;
}

export interface CopyDataMessage extends Raw {
  readonly type: 'copyData';
  readonly data: Buffer;
}

export interface CopyFailMessage extends Raw {
  readonly type: 'copyFail';
  readonly reason: string;
}

export interface PasswordMessage extends Raw {
  readonly type: 'password';
  /** The body; its meaning depends on the authentication request that preceded it. */
  readonly body: Buffer;
}

export interface FunctionCallMessage extends Raw {
  readonly type: 'functionCall';
  readonly functionOid: number;
}

export interface BareMessage extends Raw {
  readonly type: 'sync' | 'flush' | 'terminate' | 'copyDone';
}

export type StartupPacket = StartupMessage | SSLRequest | GSSENCRequest | CancelRequest;

export type RegularMessage =
  | QueryMessage
  | ParseMessage
  | BindMessage
  | DescribeMessage
  | CloseMessage
  | ExecuteMessage
  | CopyDataMessage
  | CopyFailMessage
  | PasswordMessage
  | FunctionCallMessage
  | BareMessage;

export type FrontendMessage = StartupPacket | RegularMessage;
