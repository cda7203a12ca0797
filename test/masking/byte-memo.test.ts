import { randomBytes } from 'node:crypto';
import { BYTE_MEMO_MAX, ByteMemo, hash } from '../../gateway-image/src/masking/byte-memo';

describe('ByteMemo', () => {
  it('finds a value by its bytes wherever they sit in a buffer', () => {
    const memo = new ByteMemo<string>();
    const a = Buffer.from('xxBostonyy');
    memo.set(a, 2, 8, 'city');
    const b = Buffer.from('Boston');
    expect(memo.get(b, 0, 6)?.value).toBe('city');
    expect(memo.get(Buffer.from('Bostons'), 0, 7)).toBeUndefined();
    a.fill(0); // the memo holds its own copy, not a view of the network chunk
    expect(memo.get(b, 0, 6)?.value).toBe('city');
  });

  it('remembers undefined as an answer, distinct from a miss', () => {
    const memo = new ByteMemo<string | undefined>();
    memo.set(Buffer.from('ok'), 0, 2, undefined);
    expect(memo.get(Buffer.from('ok'), 0, 2)).toEqual(expect.objectContaining({ value: undefined }));
    expect(memo.get(Buffer.from('no'), 0, 2)).toBeUndefined();
  });

  it('treats a hash collision as a miss, never as the other value', () => {
    // Two 8-byte values with the same 32-bit key, by a birthday search.
    const byKey = new Map<number, Buffer>();
    let pair: [Buffer, Buffer] | undefined;
    while (!pair) {
      const v = randomBytes(8);
      const other = byKey.get(hash(v, 0, 8));
      if (other && !other.equals(v)) pair = [other, v];
      byKey.set(hash(v, 0, 8), v);
    }
    const memo = new ByteMemo<string>();
    memo.set(pair[0], 0, 8, 'first');
    expect(memo.get(pair[1], 0, 8)).toBeUndefined();
    expect(memo.get(pair[0], 0, 8)?.value).toBe('first');
  });

  it('stays bounded and skips values too long to be worth remembering', () => {
    const memo = new ByteMemo<number>(100);
    for (let i = 0; i < 1000; i++) memo.set(Buffer.from(`v${i}`), 0, `v${i}`.length, i);
    expect((memo as unknown as { entries: Map<number, unknown> }).entries.size).toBeLessThanOrEqual(100);
    const long = Buffer.alloc(BYTE_MEMO_MAX + 1, 0x61);
    memo.set(long, 0, long.length, 1);
    expect(memo.get(long, 0, long.length)).toBeUndefined();
  });
});
