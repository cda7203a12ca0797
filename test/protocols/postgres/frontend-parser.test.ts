import { serialize } from 'pg-protocol';
import { decodeToken } from '../../../gateway-image/src/protocols/postgres/session/login';
import { ProtocolError } from '../../../gateway-image/src/protocols/postgres/wire/errors';
import {
  FrontendParser,
  parseMessage,
} from '../../../gateway-image/src/protocols/postgres/wire/frontend-parser';
import type { FrontendMessage } from '../../../gateway-image/src/protocols/postgres/wire/messages';

function typed(code: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(code, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function packet(code: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(code, 4);
  return Buffer.concat([head, body]);
}

const sslRequest = serialize.requestSsl();
const gssEncRequest = packet(80877104);
const startup = serialize.startup({ user: 'alice', database: 'clinic', application_name: 'psql' });
const functionCall = typed('F', Buffer.from([0, 0, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4, 0, 0]));

/** One of every regular message type, in a plausible order. */
const regular: Buffer[] = [
  serialize.password('token-xyz'),
  serialize.query('select 1; select 2'),
  serialize.parse({ name: 's1', text: 'select $1::int', types: [23] }),
  serialize.bind({ statement: 's1', portal: 'p1', values: ['42', null, Buffer.from([1, 2])], binary: true }),
  serialize.describe({ type: 'S', name: 's1' }),
  serialize.describe({ type: 'P', name: 'p1' }),
  serialize.execute({ portal: 'p1', rows: 10 }),
  serialize.flush(),
  serialize.sync(),
  serialize.close({ type: 'S', name: 's1' }),
  serialize.copyData(Buffer.from('1\tAlice\n')),
  serialize.copyDone(),
  serialize.copyFail('client gave up'),
  functionCall,
  serialize.end(),
];
const stream = Buffer.concat([sslRequest, startup, ...regular]);

function parseAll(chunks: Buffer[]): FrontendMessage[] {
  const parser = new FrontendParser();
  const out = chunks.flatMap((c) => parser.parse(c));
  expect(parser.pendingBytes).toBe(0);
  return out;
}

const expected = parseAll([stream]);

/** Same bytes → same decoded fields (the parser is deterministic), so type + raw identify a message. */
function summary(messages: FrontendMessage[]): string[] {
  return messages.map((m) => `${m.type}:${m.raw.toString('hex')}`);
}
const expectedSummary = summary(expected);

describe('FrontendParser', () => {
  it('decodes every frontend message type', () => {
    expect(expected.map((m) => m.type)).toEqual([
      'sslRequest',
      'startup',
      'password',
      'query',
      'parse',
      'bind',
      'describe',
      'describe',
      'execute',
      'flush',
      'sync',
      'close',
      'copyData',
      'copyDone',
      'copyFail',
      'functionCall',
      'terminate',
    ]);
    expect(expected[1]).toMatchObject({ majorVersion: 3, minorVersion: 0 });
    const s = expected[1] as Extract<FrontendMessage, { type: 'startup' }>;
    expect(Object.fromEntries(s.parameters)).toEqual({
      user: 'alice',
      database: 'clinic',
      application_name: 'psql',
      client_encoding: 'UTF8',
    });
    expect(expected[2]).toMatchObject({ body: Buffer.from('token-xyz\0') });
    expect(expected[3]).toMatchObject({ sql: 'select 1; select 2' });
    expect(expected[4]).toMatchObject({ name: 's1', sql: 'select $1::int', parameterTypes: [23] });
    expect(expected[5]).toMatchObject({ portal: 'p1', statement: 's1', parameterCount: 3 });
    expect(expected[6]).toMatchObject({ target: 'statement', name: 's1' });
    expect(expected[7]).toMatchObject({ target: 'portal', name: 'p1' });
    expect(expected[8]).toMatchObject({ portal: 'p1', maxRows: 10 });
    expect(expected[11]).toMatchObject({ target: 'statement', name: 's1' });
    expect(expected[12]).toMatchObject({ data: Buffer.from('1\tAlice\n') });
    expect(expected[14]).toMatchObject({ reason: 'client gave up' });
    expect(expected[15]).toMatchObject({ functionOid: 1024 });
  });

  it('keeps the exact bytes of each message', () => {
    expect(Buffer.concat(expected.map((m) => m.raw)).equals(stream)).toBe(true);
  });

  it('parses the same messages wherever a chunk boundary falls', () => {
    for (let i = 0; i <= stream.length; i++) {
      const got = parseAll([stream.subarray(0, i), stream.subarray(i)]);
      expect(summary(got)).toEqual(expectedSummary);
      if (i % 50 === 0) expect(got).toEqual(expected);
    }
  });

  it('parses three-way splits and single bytes', () => {
    for (let i = 0; i < stream.length; i += 7) {
      for (let j = i; j <= stream.length; j += 5) {
        const got = parseAll([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]);
        expect(summary(got)).toEqual(expectedSummary);
      }
    }
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(parseAll(bytes)).toEqual(expected);
  });

  it('decodes GSSENCRequest and CancelRequest (4-byte and long keys)', () => {
    expect(parseAll([gssEncRequest])[0]!.type).toBe('gssEncRequest');
    const cancel = serialize.cancel(1234, 5678);
    expect(parseAll([cancel])[0]).toMatchObject({ type: 'cancelRequest', processId: 1234 });
    const long = packet(80877102, Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.alloc(32, 9)]));
    expect(parseAll([long])[0]).toMatchObject({ processId: 7, secretKey: Buffer.alloc(32, 9) });
  });

  it('does not copy a message that arrived in one chunk', () => {
    const parser = new FrontendParser();
    parser.parse(startup);
    const q = serialize.query('select 1');
    const [m] = parser.parse(q);
    expect(m!.raw.buffer).toBe(q.buffer);
  });

  const malformed: [string, Buffer[]][] = [
    ['startup length too small', [Buffer.from([0, 0, 0, 4, 0, 0, 0, 0])]],
    ['startup length too large', [Buffer.from([0, 1, 0, 0, 0, 3, 0, 0])]],
    ['protocol 2', [packet(2 << 16, Buffer.from('user\0a\0\0'))]],
    ['startup string unterminated', [packet(3 << 16, Buffer.from('user\0alice'))]],
    ['startup trailing bytes', [packet(3 << 16, Buffer.from('user\0a\0\0x'))]],
    ['duplicate parameter', [packet(3 << 16, Buffer.from('user\0a\0user\0b\0\0'))]],
    ['SSLRequest with body', [packet(80877103, Buffer.from([0]))]],
    ['short CancelRequest', [packet(80877102, Buffer.from([0, 0, 0, 1]))]],
    ['unknown type', [startup, typed('z', Buffer.alloc(0))]],
    ['length below 4', [startup, Buffer.from([0x51, 0, 0, 0, 3])]],
    ['Sync too large', [startup, Buffer.from([0x53, 0, 1, 0, 0])]],
    ['Sync with a body', [startup, typed('S', Buffer.from([1]))]],
    ['Query without NUL', [startup, typed('Q', Buffer.from('select'))]],
    ['Query trailing bytes', [startup, typed('Q', Buffer.from('select\0x'))]],
    ['Parse truncated types', [startup, typed('P', Buffer.from([0, 0x41, 0, 0, 2, 0, 0, 0, 23]))]],
    ['Parse negative count', [startup, typed('P', Buffer.from([0, 0x41, 0, 0xff, 0xff]))]],
    ['Bind bad format count', [startup, typed('B', Buffer.from([0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]))]],
    ['Bind value past end', [startup, typed('B', Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 1]))]],
    ['Describe bad target', [startup, typed('D', Buffer.from('X\0'))]],
    ['Execute negative rows', [startup, typed('E', Buffer.from([0, 0xff, 0xff, 0xff, 0xff]))]],
    ['FunctionCall truncated', [startup, typed('F', Buffer.from([0, 0]))]],
  ];
  it.each(malformed)('rejects %s with ProtocolError', (_name, chunks) => {
    const parser = new FrontendParser();
    expect(() => {
      for (const c of chunks) parser.parse(c);
    }).toThrow(ProtocolError);
  });

  it('applies the configured message size limit before buffering the body', () => {
    const parser = new FrontendParser({ maxMessageBytes: 100 });
    parser.parse(startup);
    expect(() => parser.parse(Buffer.from([0x70, 0, 0, 0, 101]))).toThrow(ProtocolError);
  });

  it('names the message and what is wrong with it', () => {
    const parser = new FrontendParser();
    parser.parse(startup);
    expect(() => parser.parse(typed('B', Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 1])))).toThrow(
      new ProtocolError('Bind: truncated'),
    );
    expect(() => new FrontendParser().parse(packet(3 << 16, Buffer.from('user\0alice')))).toThrow(
      new ProtocolError('StartupMessage: string not terminated'),
    );
  });
});

