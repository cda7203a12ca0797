import { ByteReader, messageNamer } from '../../../gateway-image/src/protocols/postgres/wire/byte-reader';
import { ProtocolError } from '../../../gateway-image/src/protocols/postgres/wire/errors';

/** A reader over `bytes`, starting at 0, named 'Test'. */
function reader(...bytes: (number | string)[]): ByteReader {
  const parts = bytes.map((b) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from([b])));
  return new ByteReader(Buffer.concat(parts), 0, 'Test');
}

describe('ByteReader', () => {
  it('reads integers big-endian, signed and unsigned, and advances', () => {
    const r = reader(0xff, 0xfe, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfe, 7);
    expect(r.int16()).toBe(-2);
    expect(r.int32()).toBe(-2);
    expect(r.uint32()).toBe(0xfffffffe);
    expect(r.byte()).toBe(7);
    expect(r.remaining).toBe(0);
    r.end();
  });

  it('reads NUL-terminated UTF-8 strings, empty ones included', () => {
    const r = reader('héllo', 0, 0, 'x', 0);
    expect(r.cstring()).toBe('héllo');
    expect(r.cstring()).toBe('');
    expect(r.cstring()).toBe('x');
    r.end();
  });

  it('hands out bytes and the rest as views, and skips', () => {
    const r = reader(1, 2, 3, 4, 5, 6);
    const buffer = r.buffer;
    expect(r.bytes(2)).toEqual(Buffer.from([1, 2]));
    r.skip(1);
    const rest = r.rest();
    expect(rest).toEqual(Buffer.from([4, 5, 6]));
    expect(rest.buffer).toBe(buffer.buffer);
    expect(r.rest()).toEqual(Buffer.alloc(0));
    r.end();
  });

  it('starts where it is told', () => {
    const r = new ByteReader(Buffer.from([9, 9, 9, 0, 0, 0, 5]), 3, 'Test');
    expect(r.int32()).toBe(5);
    r.end();
  });

  const truncated: [string, (r: ByteReader) => unknown][] = [
    ['byte', (r) => r.byte()],
    ['int16', (r) => r.int16()],
    ['int32', (r) => r.int32()],
    ['uint32', (r) => r.uint32()],
    ['count', (r) => r.count()],
    ['bytes', (r) => r.bytes(2)],
    ['skip', (r) => r.skip(2)],
  ];
  it.each(truncated)('%s past the end throws "truncated" and does not move', (_name, read) => {
    const r = reader(1);
    r.byte();
    expect(() => read(r)).toThrow(new ProtocolError('Test: truncated'));
    expect(r.offset).toBe(1);
  });

  it('an integer cut short throws rather than reading what is there', () => {
    const r = reader(0, 0, 1);
    expect(() => r.int32()).toThrow(ProtocolError);
    expect(r.offset).toBe(0);
  });

  it('an unterminated string throws', () => {
    expect(() => reader('abc').cstring()).toThrow(new ProtocolError('Test: string not terminated'));
    const r = reader('a', 0, 'b');
    r.cstring();
    expect(() => r.cstring()).toThrow(/string not terminated/);
  });

  it('trailing bytes fail end()', () => {
    const r = reader(0, 1, 2, 3);
    r.int16();
    expect(() => r.end()).toThrow(new ProtocolError('Test: 2 trailing bytes'));
  });

  it('a negative count throws', () => {
    expect(() => reader(0xff, 0xff).count()).toThrow(new ProtocolError('Test: negative count -1'));
    expect(reader(0x7f, 0xff).count()).toBe(32767);
  });

  it('a negative length is truncation, never a read backwards', () => {
    const r = reader(1, 2, 3);
    r.skip(2);
    expect(() => r.bytes(-1)).toThrow(/truncated/);
    expect(() => r.skip(-2)).toThrow(/truncated/);
    expect(() => r.need(-1)).toThrow(/truncated/);
    expect(r.offset).toBe(2);
  });

  it('names the message in errors it builds for its caller', () => {
    const err = reader().error('target must be S or P');
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.message).toBe('Test: target must be S or P');
  });
});

describe('messageNamer', () => {
  it('names known type bytes and spells out unknown ones', () => {
    const name = messageNamer({ Query: 0x51, Sync: 0x53 });
    expect(name(0x51)).toBe('Query');
    expect(name(0x7a)).toBe('message 0x7a');
  });
});
