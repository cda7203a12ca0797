import { CanonicalJsonError, canonicalize } from '../../gateway-image/src/audit/canonical';
import { type EventFields, encodeEvent, eventHash, GENESIS_HASH } from '../../gateway-image/src/audit/event';

describe('canonicalize', () => {
  it('sorts keys by UTF-16 code units at every level and drops whitespace', () => {
    expect(canonicalize({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
    // RFC 8785 section 3.2.3 orders by UTF-16 code units, not code points: U+E000 sorts after U+1F600's surrogates.
    expect(canonicalize({ '\uE000': 1, '\u{1F600}': 2, a: 3 })).toBe('{"a":3,"\u{1F600}":2,"\uE000":1}');
  });

  it('writes numbers and strings as ECMAScript JSON does (RFC 8785)', () => {
    expect(canonicalize([0, -0, 1e21, 1e-7, 0.1, 333333333.3333333, -1.5])).toBe(
      '[0,0,1e+21,1e-7,0.1,333333333.3333333,-1.5]',
    );
    expect(canonicalize('tab\t"quote"\u0001\uD800')).toBe('"tab\\t\\"quote\\"\\u0001\\ud800"');
  });

  it('leaves out undefined properties and round-trips through JSON.parse', () => {
    const value = { z: undefined, list: [1, 'two', { three: 3 }], nested: { ok: false } };
    const text = canonicalize(value);
    expect(text).toBe('{"list":[1,"two",{"three":3}],"nested":{"ok":false}}');
    expect(canonicalize(JSON.parse(text))).toBe(text);
  });

  it('refuses what is not plain JSON data, naming where', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: unknown[] = [
      { n: Number.NaN },
      { n: Number.POSITIVE_INFINITY },
      { d: new Date() },
      { m: new Map() },
      { b: Buffer.from('x') },
      { f: () => 1 },
      { big: 1n },
      [undefined],
      cyclic,
    ];
    for (const value of cases) expect(() => canonicalize(value)).toThrow(CanonicalJsonError);
    expect(() => canonicalize({ a: { b: [1, Number.NaN] } })).toThrow('$.a.b[1]');
  });
});

describe('encodeEvent', () => {
  it('hashes exactly the canonical JSON of the event without its hash', () => {
    const awkward = [
      { principal: null, connection: null, session: null, body: {} },
      {
        principal: {
          subject: 'ünï"cødé\u2028',
          kind: 'human' as const,
          issuer: 'https://i',
          groups: ['b', 'a'],
        },
        connection: 'conn "quoted" \\ \n',
        session: '\uD83D\uDE00',
        body: { z: [1.5e-9, -0, { y: null }], a: 'x', '\u00e9': true, __proto__x: 1 },
      },
    ];
    for (const [i, f] of awkward.entries()) {
      // Arbitrary JSON as a body: canonicalization does not care what its type's body should hold.
      const fields: EventFields = {
        ...f,
        body: f.body as EventFields['body'],
        seq: i + 1,
        prev: GENESIS_HASH,
        time: '2026-01-01T00:00:00.000Z',
        type: 'query.attempt',
      };
      const { event, line } = encodeEvent(fields, 65536);
      expect(event.hash).toBe(eventHash(fields));
      const parsed = JSON.parse(line);
      expect(parsed).toEqual(event);
      expect(eventHash(parsed)).toBe(event.hash);
      expect(line.indexOf('\n')).toBe(line.length - 1);
    }
  });
});
