/** Streams a text body through a TextMasker, a line at a time (see StreamingTextMasker). */
import { Transform } from 'node:stream';
import { StreamingTextMasker, type StreamingTextMaskerOptions } from '../../masking/streaming-text-masker';

export function createTextMaskStream(
  opts: StreamingTextMaskerOptions,
): Transform & { readonly counts: Record<string, number> } {
  const text = new StreamingTextMasker(opts);
  const stream = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      try {
        const masked = text.write(chunk);
        if (masked !== '') this.push(Buffer.from(masked, 'utf8'));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback) {
      try {
        const masked = text.end();
        if (masked !== '') this.push(Buffer.from(masked, 'utf8'));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  return Object.assign(stream, { counts: text.counts });
}
