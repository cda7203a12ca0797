/**
 * Streams command output through a TextMasker. Detectors match within a line, so output is held
 * until a line ends: a value split across two TCP chunks is still seen whole. A line longer than
 * `maxLineChars` is cut at its last blank (identifiers do not span blanks), and in an interactive
 * shell a partial line (a prompt) is released after `idleFlushMs` so the terminal does not stall.
 *
 * Output is decoded as UTF-8: masking is text masking, so bytes that are not UTF-8 reach the
 * client as U+FFFD. Binary transfers belong on sftp, where policy decides separately.
 */
import { StringDecoder } from 'node:string_decoder';
import type { TextMasker } from '../../masking/text-masker';

export interface MaskStreamOptions {
  /** @default 65536 */
  readonly maxLineChars?: number;
  /** Release a pending partial line after this much quiet. @default undefined: only at line ends */
  readonly idleFlushMs?: number;
}

export class MaskStream {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly maxLineChars: number;
  /** Masked values per entity/strategy, summed over the stream (for the result audit event). */
  readonly counts: Record<string, number> = {};
  bytesIn = 0;

  constructor(
    private readonly masker: TextMasker,
    private readonly emit: (masked: string) => void,
    private readonly options: MaskStreamOptions = {},
  ) {
    this.maxLineChars = options.maxLineChars ?? 65_536;
  }

  push(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.pending += this.decoder.write(chunk);
    const cut = this.cutPoint();
    if (cut > 0) {
      const ready = this.pending.slice(0, cut);
      this.pending = this.pending.slice(cut);
      this.release(ready);
    }
    this.armIdle();
  }

  /** Masks and emits whatever is pending (end of stream). */
  end(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    this.release(rest);
  }

  private cutPoint(): number {
    const nl = this.pending.lastIndexOf('\n');
    if (nl >= 0) return nl + 1;
    if (this.pending.length < this.maxLineChars) return 0;
    const blank = this.pending.search(/\s\S*$/);
    return blank > 0 ? blank + 1 : this.pending.length;
  }

  private armIdle(): void {
    if (this.options.idleFlushMs === undefined) return;
    if (this.pending === '') {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (this.timer) {
      // One timer per stream, pushed back on every chunk rather than replaced.
      this.timer.refresh();
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const text = this.pending;
        this.pending = '';
        this.release(text);
      }, this.options.idleFlushMs);
    }
  }

  private release(text: string): void {
    if (text === '') return;
    const { text: masked, counts } = this.masker.mask(text);
    for (const [k, n] of Object.entries(counts)) this.counts[k] = (this.counts[k] ?? 0) + n;
    this.emit(masked);
  }
}
