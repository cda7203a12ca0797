/**
 * The one reader of message bodies, for both directions: NUL-terminated strings and big-endian
 * integers inside one whole message, never past its end. Every read is bounds-checked and a
 * malformed body throws ProtocolError naming the message and what is wrong, so no decoder can hand
 * on a half-read value (a 0 for a missing integer, a string cut at the end of the buffer).
 * Framing (type byte and length word) is read by the parser and the framer, which check the
 * header is there first.
 * https://www.postgresql.org/docs/current/protocol-message-types.html
 */
import { ProtocolError } from './errors';

export class ByteReader {
  /** Where the next read starts. */
  offset: number;

  /**
   * `buffer` holds exactly one message (or one body): reads stop at its end.
   * `what` names the message in errors, e.g. 'Bind' or 'upstream RowDescription'.
   */
  constructor(
    readonly buffer: Buffer,
    start: number,
    readonly what: string,
  ) {
    this.offset = start;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  byte(): number {
    this.need(1);
    return this.buffer[this.offset++]!;
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

  /** An OID. */
  uint32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** An int16 that counts what follows: negative is malformed. */
  count(): number {
    const n = this.int16();
    if (n < 0) throw this.error(`negative count ${n}`);
    return n;
  }

  /** A NUL-terminated string, decoded as UTF-8. */
  cstring(): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end < 0) throw this.error('string not terminated');
    const value = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }

  /** The next `n` bytes, as a view. */
  bytes(n: number): Buffer {
    this.need(n);
    const value = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return value;
  }

  /** Everything not yet read, as a view. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  /** Throws unless `n` more bytes are there. */
  need(n: number): void {
    if (n < 0 || this.offset + n > this.buffer.length) throw this.error('truncated');
  }

  /** Throws unless everything was read. */
  end(): void {
    if (this.offset !== this.buffer.length) throw this.error(`${this.remaining} trailing bytes`);
  }

  /** A ProtocolError about this message, for checks the caller makes on what it read. */
  error(problem: string): ProtocolError {
    return new ProtocolError(`${this.what}: ${problem}`);
  }
}

/** Names messages by type byte, from a table of codes (FrontendCode, BackendCode), for errors. */
export function messageNamer(codes: Readonly<Record<string, number>>): (code: number) => string {
  const names = new Map(Object.entries(codes).map(([name, code]) => [code, name]));
  return (code) => names.get(code) ?? `message 0x${code.toString(16)}`;
}
