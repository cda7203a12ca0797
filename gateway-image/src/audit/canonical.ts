/**
 * Canonical JSON, the byte string an audit event's hash is computed over.
 *
 * The encoding is the JSON Canonicalization Scheme (RFC 8785) restricted to plain JSON data, so an
 * auditor can re-check a log with any JCS library in any language:
 * - `null`, `true`, `false` as literals;
 * - numbers finite only, written as ECMAScript `Number.prototype.toString` writes them (shortest
 *   form that round-trips; `-0` is `0`); `NaN` and `Infinity` are rejected, not turned into null;
 * - strings escaped exactly as `JSON.stringify` escapes them (lone surrogates as `\uXXXX`);
 * - arrays in order; objects with their own keys sorted by UTF-16 code units, keys whose value is
 *   `undefined` left out (as `JSON.stringify` does), no whitespace anywhere.
 * Anything that is not plain data (a Date, a Buffer, a Map, a class instance, a function, a bigint,
 * a cycle) is rejected, so what is hashed is exactly what a reader parses back from the line.
 */

import { isImmutable } from '../immutable';

/** Deeper nesting than this is refused: audit bodies are shallow, and it stops cycles early. */
const MAX_DEPTH = 64;

/** A value that could not be canonicalized; the message names the JSON path. */
export class CanonicalJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalJsonError';
  }
}

/** Encode `value` as canonical JSON (see the module comment for the exact rules). */
export function canonicalize(value: unknown): string {
  return encode(value, []);
}

/** Encodings of immutable values (see immutable.ts), which appear in many events. */
const remembered = new WeakMap<object, string>();

/**
 * `path` holds the keys and indexes leading to `value`; it is only turned into text when a value
 * is refused, which keeps the common case (hashing every audit event) cheap.
 */
function encode(value: unknown, path: (string | number)[]): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw refuse(path, `${value} is not a finite number`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw refuse(path, `a ${typeof value} is not JSON data`);
  }
  if (path.length >= MAX_DEPTH) throw refuse(path, `nested deeper than ${MAX_DEPTH} levels`);
  if (isImmutable(value)) {
    const known = remembered.get(value);
    if (known !== undefined) return known;
    const text = encodeObject(value, path);
    remembered.set(value, text);
    return text;
  }
  return encodeObject(value, path);
}

function encodeObject(value: object, path: (string | number)[]): string {
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      if (value[i] === undefined) throw refuse(path, 'undefined is not JSON data');
      out += (i === 0 ? '' : ',') + encode(value[i], path);
      path.pop();
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw refuse(path, `a ${(value as object).constructor?.name ?? 'object'} is not plain JSON data`);
  }
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
  const keys = Object.keys(record).sort();
  out = '{';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    path.push(key);
    out += (out.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + encode(item, path);
    path.pop();
  }
  return `${out}}`;
}

function refuse(path: readonly (string | number)[], why: string): CanonicalJsonError {
  const where = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return new CanonicalJsonError(`$${where}: ${why}`);
}
