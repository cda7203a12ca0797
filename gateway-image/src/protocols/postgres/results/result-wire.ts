/**
 * Small wire helpers of the result masker: what it writes itself (the binary COPY refusal, masked
 * CopyData) and the fields it gives a COPY's columns.
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
