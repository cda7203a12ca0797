/**
 * Streams a text body through a TextMasker. Detectors need whole identifiers, so text is masked a
 * line at a time; a line longer than `windowChars` is cut at its last whitespace (identifiers the
 * detectors know contain none), and only a window with no whitespace at all is cut blindly.
 */

import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { TextMasker } from '../../masking/text-masker';

export interface TextMaskStreamOptions {
  readonly masker: TextMasker;
  /** Longest run of text held before it is masked and sent. @default 65536 */
  readonly windowChars?: number;
}

export function createTextMaskStream(
  opts: TextMaskStreamOptions,
): Transform & { readonly counts: Record<string, number> } {
  const windowChars = opts.windowChars ?? 65_536;
  const decoder = new StringDecoder('utf8');
  const counts: Record<string, number> = {};
  let pending = '';
  const mask = (text: string): Buffer => {
    const masked = opts.masker.mask(text);
    for (const [k, c] of Object.entries(masked.counts)) counts[k] = (counts[k] ?? 0) + c;
    return Buffer.from(masked.text, 'utf8');
  };
  const stream = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      try {
        pending += decoder.write(chunk);
        let cut = pending.lastIndexOf('\n') + 1;
        if (cut === 0 && pending.length > windowChars) {
          const space = pending.search(/\s\S*$/);
          cut = space > 0 ? space + 1 : pending.length;
        }
        if (cut > 0) {
          this.push(mask(pending.slice(0, cut)));
          pending = pending.slice(cut);
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback) {
      try {
        pending += decoder.end();
        if (pending.length > 0) this.push(mask(pending));
        pending = '';
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  return Object.assign(stream, { counts });
}
