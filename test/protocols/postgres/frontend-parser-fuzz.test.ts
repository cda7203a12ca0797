import { serialize } from 'pg-protocol';
import { ProtocolError } from '../../../gateway-image/src/protocols/postgres/wire/errors';
import { FrontendParser } from '../../../gateway-image/src/protocols/postgres/wire/frontend-parser';

/** mulberry32: small deterministic PRNG so a failure reproduces from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const startup = serialize.startup({ user: 'u', database: 'd' });
const valid = [
  serialize.query('select 1'),
  serialize.parse({ name: 'a', text: 'select $1', types: [25] }),
  serialize.bind({ statement: 'a', values: ['x', null] }),
  serialize.describe({ type: 'P', name: '' }),
  serialize.execute({ rows: 0 }),
  serialize.sync(),
  serialize.flush(),
  serialize.close({ type: 'P', name: '' }),
  serialize.copyData(Buffer.from('abc')),
  serialize.copyDone(),
  serialize.copyFail('no'),
  serialize.password('p'),
  serialize.end(),
];

/** Feeds `bytes` in random chunks; anything but messages or ProtocolError fails the test. */
function feed(rand: () => number, bytes: Buffer, regular: boolean): void {
  const parser = new FrontendParser({ maxMessageBytes: 1 << 16 });
  try {
    if (regular) parser.parse(startup);
    let i = 0;
    while (i < bytes.length) {
      const n = 1 + Math.floor(rand() * 64);
      for (const m of parser.parse(bytes.subarray(i, i + n))) {
        expect(Buffer.isBuffer(m.raw)).toBe(true);
      }
      i += n;
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

function mutate(rand: () => number, input: Buffer): Buffer {
  // Buffer.from copies, so the valid fixtures are never changed.
  const b = Buffer.from(input);
  const op = Math.floor(rand() * 4);
  const at = Math.floor(rand() * b.length);
  if (op === 0) b[at] = Math.floor(rand() * 256);
  if (op === 1) return b.subarray(0, at);
  if (op === 2)
    return Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(rand() * 256)]), b.subarray(at)]);
  if (op === 3) b[at] ^= 1 << Math.floor(rand() * 8);
  return b;
}

describe('FrontendParser fuzz', () => {
  it('random bytes, both phases: messages or ProtocolError, nothing else', () => {
    const rand = prng(0xc0ffee);
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(
        Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)),
      );
      feed(rand, bytes, i % 2 === 0);
    }
  });

  it('mutated and truncated valid streams: messages or ProtocolError, nothing else', () => {
    const rand = prng(42);
    for (let i = 0; i < 5000; i++) {
      const picked = Array.from(
        { length: 1 + Math.floor(rand() * 6) },
        () => valid[Math.floor(rand() * valid.length)]!,
      );
      let bytes: Buffer = Buffer.concat(picked);
      for (let k = Math.floor(rand() * 3); k >= 0; k--) bytes = mutate(rand, bytes);
      feed(rand, bytes, true);
      feed(rand, mutate(rand, Buffer.concat([startup, ...picked])), false);
    }
  });
});
