/** Detectors for contact details and dates of birth in free text. */
import { type Detector, Needs, regexDetector } from './types';

export const emailDetector = regexDetector({
  entity: 'EMAIL',
  needs: Needs.at,
  pattern: /(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}(?![\w-])/g,
  // `user@host.tld` in a config example or a git trailer is still an address; local parts that
  // start or end with a dot are not valid and are usually a path fragment.
  valid: (v) => !v.startsWith('.') && !v.includes('..'),
});

/**
 * NANP phone numbers: area code and exchange start 2–9; separators required between groups
 * (ten bare digits are far more often an id or a timestamp than a phone number).
 */
export const phoneDetector = regexDetector({
  entity: 'PHONE',
  needs: Needs.digit,
  pattern:
    /(?<![\w+-])(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w-]|\.\d)/g,
});

const SUFFIX =
  '(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl)';
const STATES =
  'A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY]';

/**
 * Street addresses: a house number, one to three capitalised words and a street suffix, then
 * optionally `, City, ST 12345`. Capitalisation is required, so "3 main roads" in prose is not one.
 */
export const addressDetector = regexDetector({
  entity: 'ADDRESS',
  needs: Needs.digit,
  pattern: new RegExp(
    `(?<![\\w-])\\d{1,6}\\s+(?:[A-Z][a-z]+\\.?\\s+){1,3}${SUFFIX}\\b\\.?` +
      `(?:,?\\s+(?:(?:Apt|Suite|Unit|#)\\s*\\w+,?\\s+)?(?:[A-Z][a-z]+\\s){0,2}[A-Z][a-z]+,\\s+(?:${STATES})\\b(?:\\s+\\d{5}(?:-\\d{4})?)?)?`,
    'g',
  ),
});

/** ZIP+4 or a state and ZIP after a city: the tail of an address written without a street. */
export const cityStateZipDetector = regexDetector({
  entity: 'ADDRESS',
  // The city before it is a capitalised word.
  needs: Needs.digit | Needs.upper,
  pattern: new RegExp(`(?<=\\b[A-Z][a-z]+,\\s)(?:${STATES})\\s+\\d{5}(?:-\\d{4})?\\b`, 'g'),
});

const MONTH =
  '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const DATE =
  '(?:(?:19|20)\\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])' +
  '|(?:0?[1-9]|1[0-2])[/.-](?:0?[1-9]|[12]\\d|3[01])[/.-](?:(?:19|20)\\d{2}|\\d{2})' +
  `|${MONTH}\\.?\\s+(?:0?[1-9]|[12]\\d|3[01])(?:st|nd|rd|th)?,?\\s+(?:19|20)\\d{2}` +
  `|(?:0?[1-9]|[12]\\d|3[01])\\s+${MONTH}\\.?\\s+(?:19|20)\\d{2})`;

/**
 * Dates of birth: a date (ISO, US numeric, or written month) shortly after "DOB", "born",
 * "date of birth" or "birth date". Other dates in notes (visit dates, release dates in a
 * changelog) are not identifiers on their own terms here; the date column strategies cover
 * classified date columns.
 */
export const dobDetector: Detector = regexDetector({
  entity: 'DOB',
  needs: Needs.digit,
  pattern: new RegExp(`(?<![\\w/.-])${DATE}(?![\\w/]|[.-]\\d)`, 'g'),
  // Every word `context` accepts holds one of these: without one, no date here is a birth date.
  prefilter: /\b(?:dob|d\.o\.b|born|birth)/i,
  context:
    /\b(?:DOB|D\.O\.B\.?|born(?:\s+on)?|date\s+of\s+birth|birth\s*date|birthday)\b[\s:#-]*(?:\S+\s+){0,2}$/i,
  contextChars: 40,
});
