/**
 * The masking strategies: what a PHI value becomes. Pure functions over strings, so every
 * protocol applies them the same way; the Postgres adapter announces masked columns as text,
 * which every strategy's output is (see column-masker.ts).
 */
import { redactionLabel } from './entities';
import type { TokenKeyring } from './token';

export type MaskingStrategy = 'redact' | 'partial' | 'token' | 'null' | 'year' | 'raw';

/**
 * Least revealing first. When one output depends on inputs masked differently, or when a value
 * was transformed so that `partial`/`year` would no longer cut at the right place, the output
 * takes the strictest strategy.
 */
const STRICTNESS: Readonly<Record<MaskingStrategy, number>> = {
  null: 5,
  redact: 4,
  token: 3,
  year: 2,
  partial: 1,
  raw: 0,
};

export function strictest(a: MaskingStrategy, b: MaskingStrategy): MaskingStrategy {
  return STRICTNESS[b] > STRICTNESS[a] ? b : a;
}

export interface StrategyContext {
  readonly tokens: TokenKeyring | undefined;
  /** For `partial` on free text (NOTE): the detectors mask what they find inside it. */
  readonly maskText?: (text: string) => string;
}

/** The masked form of `value`; null means SQL NULL (or, in free text, nothing). */
export function applyStrategy(
  strategy: MaskingStrategy,
  entity: string,
  value: string,
  ctx: StrategyContext,
): string | null {
  switch (strategy) {
    case 'raw':
      return value;
    case 'null':
      return null;
    case 'redact':
      return redactionLabel(entity);
    case 'token':
      // Without a key a token cannot be keyed: fail closed to a redaction.
      return ctx.tokens ? ctx.tokens.token(entity, value) : redactionLabel(entity);
    case 'year':
      return yearOf(value) ?? redactionLabel(entity);
    case 'partial':
      return partial(entity, value, ctx);
  }
}

/** The first plausible four-digit year in a date-like value (ISO, US, or Postgres text output). */
export function yearOf(value: string): string | undefined {
  return YEAR.exec(value)?.[1];
}

const YEAR = /(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)/;

/**
 * `applyStrategy` over the UTF-8 bytes buf[start, end), for the shapes that need no decoding: a
 * date that starts with its year, an ASCII value cut to its last four, an e-mail domain.
 * Undefined when the value needs the string path (anything else); the result is byte for byte
 * what the string path would encode. A returned Buffer may be shared: never write to it.
 */
export function applyStrategyUtf8(
  strategy: MaskingStrategy,
  entity: string,
  buf: Buffer,
  start: number,
  end: number,
): Buffer | undefined {
  if (strategy === 'year' || (strategy === 'partial' && entity === 'DOB'))
    return leadingYear(buf, start, end);
  if (strategy !== 'partial' || entity === 'NAME' || entity === 'NOTE') return undefined;
  if (entity === 'EMAIL') {
    // 0x40 never occurs inside a multi-byte UTF-8 sequence, so the last '@' byte is the last '@'.
    let at = end - 1;
    while (at >= start && buf[at] !== 0x40) at--;
    if (at <= start) return undefined;
    const out = Buffer.allocUnsafe(3 + end - at);
    out.write('***', 0, 'latin1');
    buf.copy(out, 3, at, end);
    return out;
  }
  return lastFourAscii(buf, start, end);
}

/** The years `yearOf` accepts, encoded once. */
const YEARS: readonly Buffer[] = Array.from({ length: 400 }, (_, i) => Buffer.from(String(1800 + i)));

/** `yearOf` when the value starts with its year (ISO dates, Postgres `date` text output). */
function leadingYear(v: Buffer, start: number, end: number): Buffer | undefined {
  if (end - start < 4 || (end - start > 4 && isDigit(v[start + 4]!))) return undefined;
  const a = v[start]! - 0x30;
  const b = v[start + 1]! - 0x30;
  const c = v[start + 2]! - 0x30;
  const d = v[start + 3]! - 0x30;
  const century = (a === 1 && (b === 8 || b === 9)) || (a === 2 && (b === 0 || b === 1));
  if (!century || c < 0 || c > 9 || d < 0 || d > 9) return undefined;
  return YEARS[a * 1000 + b * 100 + c * 10 + d - 1800];
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** `lastFour` over pure-ASCII bytes (where a byte is a character); undefined otherwise. */
function lastFourAscii(v: Buffer, start: number, end: number): Buffer | undefined {
  let alnum = 0;
  for (let i = start; i < end; i++) {
    const c = v[i]!;
    if (c >= 0x80) return undefined;
    if (isAlnumByte(c)) alnum++;
  }
  if (alnum < 8) return undefined;
  const out = Buffer.allocUnsafe(end - start);
  let keep = 4;
  for (let i = end - 1; i >= start; i--) {
    const c = v[i]!;
    if (!isAlnumByte(c)) out[i - start] = c;
    else if (keep > 0) {
      out[i - start] = c;
      keep--;
    } else out[i - start] = 0x2a; // '*'
  }
  return out;
}

function isAlnumByte(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function partial(entity: string, value: string, ctx: StrategyContext): string {
  switch (entity) {
    case 'DOB':
      return yearOf(value) ?? redactionLabel(entity);
    case 'NAME': {
      const initial = /\p{L}/u.exec(value)?.[0];
      return initial ? `${initial.toUpperCase()}.` : redactionLabel(entity);
    }
    case 'EMAIL': {
      const at = value.lastIndexOf('@');
      return at > 0 ? `***${value.slice(at)}` : redactionLabel(entity);
    }
    case 'NOTE':
      return ctx.maskText ? ctx.maskText(value) : redactionLabel(entity);
    default:
      return lastFour(value) ?? redactionLabel(entity);
  }
}

/**
 * Keeps the last four letters or digits and the separators, stars the rest: `***-**-6789`.
 * Values with fewer than eight of them are redacted, since four would be half the value or more.
 */
export function lastFour(value: string): string | undefined {
  let alnum = 0;
  for (let i = 0; i < value.length; i++) if (isAlnum(value, i)) alnum++;
  if (alnum < 8) return undefined;
  let keep = 4;
  const out: string[] = new Array(value.length);
  for (let i = value.length - 1; i >= 0; i--) {
    if (!isAlnum(value, i)) out[i] = value[i]!;
    else if (keep > 0) {
      out[i] = value[i]!;
      keep--;
    } else out[i] = '*';
  }
  return out.join('');
}

const ALNUM = /[\p{L}\p{N}]/u;

/** ASCII is decided by char code (this runs per character of every partially masked value). */
function isAlnum(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return ALNUM.test(s[i]!);
}
