/**
 * Small wire helpers of the result masker: the frontend fields it reads and the messages it
 * writes itself.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { BackendCode } from '../wire/backend-framer';
import { message } from '../wire/backend-writer';
import type { FieldDescription } from '../wire/row-codec';

export const BINARY_COPY_REFUSED = {
  severity: 'ERROR',
  code: '42501',
  message: 'binary COPY of masked columns is refused by the gateway',
  hint: 'Use COPY … TO STDOUT in text or CSV format; masked columns are rewritten there.',
} as const;

export function syntheticField(i: number): FieldDescription {
  return {
    name: `column${i + 1}`,
    tableOid: 0,
    column: 0,
    typeOid: 25,
    typeSize: -1,
    typeModifier: -1,
    format: 0,
  };
}

export function copyData(payload: Buffer): Buffer {
  return message(BackendCode.CopyData, payload);
}

/** Reads the fields the masker needs from a frontend message (type byte and length skipped). */
export class Reader {
  private at = 5;
  constructor(private readonly raw: Buffer) {}
  byte(): number {
    return this.raw[this.at++] ?? 0;
  }
  cstring(): string {
    const end = this.raw.indexOf(0, this.at);
    const s = this.raw.toString('utf8', this.at, end < 0 ? this.raw.length : end);
    this.at = end < 0 ? this.raw.length : end + 1;
    return s;
  }
}
