import type { BackendMessage } from 'pg-protocol/dist/messages';
import { Parser } from 'pg-protocol/dist/parser';
import {
  BackendFramer,
  decodeAuthentication,
  decodeBackendKey,
  decodeCommandTag,
  decodeCopyResponse,
  decodeErrorFields,
  decodeMd5Salt,
  decodeNotification,
  decodeParameterStatus,
  decodeResponseFields,
  decodeSaslMechanisms,
  decodeTransactionStatus,
} from '../../../gateway-image/src/protocols/postgres/wire/backend-framer';
import * as w from '../../../gateway-image/src/protocols/postgres/wire/backend-writer';
import { ProtocolError } from '../../../gateway-image/src/protocols/postgres/wire/errors';
import {
  decodeDataRow,
  decodeRowDescription,
  encodeRowDescription,
  type FieldDescription,
  TypeOid,
} from '../../../gateway-image/src/protocols/postgres/wire/row-codec';

/** What a real client library makes of our bytes is the test that matters. */
function viaPg(bytes: Buffer): BackendMessage[] {
  const out: BackendMessage[] = [];
  new Parser().parse(bytes, (m) => out.push(m));
  return out;
}

const all = [
  w.authenticationCleartextPassword(),
  w.authenticationOk(),
  w.parameterStatus('server_version', '15.18'),
  w.backendKeyData(77, Buffer.from([1, 2, 3, 4])),
  w.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'hello' }),
  w.errorResponse({
    severity: 'ERROR',
    code: '42501',
    message: 'denied',
    detail: 'rule x',
    hint: 'ask',
    position: 7,
  }),
  w.parseComplete(),
  w.bindComplete(),
  w.noData(),
  w.commandComplete('SELECT 1'),
  w.emptyQueryResponse(),
  w.closeComplete(),
  w.readyForQuery('T'),
];
const stream = Buffer.concat(all);

describe('backend writer', () => {
  it('writes messages node-postgres decodes', () => {
    const got = viaPg(stream);
    expect(got.map((m) => m.name)).toEqual([
      'authenticationCleartextPassword',
      'authenticationOk',
      'parameterStatus',
      'backendKeyData',
      'notice',
      'error',
      'parseComplete',
      'bindComplete',
      'noData',
      'commandComplete',
      'emptyQuery',
      'closeComplete',
      'readyForQuery',
    ]);
    expect(got[3]).toMatchObject({ processID: 77, secretKey: 0x01020304 });
    expect(got[5]).toMatchObject({
      code: '42501',
      message: 'denied',
      detail: 'rule x',
      hint: 'ask',
      position: '7',
    });
    expect(got[12]).toMatchObject({ status: 'T' });
  });

  it('writes a RowDescription every byte of which is the field it stands for', () => {
    const [got] = viaPg(encodeRowDescription(fields));
    expect(got).toMatchObject({
      fields: [
        {
          name: 'id',
          tableID: 16384,
          columnID: 1,
          dataTypeID: 23,
          dataTypeSize: 4,
          dataTypeModifier: -1,
          format: 'text',
        },
        {
          name: 'ssn',
          columnID: 2,
          dataTypeID: 25,
          dataTypeSize: -1,
          dataTypeModifier: -1,
          format: 'binary',
        },
      ],
    });
  });

  it('drops NUL characters instead of truncating the message', () => {
    const [e] = viaPg(w.errorResponse({ severity: 'ERROR', code: '42501', message: 'a\0b' }));
    expect(e).toMatchObject({ message: 'ab', code: '42501' });
  });
});

describe('BackendFramer', () => {
  it('frames the same messages wherever a chunk boundary falls', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (const j of [i, Math.min(stream.length, i + 3), stream.length]) {
        const framer = new BackendFramer();
        const frames = [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)].flatMap((c) =>
          framer.push(c),
        );
        expect(Buffer.concat(frames.map((f) => f.raw)).equals(stream)).toBe(true);
        expect(frames.map((f) => f.code)).toEqual(all.map((m) => m[0]));
      }
    }
  });

  it('frames a stream that arrives one byte at a time', () => {
    const framer = new BackendFramer();
    const frames = [...stream].flatMap((b) => framer.push(Buffer.from([b])));
    expect(Buffer.concat(frames.map((f) => f.raw)).equals(stream)).toBe(true);
    expect(framer.takeRemainder().length).toBe(0);
  });

  it('visits messages inside a chunk as ranges of that chunk', () => {
    const seen: [number, boolean, number, number][] = [];
    new BackendFramer().each(stream, (code, src, start, end) =>
      seen.push([code, src === stream, start, end]),
    );
    expect(seen.map(([code]) => code)).toEqual(all.map((m) => m[0]));
    expect(seen.every(([, same]) => same)).toBe(true);
    expect(seen.at(-1)![3]).toBe(stream.length);
  });

  it('decodes the fields the gateway tracks', () => {
    const frames = new BackendFramer().push(stream);
    expect(decodeErrorFields(frames[5]!.raw)).toEqual({
      severity: 'ERROR',
      code: '42501',
      message: 'denied',
    });
    expect(decodeCommandTag(frames[9]!.raw)).toBe('SELECT 1');
    expect(decodeTransactionStatus(frames[12]!.raw)).toBe('T');
  });

  it('rejects an impossible length', () => {
    expect(() => new BackendFramer().push(Buffer.from([0x44, 0, 0, 0, 1]))).toThrow(/invalid message length/);
  });
});

