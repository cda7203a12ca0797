/**
 * Masks a stream of UTF-8 text (SSH output, HTTP text bodies): bytes in, masked text out, no I/O.
 * Detectors match within a line, so text is held until its line ends, and the complete lines
 * that have arrived are masked together: a value split across two chunks is still seen whole.
 *
 * A line longer than `maxLineChars` is masked in pieces, so memory stays bounded. Each piece ends
 * at a proven clean cut (clean-cut.ts) at least MATCH_REACH_CHARS before the end of what has
 * arrived: an identifier still arriving is never cut, one straddling a candidate cut moves the cut
 * back, and text once returned is never returned or masked again.
 *
 * Bytes are decoded with a StringDecoder, which holds a character split between chunks until its
 * last byte arrives; bytes that are not UTF-8 become U+FFFD (masking is text masking).
 */
import { StringDecoder } from 'node:string_decoder';
import { cleanCut, MATCH_REACH_CHARS } from './clean-cut';
import type { TextMasker } from './text-masker';

export interface StreamingTextMaskerOptions {
  readonly masker: TextMasker;
  /**
   * Longest partial line held, in UTF-16 code units; at least 2 × MATCH_REACH_CHARS.
   * @default 65536
   */
  readonly maxLineChars?: number;
}

export class StreamingTextMasker {
  /** Masked values per entity and strategy, summed over the stream (for the result audit event). */
  readonly counts: Record<string, number> = {};
  private readonly decoder = new StringDecoder('utf8');
  private readonly masker: TextMasker;
  private readonly maxLineChars: number;
  private pending = '';

  constructor(options: StreamingTextMaskerOptions) {
    this.masker = options.masker;
    this.maxLineChars = options.maxLineChars ?? 65_536;
    if (!Number.isInteger(this.maxLineChars) || this.maxLineChars < 2 * MATCH_REACH_CHARS) {
      throw new RangeError(`maxLineChars must be an integer of at least ${2 * MATCH_REACH_CHARS}`);
    }
  }

  /** Characters held until their line ends (at most `maxLineChars` between writes). */
  get pendingChars(): number {
    return this.pending.length;
  }

  /** Masked text ready to send: '' while the only line is still arriving. */
  write(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    const newline = text.lastIndexOf('\n');
    let lineEnd = 0;
    if (newline >= 0) lineEnd = this.pending.length + newline + 1;
    this.pending += text;
    let out = lineEnd > 0 ? this.take(lineEnd) : '';
    while (this.pending.length > this.maxLineChars) {
      const limit = this.pending.length - MATCH_REACH_CHARS;
      out += this.take(cleanCut(this.pending, limit, this.masker));
    }
    return out;
  }

  /** Masks and returns the partial line held (a shell prompt after a pause); the stream goes on. */
  flush(): string {
    return this.take(this.pending.length);
  }

  /** Masks and returns everything still held, including bytes of an unfinished character. */
  end(): string {
    this.pending += this.decoder.end();
    return this.take(this.pending.length);
  }

  private take(end: number): string {
    const text = this.pending.slice(0, end);
    this.pending = this.pending.slice(end);
    if (text === '') return '';
    const masked = this.masker.mask(text);
    for (const [k, n] of Object.entries(masked.counts)) this.counts[k] = (this.counts[k] ?? 0) + n;
    return masked.text;
  }
}
