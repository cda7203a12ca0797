import { OutboundBytes } from '../../../gateway-image/src/protocols/postgres/wire/outbound-bytes';

/** Deterministic bytes, distinct per call, so a misplaced copy shows. */
let seed = 1;
function bytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    b[i] = seed & 0xff;
  }
  return b;
}

describe('OutboundBytes', () => {
  it('hands an unchanged chunk back as a view of it, not a copy', () => {
    const chunk = bytes(100_000);
    const out = new OutboundBytes();
    for (let at = 0; at < chunk.length; at += 1000) out.append(chunk, at, at + 1000);
    const taken = out.take();
    expect(taken.equals(chunk)).toBe(true);
    expect(taken.buffer).toBe(chunk.buffer);
    expect(out.length).toBe(0);
  });

  it('keeps order across relayed ranges, rewritten messages and block boundaries', () => {
    const out = new OutboundBytes();
    for (let round = 0; round < 3; round++) {
      const expected: Buffer[] = [];
      const chunk = bytes(200_000);
      let at = 0;
      // Short and long relayed ranges, rewrites of every size up to larger than a block.
      for (const size of [5, 70_000, 3, 1, 4095, 4096, 10, 30_000, 65_536, 100]) {
        if (size % 2 === 0 && at + size <= chunk.length) {
          out.append(chunk, at, at + size);
          expected.push(chunk.subarray(at, at + size));
          at += size + 1; // not contiguous with the next range
        } else {
          const rewritten = bytes(size);
          rewritten.copy(out.reserve(size), out.reservedAt);
          expected.push(rewritten);
        }
      }
      const want = Buffer.concat(expected);
      expect(out.length).toBe(want.length);
      expect(out.take().equals(want)).toBe(true);
    }
  });

  it('never writes again into a buffer it handed out', () => {
    const out = new OutboundBytes();
    const first = bytes(100);
    first.copy(out.reserve(100), out.reservedAt);
    const taken = out.take();
    const copy = Buffer.from(taken);
    for (let i = 0; i < 50; i++) bytes(1000).copy(out.reserve(1000), out.reservedAt);
    out.take();
    expect(taken.equals(copy)).toBe(true);
  });
});
