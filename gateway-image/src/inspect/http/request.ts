/**
 * HTTP request → facts. The path policy sees must be the path the upstream serves, so the request
 * target is normalised first (dot segments resolved, as the WHATWG URL parser does, including
 * their %2e spellings) and targets whose meaning differs between parsers are refused: encoded
 * slashes and backslashes, NUL, absolute-form targets. Query values and bodies never enter facts.
 */
import { WardenError } from '../../errors';
import type { HttpFacts } from '../facts';

/** The request target could not be inspected; the request is refused with 400. */
export class HttpInspectError extends WardenError {
  constructor(readonly detail: string) {
    super('ERR_HTTP_NOT_INSPECTABLE', detail);
  }
}

export interface RequestTarget {
  /** Normalised path, still percent-encoded: what is forwarded. Starts with "/". */
  readonly path: string;
  /** The raw query including "?", or "". */
  readonly search: string;
  /** Distinct query parameter names, in order of first appearance. */
  readonly queryKeys: readonly string[];
}

const PLACEHOLDER_ORIGIN = 'http://warden.invalid';

export function parseRequestTarget(target: string): RequestTarget {
  // Origin-form only (RFC 9112 §3.2.1); proxies' absolute-form and asterisk-form are not served.
  if (!target.startsWith('/') || target.startsWith('//'))
    throw new HttpInspectError('the request target must be a path');
  const rawPath = target.split(/[?#]/, 1)[0]!;
  if (/%2f|%5c|%00|\\/i.test(rawPath)) {
    throw new HttpInspectError('encoded slashes, backslashes and NUL are not allowed in the path');
  }
  let url: URL;
  try {
    url = new URL(target, PLACEHOLDER_ORIGIN);
  } catch {
    throw new HttpInspectError('the request target is not a valid URL path');
  }
  const queryKeys = [...new Set(url.searchParams.keys())];
  return { path: url.pathname, search: url.search, queryKeys };
}

/** Percent-decodes a normalised path for policy matching; malformed escapes are refused. */
export function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new HttpInspectError('the path has a malformed percent-encoding');
  }
}

/**
 * Facts for policy: `path` is relative to the connection (the route prefix removed) and decoded,
 * so rules read like the upstream API's own paths (`/Patient/*`).
 */
export function httpFacts(
  method: string,
  connectionPath: string,
  target: RequestTarget,
  bodyBytes: number,
): HttpFacts {
  return {
    protocol: 'http',
    method: method.toUpperCase(),
    path: decodePath(connectionPath),
    query: target.queryKeys,
    bodyBytes,
  };
}
