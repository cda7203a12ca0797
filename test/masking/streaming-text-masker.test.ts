import { masking } from '../../gateway-image/src/config/policy';
import type { Principal } from '../../gateway-image/src/identity/principal';
import { MATCH_REACH_CHARS } from '../../gateway-image/src/masking/clean-cut';
import { resolveMaskingPolicy } from '../../gateway-image/src/masking/profile';
import { StreamingTextMasker } from '../../gateway-image/src/masking/streaming-text-masker';
import {
  createTextMasker,
  type MaskedText,
  type TextMasker,
} from '../../gateway-image/src/masking/text-masker';

const agent: Principal = {
  subject: 'a',
  kind: 'agent',
  groups: ['agents'],
  issuer: 'i',
  expiresAt: new Date(8.64e15),
  via: 'oidc',
};
const maskerWith = (strategy: 'redact' | 'raw'): TextMasker =>
  createTextMasker({
    policy: resolveMaskingPolicy(
      masking.parse({ profiles: [{ name: 'p', principals: { kinds: ['agent'] }, default: strategy }] }),
      agent,
    ),
  });
const masker = maskerWith('redact');

const CAP = 65_536;
const FILLER = 'the quick brown fox jumps over the lazy dog, then rests; ';
/** [entity, text carrying it, a fragment that must not survive masking] */
const IDS: readonly (readonly [string, string, string])[] = [
  ['SSN', 'SSN 123-45-6789', '6789'],
  ['SSN in context', 'ssn on file 123456789', '123456789'],
  ['MRN', 'chart MRN04512345', '04512345'],
  ['EMAIL', 'maria.garcia@example.com', 'example'],
  ['PHONE', 'call (415) 555-0199', '0199'],
  ['NAME', 'Patient Maria Garcia', 'Garcia'],
  ['ADDRESS', '4821 Oak Ave, Chicago, IL 60601', 'Oak'],
  ['DOB', 'DOB 1984-03-07', '1984'],
  ['PASSPORT', 'passport number 123456789', '123456789'],
];

interface Streamed extends MaskedText {
  /** The most characters held between two writes. */
  readonly maxPending: number;
}

/** Streams `text` in chunks of the given byte sizes (the last size repeats until the end). */
function stream(
  text: string | Buffer,
  sizes: readonly number[],
  m = masker,
  maxLineChars?: number,
): Streamed {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const s = new StreamingTextMasker({ masker: m, maxLineChars });
  let out = '';
  let maxPending = 0;
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)]!;
    out += s.write(bytes.subarray(at, at + size));
    at += size;
    maxPending = Math.max(maxPending, s.pendingChars);
  }
  out += s.end();
  return { text: out, counts: s.counts, maxPending };
}

/** Compares long strings around their first difference instead of printing both whole. */
function expectSameText(actual: string, expected: string): void {
  let i = 0;
  while (i < actual.length && actual.charCodeAt(i) === expected.charCodeAt(i)) i++;
  expect({ at: i, actual: actual.slice(i - 80, i + 80) }).toEqual({
    at: i,
    actual: expected.slice(i - 80, i + 80),
  });
  expect(actual.length).toBe(expected.length);
}

function expectMaskedWhole(r: MaskedText, text: string, m = masker): void {
  const whole = m.mask(text);
  expectSameText(r.text, whole.text);
  expect(r.counts).toEqual(whole.counts);
}

/** One line (no newline) of `length` characters of filler with ` id ` placed at `start`. */
function lineWith(id: string, start: number, length: number): string {
  const head = FILLER.repeat(Math.ceil(start / FILLER.length)).slice(0, start);
  const tail = FILLER.repeat(Math.ceil(length / FILLER.length));
  return `${head} ${id} ${tail}`.slice(0, length);
}

