/**
 * What one upstream chunk turns into for the client, gathered for a single socket write.
 *
 * Messages relayed unchanged are appended as ranges of the chunk they arrived in; consecutive
 * ranges of one chunk merge, so a result nobody rewrites leaves as a view of the chunk, not a copy.
 * Rewritten messages (masked DataRows) are written in place into a block reserved here, so a
 * million masked rows cost no allocation each and no second copy to join them.
 *
 * Buffers handed out by `take()` are never written again: the socket may still hold them.
 */

/** Below this, a relayed range is copied next to rewritten rows rather than kept as its own view. */
const COPY_BELOW = 4096;
const BLOCK = 64 * 1024;

export class OutboundBytes {
  private block = Buffer.allocUnsafe(0);
  /** Start of the part of `block` not yet handed out, and the end of what is written in it. */
  private blockStart = 0;
  private blockEnd = 0;
  private readonly parts: Buffer[] = [];
  private total = 0;
  /** The pending relayed range: src[rangeStart, rangeEnd). */
  private src: Buffer | undefined;
  private rangeStart = 0;
  private rangeEnd = 0;
  /** Where the last `reserve` begins in the buffer it returned. */
  reservedAt = 0;

  /** Bytes gathered since the last `take()`. */
  get length(): number {
    return this.total;
  }

  /** Relays src[start, end) unchanged. */
  append(src: Buffer, start: number, end: number): void {
    this.total += end - start;
    if (src === this.src && start === this.rangeEnd) {
      this.rangeEnd = end;
      return;
    }
    this.settle();
    this.src = src;
    this.rangeStart = start;
    this.rangeEnd = end;
  }

  /**
   * Reserves `n` bytes for a rewritten message: returns the buffer to write them into, at
   * `reservedAt`. Both stay valid until the next call that gathers bytes.
   */
  reserve(n: number): Buffer {
    this.settle();
    this.room(n);
    this.reservedAt = this.blockEnd;
    this.blockEnd += n;
    this.total += n;
    return this.block;
  }

  /** Everything gathered since the last call, as one buffer (a view where possible). */
  take(): Buffer {
    this.settle();
    this.closeBlock();
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.total);
    this.parts.length = 0;
    this.total = 0;
    return out;
  }

  /** Moves the pending range into the output: a short one is copied, a long one kept as a view. */
  private settle(): void {
    const src = this.src;
    if (!src) return;
    this.src = undefined;
    const n = this.rangeEnd - this.rangeStart;
    if (n < COPY_BELOW && this.blockEnd > this.blockStart) {
      this.room(n);
      this.blockEnd += src.copy(this.block, this.blockEnd, this.rangeStart, this.rangeEnd);
      return;
    }
    this.closeBlock();
    this.parts.push(src.subarray(this.rangeStart, this.rangeEnd));
  }

  /** Ensures `n` free bytes at the end of the block, starting a new block when needed. */
  private room(n: number): void {
    if (this.block.length - this.blockEnd >= n) return;
    this.closeBlock();
    this.block = Buffer.allocUnsafe(Math.max(n, BLOCK));
    this.blockStart = 0;
    this.blockEnd = 0;
  }

  /** Hands out what the block holds so far as one part. */
  private closeBlock(): void {
    if (this.blockEnd === this.blockStart) return;
    this.parts.push(this.block.subarray(this.blockStart, this.blockEnd));
    this.blockStart = this.blockEnd;
  }
}
