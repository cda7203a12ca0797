import { WardenError } from '../../../errors';

/**
 * Internal errors of the Postgres adapter. They carry a stable `code`; what the
 * client sees is built separately as an ErrorResponse (see client-errors.ts), never from `message`.
 */

/**
 * Bytes that are not a valid message: a frontend message from the client (the connection is closed
 * as a protocol violation), or a backend message body from the upstream that a decoder could not
 * read (the session ends as an upstream protocol violation). Thrown by ByteReader.
 */
export class ProtocolError extends WardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PG_PROTOCOL', message, options);
  }
}

/**
 * A Query or Parse longer than the gateway inspects: refused from its length word, before its text
 * is buffered or parsed (a statement of hundreds of megabytes would hold that much memory, and its
 * parse tree many times more).
 */
export class StatementTooLongError extends ProtocolError {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a ${bytes}-byte statement is over the ${limit}-byte limit`);
  }
}

/** The upstream server could not be reached, refused us, or broke the protocol. */
export class UpstreamError extends WardenError {
  /** SQLSTATE the upstream reported, when it sent an ErrorResponse. */
  readonly sqlState: string | undefined;

  constructor(message: string, options?: { cause?: unknown; sqlState?: string }) {
    super('ERR_PG_UPSTREAM', message, options);
    this.sqlState = options?.sqlState;
  }
}
