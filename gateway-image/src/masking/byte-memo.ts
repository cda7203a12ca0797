/**
 * A bounded memo keyed by the bytes of a short value, for the row hot path: a repeated value
 * (a city, a status code) is found without being decoded to a string first. Keys are a 32-bit
 * FNV-1a hash; the stored bytes are compared on every hit, so a collision is a miss, never a
 * wrong answer.
 */

/** Longest value kept; longer ones are rare repeats and costly to compare. */
export const BYTE_MEMO_MAX = 64;

interface Entry<V> {
  readonly bytes: Buffer;
  readonly value: V;
}

export class ByteMemo<V> {
  private readonly entries = new Map<number, Entry<V>>();

  constructor(private readonly capacity = 4096) {}

  /** The entry for buf[start, end), if remembered (its value may itself be undefined). */
  get(buf: Buffer, start: number, end: number): Entry<V> | undefined {
    const e = this.entries.get(hash(buf, start, end));
    return e !== undefined && same(e.bytes, buf, start, end) ? e : undefined;
  }

  set(buf: Buffer, start: number, end: number, value: V): void {
    if (end - start > BYTE_MEMO_MAX) return;
    if (this.entries.size >= this.capacity) this.entries.clear();
    // A copy: a view would keep the whole network chunk the value arrived in alive.
    this.entries.set(hash(buf, start, end), { bytes: Buffer.from(buf.subarray(start, end)), value });
  }
}

/** The 32-bit key of buf[start, end): FNV-1a. */
export function hash(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h;
}

function same(bytes: Buffer, buf: Buffer, start: number, end: number): boolean {
  if (bytes.length !== end - start) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== buf[start + i]) return false;
  return true;
}
