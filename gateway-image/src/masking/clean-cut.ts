/**
 * Where a line too long to hold may be cut without splitting an identifier. Any TextMasker may
 * be in use, so a cut is proven rather than assumed: the text around it, masked whole, must
 * equal its two sides masked apart, text and counts alike. A blank alone proves nothing: names
 * and addresses contain blanks, and a keyword before a bare number (SSN, passport) is context.
 */
import type { TextMasker } from './text-masker';

/**
 * How far one detection reaches: the longest identifier a detector matches plus the context it
 * reads before it. An email address, at most 254 characters (RFC 5321 §4.5.3.1.3), is the longest
 * shipped shape; DOB and passport look 40 characters back for their keyword. Detectors state no
 * maximum of their own, so it is fixed here; a configured MRN pattern longer than this is not
 * protected across a cut.
 */
export const MATCH_REACH_CHARS = 320;

/** Candidates proven before falling back; each proof masks about 2 × MATCH_REACH_CHARS three times. */
const MAX_PROOFS = 32;

/** Whitespace or ASCII punctuation: cutting after one never splits a word or a number. */
const BOUNDARY = /[\s!-/:-@[-`{-~]/;

/**
 * The cut at or before `limit` (0 < limit ≤ text.length) closest to it that ends on a boundary
 * and is proven clean. Without a proven one, the boundary closest to `limit` (an identifier then
 * chained past the reach, such as overlapping names merged into one span), or `limit` itself when
 * the text has no boundary at all. Never splits a surrogate pair; always greater than 0.
 */
export function cleanCut(text: string, limit: number, masker: TextMasker): number {
  let fallback = 0;
  let proofs = 0;
  for (let at = limit; at > 0 && proofs < MAX_PROOFS; at--) {
    if (!BOUNDARY.test(text.charAt(at - 1))) continue;
    if (cutIsClean(text, at, masker)) return at;
    if (fallback === 0) fallback = at;
    proofs++;
  }
  if (fallback > 0) return fallback;
  return isHighSurrogate(text.charCodeAt(limit - 1)) && limit > 1 ? limit - 1 : limit;
}

/** True when masking around `at` gives the same text and counts with the cut as without it. */
function cutIsClean(text: string, at: number, masker: TextMasker): boolean {
  const from = Math.max(0, at - MATCH_REACH_CHARS);
  const to = Math.min(text.length, at + MATCH_REACH_CHARS);
  const whole = masker.mask(text.slice(from, to));
  const left = masker.mask(text.slice(from, at));
  const right = masker.mask(text.slice(at, to));
  if (whole.text !== left.text + right.text) return false;
  const keys = new Set([
    ...Object.keys(whole.counts),
    ...Object.keys(left.counts),
    ...Object.keys(right.counts),
  ]);
  for (const k of keys) {
    if ((whole.counts[k] ?? 0) !== (left.counts[k] ?? 0) + (right.counts[k] ?? 0)) return false;
  }
  return true;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
