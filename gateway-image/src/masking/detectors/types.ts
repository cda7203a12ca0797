/** A span of text a detector recognised as an identifier. Offsets are UTF-16 indices. */
export interface Detection {
  readonly entity: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Characters a detector cannot match without (see `needs`): a value lacking one skips the
 * detector before any regex runs. Most values (statuses, codes, words) carry no digit at all.
 */
export const Needs = {
  /** An ASCII digit 0-9 (what `\d` matches without the `u` flag, and with it). */
  digit: 1,
  /** An '@'. */
  at: 2,
  /** An ASCII capital A-Z. */
  upper: 4,
  /** Whitespace as `\s` sees it (every non-ASCII character counts, to stay on the safe side). */
  space: 8,
} as const;

/** The `Needs` bits present in `text`: one pass, stops once every bit is seen. */
export function charClasses(text: string): number {
  let bits = 0;
  for (let i = 0; i < text.length && bits !== 15; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) bits |= Needs.digit;
    else if (c >= 65 && c <= 90) bits |= Needs.upper;
    else if (c === 64) bits |= Needs.at;
    else if (c === 32 || (c >= 9 && c <= 13) || c >= 128) bits |= Needs.space;
  }
  return bits;
}

export interface Detector {
  readonly entity: string;
  /**
   * `Needs` bits a match requires, all of them: a promise that `find` yields nothing on text
   * lacking one. @default 0 (always run)
   */
  readonly needs?: number;
  /** Every span this detector recognises; spans may overlap other detectors' spans. */
  find(text: string): Iterable<Detection>;
}

export interface RegexDetectorOptions {
  readonly entity: string;
  /** Must be global (`g`). The span is group `value` when the pattern names one, else the match. */
  readonly pattern: RegExp;
  /** Rejects matches that have the shape but not the rules (SSA ranges, Luhn, octets ≤ 255). */
  readonly valid?: (value: string) => boolean;
  /**
   * A keyword required shortly before the match (`SSN`, `passport`). Used for shapes that are
   * too common in ordinary text to flag on their own: nine bare digits, ten-digit numbers.
   */
  readonly context?: RegExp;
  /** How many characters before the match `context` is searched in. @default 32 */
  readonly contextChars?: number;
  /** See `Detector.needs`. @default 0 */
  readonly needs?: number;
  /**
   * A cheaper pattern that any text holding a match (with its `context`) also matches: text it
   * does not match skips the detector. It must be a necessary condition, never a guess: it
   * changes how fast a detector runs, never what it finds. @default none
   */
  readonly prefilter?: RegExp;
}

export function regexDetector(o: RegexDetectorOptions): Detector {
  if (!o.pattern.global) throw new TypeError(`detector ${o.entity}: pattern must be global`);
  const window = o.contextChars ?? 32;
  // Without `g` a RegExp keeps no lastIndex, so one instance can be shared: most values match no
  // detector, and this test rejects them without the generator and iterator of the full search.
  const probe = new RegExp(o.pattern.source, o.pattern.flags.replace('g', ''));
  return {
    entity: o.entity,
    ...(o.needs ? { needs: o.needs } : {}),
    *find(text) {
      if (o.prefilter?.test(text) === false || !probe.test(text)) return;
      // A fresh RegExp per call: detectors are shared between sessions and lastIndex is state.
      const re = new RegExp(o.pattern.source, o.pattern.flags);
      for (const m of text.matchAll(re)) {
        const value = m.groups?.value ?? m[0];
        const start = m.index + (m.groups?.value === undefined ? 0 : m[0].indexOf(value));
        if (value.length === 0) continue;
        if (o.valid && !o.valid(value)) continue;
        if (o.context && !o.context.test(text.slice(Math.max(0, start - window), start))) continue;
        yield { entity: o.entity, start, end: start + value.length };
      }
    },
  };
}

/** Luhn (mod 10) over a digit string, check digit last. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (d < 0 || d > 9) return false;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 1 && sum % 10 === 0;
}

export function digitsOf(value: string): string {
  return value.replace(/\D/g, '');
}
