import type { BackendMessage } from 'pg-protocol/dist/messages';
import { Parser } from 'pg-protocol/dist/parser';
import {
  BackendFramer,
  decodeCommandTag,
  decodeErrorFields,
  decodeTransactionStatus,
} from '../../../gateway-image/src/protocols/postgres/wire/backend-framer';
import * as w from '../../../gateway-image/src/protocols/postgres/wire/backend-writer';
import {
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
