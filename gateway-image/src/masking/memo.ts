/**
 * A bounded memo for the masking hot paths (detector results of short values, token HMACs):
 * values repeat (statuses, cities, join keys), so a lookup saves a detector pass or an HMAC.
 *
 * Two generations instead of a strict LRU: hits in the older one are promoted, and when the young
 * generation is full the old one is dropped whole. Recently used entries survive, at most
 * 2 × `capacity` are held, and a hit costs one or two Map lookups, no reordering.
 */
export class Memo<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  /** @param capacity entries per generation */
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