describe('StreamingTextMasker', () => {
  test('refuses a line cap shorter than two match reaches', () => {
    expect(() => new StreamingTextMasker({ masker, maxLineChars: MATCH_REACH_CHARS })).toThrow(RangeError);
  });

  test.each(IDS)('%s across 64K characters of a long line is masked', (_entity, id, fragment) => {
    // Where the line was cut before: at a blank once 64K characters were held.
    const text = lineWith(id, CAP - Math.floor(id.length / 2), 100_000);
    for (const sizes of [[CAP, 4096], [4096], [text.length]]) {
      const r = stream(text, sizes);
      expectMaskedWhole(r, text);
      expect(r.text).not.toContain(fragment);
      expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBe(1);
    }
  });

  test.each(IDS)('%s straddling the cut, at every offset, is masked once', (_entity, id, fragment) => {
    // The first cut is sought backwards from MATCH_REACH_CHARS before the end of what has arrived:
    // the line ends at 70 000 in one chunk, at 17 × 4096 in 4096-byte chunks.
    for (const [length, sizes] of [
      [70_000, [70_000]],
      [17 * 4096, [4096]],
    ] as const) {
      const limit = length - MATCH_REACH_CHARS;
      for (let start = limit - id.length - 1; start <= limit + 1; start++) {
        const text = lineWith(id, start, length);
        const r = stream(text, sizes);
        expectMaskedWhole(r, text);
        expect(r.text).not.toContain(fragment);
      }
    }
  });

  test('raw disclosure across a cut is counted once, as for the whole line', () => {
    const raw = maskerWith('raw');
    // The first candidate cut falls between "Maria " and "Garcia".
    const text = lineWith('Maria Garcia', 70_000 - MATCH_REACH_CHARS - 7, 70_000);
    const r = stream(text, [text.length], raw);
    expect(r.text).toBe(text);
    expect(r.counts).toEqual({ 'NAME:raw': 1 });
  });

  test('a short line split at every byte offset, multibyte characters included', () => {
    const lines = [
      'Patient Maria Garcia, SSN 123-45-6789, café 日本 🩺 mail maria.garcia@example.com\n',
      'ssn on file 123456789 — call (415) 555-0199 from 4821 Oak Ave, Chicago, IL 60601 ✓',
    ];
    const text = lines.join('');
    const bytes = Buffer.from(text, 'utf8');
    const expected = lines.map((l) => masker.mask(l).text).join('');
    expect(expected).not.toMatch(/Garcia|6789|0199|Oak/);
    for (let k = 0; k <= bytes.length; k++) {
      expect(stream(bytes, [k, bytes.length]).text).toBe(expected);
    }
    expect(stream(bytes, [1]).text).toBe(expected);
  });

  test('a long line of multibyte characters without boundaries is cut between characters', () => {
    const text = '日本🩺é'.repeat(2000);
    for (const size of [1, 7, 4096]) {
      const r = stream(text, [size], masker, 2 * MATCH_REACH_CHARS);
      expect(r.text).toBe(text);
      expect(r.maxPending).toBeLessThanOrEqual(2 * MATCH_REACH_CHARS);
    }
  });

  test('dense identifiers through a small cap, every chunk size up to 64 bytes', () => {
    let text = '';
    for (let i = 0; text.length < 4000; i++) text += `${IDS[i % IDS.length]![1]}; ${FILLER.slice(0, i % 13)}`;
    for (let size = 1; size <= 64; size++) {
      const r = stream(text, [size], masker, 2 * MATCH_REACH_CHARS);
      expectMaskedWhole(r, text);
      expect(r.maxPending).toBeLessThanOrEqual(2 * MATCH_REACH_CHARS);
    }
  });

  test('a 10 MB line with identifiers throughout: all masked, in bounded memory', () => {
    const parts: string[] = [];
    let length = 0;
    let ids = 0;
    for (let i = 0; length < 10 * 1024 * 1024; i++) {
      // Irregular spacing, so identifiers fall on every position relative to the cuts.
      const part = FILLER.repeat(1 + (i % 7)).slice(i % 31) + IDS[i % IDS.length]![1] + ' ';
      parts.push(part);
      length += part.length;
      ids++;
    }
    const text = parts.join('');
    const r = stream(text, [64 * 1024]);
    expect(r.maxPending).toBeLessThanOrEqual(CAP);
    expectMaskedWhole(r, text);
    expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBe(ids);
  });
});