/** A backend message of type `code` with `body` (strings are UTF-8, numbers single bytes). */
function backend(code: string, ...body: (number | string | Buffer)[]): Buffer {
  const parts = body.map((b) =>
    typeof b === 'number' ? Buffer.from([b]) : typeof b === 'string' ? Buffer.from(b, 'utf8') : b,
  );
  return w.message(code.charCodeAt(0), Buffer.concat(parts));
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

const fields: FieldDescription[] = [
  { name: 'id', tableOid: 16384, column: 1, typeOid: TypeOid.int4, typeSize: 4, typeModifier: -1, format: 0 },
  {
    name: 'ssn',
    tableOid: 0xfffffff0,
    column: 2,
    typeOid: TypeOid.text,
    typeSize: -1,
    typeModifier: -1,
    format: 1,
  },
];

function dataRow(values: (string | null)[]): Buffer {
  const cells = values.map((v) =>
    v === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v)]),
  );
  return backend('D', int16(values.length), ...cells);
}

describe('backend decoders', () => {
  it('decode what a server sends', () => {
    expect(decodeRowDescription(encodeRowDescription(fields))).toEqual(fields);
    expect(decodeDataRow(dataRow(['1', null, ''])).map((v) => v?.toString() ?? null)).toEqual([
      '1',
      null,
      '',
    ]);
    expect(decodeParameterStatus(w.parameterStatus('TimeZone', 'UTC'))).toEqual(['TimeZone', 'UTC']);
    expect(decodeBackendKey(w.backendKeyData(77, Buffer.from([1, 2, 3, 4])))).toEqual({
      processId: 77,
      secretKey: Buffer.from([1, 2, 3, 4]),
    });
    expect(decodeAuthentication(w.authenticationOk())).toEqual({ kind: 0, data: Buffer.alloc(0) });
    expect(decodeSaslMechanisms(Buffer.from('SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0'))).toEqual([
      'SCRAM-SHA-256-PLUS',
      'SCRAM-SHA-256',
    ]);
    expect(decodeMd5Salt(Buffer.from([1, 2, 3, 4]))).toEqual(Buffer.from([1, 2, 3, 4]));
    expect(decodeCopyResponse(backend('H', 0, int16(2), int16(0), int16(0)))).toEqual({
      binary: false,
      columns: 2,
    });
    expect(decodeCopyResponse(backend('H', 1, int16(1), int16(1)))).toEqual({ binary: true, columns: 1 });
    const notification = w.notificationResponse(42, 'ch', 'payload');
    expect(decodeNotification(notification)).toEqual({ processId: 42, channel: 'ch', payload: 'payload' });
    expect(viaPg(notification)[0]).toMatchObject({ processId: 42, channel: 'ch', payload: 'payload' });
  });

  it('give each error or notice field with where it lies', () => {
    const raw = w.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'hi' });
    const got = decodeResponseFields(raw);
    expect(got.map((f) => [f.tag, f.value])).toEqual([
      ['S', 'NOTICE'],
      ['V', 'NOTICE'],
      ['C', '00000'],
      ['M', 'hi'],
    ]);
    expect(Buffer.concat(got.map((f) => raw.subarray(f.start, f.end)))).toEqual(raw.subarray(5, -1));
  });

  // Each decoder fails closed: ProtocolError, never a default or half-read value.
  const malformed: [string, () => unknown][] = [
    ['RowDescription truncated', () => decodeRowDescription(encodeRowDescription(fields).subarray(0, -1))],
    ['RowDescription name unterminated', () => decodeRowDescription(backend('T', int16(1), 'id'))],
    ['RowDescription negative count', () => decodeRowDescription(backend('T', int16(-1)))],
    [
      'RowDescription trailing bytes',
      () => decodeRowDescription(Buffer.concat([encodeRowDescription(fields), Buffer.from([0])])),
    ],
    ['RowDescription empty body', () => decodeRowDescription(backend('T'))],
    ['DataRow value past the end', () => decodeDataRow(backend('D', int16(1), int32(5), 'abc'))],
    ['DataRow missing a value', () => decodeDataRow(backend('D', int16(2), int32(-1)))],
    ['DataRow length below -1', () => decodeDataRow(backend('D', int16(1), int32(-2)))],
    ['DataRow trailing bytes', () => decodeDataRow(Buffer.concat([dataRow(['a']), Buffer.from([0])]))],
    ['ErrorResponse field unterminated', () => decodeErrorFields(backend('E', 'SERROR', 0, 'Mno nul'))],
    ['ErrorResponse without its final NUL', () => decodeErrorFields(backend('E', 'SERROR', 0))],
    ['ErrorResponse trailing bytes', () => decodeErrorFields(backend('E', 'SERROR', 0, 0, 'x'))],
    ['NoticeResponse empty body', () => decodeResponseFields(backend('N'))],
    ['CommandComplete unterminated', () => decodeCommandTag(backend('C', 'SELECT 1'))],
    ['CommandComplete trailing bytes', () => decodeCommandTag(backend('C', 'SELECT 1', 0, 'x'))],
    ['ParameterStatus without a value', () => decodeParameterStatus(backend('S', 'TimeZone', 0))],
    ['ParameterStatus trailing bytes', () => decodeParameterStatus(backend('S', 'a', 0, 'b', 0, 0))],
    ['ReadyForQuery empty', () => decodeTransactionStatus(backend('Z'))],
    ['ReadyForQuery unknown status', () => decodeTransactionStatus(backend('Z', 'X'))],
    ['ReadyForQuery trailing bytes', () => decodeTransactionStatus(backend('Z', 'II'))],
    ['BackendKeyData short key', () => decodeBackendKey(backend('K', int32(1), 1, 2, 3))],
    ['BackendKeyData key over 256 bytes', () => decodeBackendKey(backend('K', int32(1), Buffer.alloc(257)))],
    ['Authentication without a subtype', () => decodeAuthentication(backend('R', 0, 0))],
    ['AuthenticationSASL unterminated list', () => decodeSaslMechanisms(Buffer.from('SCRAM-SHA-256\0'))],
    ['AuthenticationSASL trailing bytes', () => decodeSaslMechanisms(Buffer.from('SCRAM-SHA-256\0\0x'))],
    ['AuthenticationMD5Password short salt', () => decodeMd5Salt(Buffer.from([1, 2, 3]))],
    ['AuthenticationMD5Password long salt', () => decodeMd5Salt(Buffer.from([1, 2, 3, 4, 5]))],
    ['CopyOutResponse empty', () => decodeCopyResponse(backend('H'))],
    ['CopyOutResponse bad format', () => decodeCopyResponse(backend('H', 2, int16(0)))],
    ['CopyOutResponse negative count', () => decodeCopyResponse(backend('H', 0, int16(-1)))],
    ['CopyOutResponse missing column formats', () => decodeCopyResponse(backend('H', 0, int16(2), int16(0)))],
    ['CopyOutResponse binary column in text', () => decodeCopyResponse(backend('H', 0, int16(1), int16(1)))],
    ['CopyOutResponse trailing bytes', () => decodeCopyResponse(backend('H', 0, int16(0), 0))],
    [
      'NotificationResponse payload unterminated',
      () => decodeNotification(backend('A', int32(1), 'ch', 0, 'x')),
    ],
    ['NotificationResponse channel unterminated', () => decodeNotification(backend('A', int32(1), 'ch'))],
    ['NotificationResponse short', () => decodeNotification(backend('A', 0, 0))],
  ];
  it.each(malformed)('%s: ProtocolError', (_name, decode) => {
    expect(decode).toThrow(ProtocolError);
  });

  it('name the upstream message in their errors', () => {
    expect(() => decodeCommandTag(backend('C', 'SELECT 1'))).toThrow(
      'upstream CommandComplete: string not terminated',
    );
    expect(() => decodeRowDescription(backend('T', int16(-1)))).toThrow(
      'upstream RowDescription: negative count -1',
    );
    expect(() => decodeSaslMechanisms(Buffer.from('x'))).toThrow(/^upstream AuthenticationSASL: /);
  });
});
