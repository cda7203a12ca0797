/**
 * Streams command output through a TextMasker, a line at a time (see StreamingTextMasker). In an
 * interactive shell a partial line (a prompt) is released after `idleFlushMs` of quiet, so the
 * terminal does not stall.
 *
 * Binary transfers belong on sftp, where policy decides separately: bytes that are not UTF-8
 * reach the client as U+FFFD.
 */
import { StreamingTextMasker } from '../../masking/streaming-text-masker';
import type { TextMasker } from '../../masking/text-masker';

export interface MaskStreamOptions {
  /** Longest partial line held before it is masked in pieces. @default 65536 */
  readonly maxLineChars?: number;
  /** Release a pending partial line after this much quiet. @default undefined: only at line ends */
  readonly idleFlushMs?: number;
}

export class MaskStream {
  private readonly text: StreamingTextMasker;
  private timer: NodeJS.Timeout | undefined;
  /** Masked values per entity/strategy, summed over the stream (for the result audit event). */
  readonly counts: Record<string, number>;
  bytesIn = 0;

  constructor(
    masker: TextMasker,
    private readonly emit: (masked: string) => void,
    private readonly options: MaskStreamOptions = {},
  ) {
    this.text = new StreamingTextMasker({ masker, maxLineChars: options.maxLineChars });
    this.counts = this.text.counts;
  }

  push(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.send(this.text.write(chunk));
    this.armIdle();
  }

  /** Masks and emits whatever is pending (end of stream). */
  end(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.send(this.text.end());
  }

  private armIdle(): void {
    if (this.options.idleFlushMs === undefined) return;
    if (this.text.pendingChars === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (this.timer) {
      // One timer per stream, pushed back on every chunk rather than replaced.
      this.timer.refresh();
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.send(this.text.flush());
      }, this.options.idleFlushMs);
    }
  }

  private send(masked: string): void {
    if (masked !== '') this.emit(masked);
  }
}