describe('parseMessage', () => {
  it('decodes one whole message as the parser does', () => {
    for (const raw of regular) {
      const parser = new FrontendParser();
      parser.parse(startup);
      expect(parseMessage(raw)).toEqual(parser.parse(raw)[0]);
    }
  });

  it('rejects a length word that does not match the bytes', () => {
    const q = serialize.query('select 1');
    expect(() => parseMessage(q.subarray(0, -1))).toThrow(ProtocolError);
    expect(() => parseMessage(Buffer.concat([q, Buffer.from([0])]))).toThrow(ProtocolError);
    expect(() => parseMessage(Buffer.from([0x53, 0, 0]))).toThrow(ProtocolError);
  });

  it('rejects a malformed body', () => {
    expect(() => parseMessage(typed('Q', Buffer.from('select')))).toThrow(ProtocolError);
  });
});

describe('decodeToken (PasswordMessage body)', () => {
  it('reads one NUL-terminated token', () => {
    expect(decodeToken(Buffer.from('token-xyz\0'))).toBe('token-xyz');
  });

  it.each([
    ['unterminated', 'token'],
    ['empty', '\0'],
    ['trailing bytes', 'token\0x'],
    ['two strings', 'a\0b\0'],
    ['nothing', ''],
  ])('rejects %s with ProtocolError', (_name, body) => {
    expect(() => decodeToken(Buffer.from(body))).toThrow(ProtocolError);
  });
});
