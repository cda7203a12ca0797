/**
 * Detectors for numeric and coded identifiers. Each pattern is anchored on non-word boundaries
 * so that an identifier embedded in a longer token (a hash, a UUID) is not matched by accident.
 */
import { type Detector, digitsOf, luhnValid, Needs, regexDetector } from './types';

/**
 * SSA rules (since 2011, randomised issuance): area 001–899 except 666, group 01–99,
 * serial 0001–9999. https://www.ssa.gov/employer/randomization.html
 */
export function validSsn(value: string): boolean {
  const d = digitsOf(value);
  if (d.length !== 9) return false;
  const area = Number(d.slice(0, 3));
  return area !== 0 && area !== 666 && area < 900 && d.slice(3, 5) !== '00' && d.slice(5) !== '0000';
}

/** Dashed or spaced SSNs stand on their own; nine bare digits need the word SSN nearby. */
export const ssnDetectors: readonly Detector[] = [
  regexDetector({
    entity: 'SSN',
    needs: Needs.digit,
    pattern: /(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])/g,
    valid: validSsn,
  }),
  regexDetector({
    entity: 'SSN',
    needs: Needs.digit,
    pattern: /(?<![\w-])\d{9}(?![\w-])/g,
    valid: validSsn,
    context: /\b(?:ssn|ss#|soc(?:ial)?[ .-]*sec(?:urity)?(?:[ .-]*(?:no|number|#))?)\b[^\n]*$/i,
  }),
];

/** MRNs from the configured patterns (`masking.detectors.mrnPatterns`); bad patterns throw at build. */
export function mrnDetectors(patterns: readonly string[]): Detector[] {
  return patterns.map((p) => regexDetector({ entity: 'MRN', pattern: new RegExp(p, 'g') }));
}

/** "MRN: 12345678" style, whatever the configured shape: a labelled number is an MRN. */
export const labelledMrn = regexDetector({
  entity: 'MRN',
  needs: Needs.digit,
  prefilter: /mrn|medical record/i,
  pattern: /\b(?:MRN|medical record(?: number| no\.?)?)[:#\s]*(?<value>[A-Z]{0,3}\d{6,12})\b/gi,
});

/** Payment cards: 13–19 digits in groups, a known issuer prefix and a valid Luhn check digit. */
export const cardDetector = regexDetector({
  entity: 'CARD',
  needs: Needs.digit,
  pattern: /(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])/g,
  valid: (v) => {
    const d = digitsOf(v);
    return (
      d.length >= 13 &&
      d.length <= 19 &&
      /^(?:3[47]|4|5[1-5]|2[2-7]|6(?:011|5|4[4-9]))/.test(d) &&
      luhnValid(d)
    );
  },
});

/** NPI: ten digits starting 1 or 2, Luhn over the 80840 prefix (CMS); needs "NPI" nearby. */
export const npiDetector = regexDetector({
  entity: 'NPI',
  needs: Needs.digit,
  pattern: /(?<![\w-])[12]\d{9}(?![\w-])/g,
  valid: (v) => luhnValid(`80840${v}`),
  context: /\bnpi\b/i,
});

/**
 * Medicare Beneficiary Identifier: 11 characters, positions fixed as digit/letter/either, letters
 * excluding S L O I B Z; printed with or without dashes after the 4th and 7th.
 * https://www.cms.gov/medicare/new-medicare-card/understanding-the-mbi.pdf
 */
const L = '[AC-HJKMNP-RT-Y]';
const A = '[AC-HJKMNP-RT-Y0-9]';
export const mbiDetector = regexDetector({
  entity: 'MBI',
  needs: Needs.digit,
  pattern: new RegExp(`(?<![\\w-])[1-9]${L}${A}\\d-?${L}${A}\\d-?${L}{2}\\d{2}(?![\\w-])`, 'g'),
});

/** US passport numbers: 9 digits, or a letter and 8 digits (next generation); needs "passport". */
export const passportDetector = regexDetector({
  entity: 'PASSPORT',
  needs: Needs.digit,
  pattern: /(?<![\w-])[A-Z]?\d{8,9}(?![\w-])/g,
  valid: (v) => v.length === 9,
  context: /\bpassport\b/i,
  contextChars: 40,
});

/** Unspecified, loopback and documentation ranges (RFC 5737): they cannot point at a person. */
const NOT_PERSONAL = /^(?:0\.0\.0\.0|127\.|192\.0\.2\.|198\.51\.100\.|203\.0\.113\.)/;

/**
 * IPv4 addresses, octets 0–255. A dotted quad followed by another `.digit` or preceded by `v`
 * is a version number (v1.2.3.4, 10.0.19041.1), not an address.
 */
export const ipDetector = regexDetector({
  entity: 'IP',
  needs: Needs.digit,
  pattern: /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g,
  valid: (v) =>
    v.split('.').every((o) => Number(o) <= 255 && (o.length === 1 || o[0] !== '0')) && !NOT_PERSONAL.test(v),
});

/** IPv6 in full or compressed form (at least three groups, one of them `::` or eight in all). */
export const ipv6Detector = regexDetector({
  entity: 'IP',
  needs: Needs.digit,
  // Either form holds "::" or a hex digit on both sides of a colon.
  prefilter: /::|[0-9a-f]:[0-9a-f]/i,
  pattern:
    /(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:?){1,6}(?<!:)(?![\w:])/gi,
  valid: (v) => /\d/.test(v) && v.split(':').length >= 3,
});
