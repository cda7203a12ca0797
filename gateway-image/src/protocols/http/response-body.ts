/**
 * How an upstream response body is treated, from its Content-Type and Content-Encoding:
 *   json    application/json, any +json, NDJSON → the streaming JSON rewriter (field rules + detectors)
 *   text    text/*, XML, form data, JavaScript, or no Content-Type at all → detectors, line by line
 *   binary  anything else → passed through untouched only if the connection lists the type
 * Compressed json/text bodies are decoded (gzip, deflate, br; stacked codings too) and sent to the
 * client uncompressed; an unknown coding cannot be masked, so it is refused like a binary type.
 */
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { HttpConnectionConfig } from '../../config/connections';
import { JsonMaskRewriter } from '../../masking/json-stream';
import { type CompiledFieldPaths, compileFieldPaths } from '../../masking/json-stream-path';
import { StreamingTextMasker } from '../../masking/streaming-text-masker';
import type { HttpMasker } from './hooks';
import type { BodyMask } from './relay';

export type BodyKind = 'json' | 'text' | 'binary';

export function mediaType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return t === '' ? undefined : t;
}

export function bodyKind(contentType: string | undefined): BodyKind {
  const t = mediaType(contentType);
  if (t === undefined) return 'text';
  if (
    t === 'application/json' ||
    t.endsWith('+json') ||
    t === 'application/x-ndjson' ||
    t === 'application/jsonl'
  )
    return 'json';
  if (
    t.startsWith('text/') ||
    t === 'application/xml' ||
    t.endsWith('+xml') ||
    t === 'application/x-www-form-urlencoded' ||
    t === 'application/javascript' ||
    t === 'application/graphql'
  )
    return 'text';
  return 'binary';
}

/** Whether a binary media type is on the connection's pass-through list (`type/*` allowed). */
export function binaryAllowed(contentType: string | undefined, allowed: readonly string[]): boolean {
  const t = mediaType(contentType);
  if (t === undefined) return false;
  return allowed.some((a) => a === t || (a.endsWith('/*') && t.startsWith(a.slice(0, -1))));
}

/** Decoders for a Content-Encoding header, outermost coding first; undefined when one is unknown. */
export function decoders(contentEncoding: string | undefined): Transform[] | undefined {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  const out: Transform[] = [];
  // Codings are listed in the order they were applied (RFC 9110 §8.4): undo them last to first.
  for (const c of codings.reverse()) {
    if (c === 'gzip' || c === 'x-gzip') out.push(createGunzip());
    else if (c === 'deflate') out.push(createInflate());
    else if (c === 'br') out.push(createBrotliDecompress());
    else return undefined;
  }
  return out;
}

const compiled = new WeakMap<object, CompiledFieldPaths>();

/** Field rules compiled once per connection config object. */
export function fieldPathsFor(connection: HttpConnectionConfig): CompiledFieldPaths | undefined {
  if (Object.keys(connection.phiFields).length === 0) return undefined;
  let c = compiled.get(connection);
  if (!c) {
    c = compileFieldPaths(connection.phiFields, { codeMembers: connection.codeMembers });
    compiled.set(connection, c);
  }
  return c;
}

/** The masker of a json or text body, one chunk at a time; `counts` fills in as it runs. */
export function bodyMask(
  kind: 'json' | 'text',
  masker: HttpMasker,
  fields: CompiledFieldPaths | undefined,
): BodyMask & { readonly counts: Record<string, number> } {
  if (kind === 'text') {
    const text = new StreamingTextMasker({ masker });
    return { write: (chunk) => text.write(chunk), end: () => text.end(), counts: text.counts };
  }
  const json = new JsonMaskRewriter({
    masker,
    ...(fields === undefined ? {} : { fields }),
    ...(masker.maskField === undefined ? {} : { maskField: (e, v) => masker.maskField!(e, v) }),
  });
  return { write: (chunk) => json.write(chunk), end: () => json.end(), counts: json.counts };
}
