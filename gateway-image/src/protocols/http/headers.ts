/**
 * Header rewriting between client and upstream. Hop-by-hop headers (RFC 9110 §7.6.1) never cross
 * the gateway. The client's Authorization is the client's Warden token and is never forwarded; the
 * upstream credential is added instead. Range requests are dropped so that masking always sees
 * whole documents, and the gateway asks only for codings it can decode. Response headers that can
 * carry identifiers (a URL naming a patient, a file name) are masked like body text.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { ProblemDocument } from '../../admin/problem';
import type { TextMasker } from '../../masking/text-masker';

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP,
  'authorization',
  'host',
  'expect',
  'content-length',
  'accept-encoding',
  'range',
  'if-range',
]);

/** Headers that describe the upstream's bytes, which are no longer what the client receives. */
const DESCRIBES_UNMASKED_BYTES = new Set([
  'content-length',
  'content-encoding',
  'content-md5',
  'digest',
  'content-digest',
  'repr-digest',
  'etag',
  'accept-ranges',
  'content-range',
]);

/** Response headers whose values can name someone: URLs of resources, links, file names. */
export const IDENTIFYING_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'location',
  'content-location',
  'link',
  'content-disposition',
]);

function listedInConnection(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  return new Set(
    (value ?? '')
      .split(',')
      .map((n) => n.trim().toLowerCase())
      .filter((n) => n !== ''),
  );
}

export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  credential: Readonly<Record<string, string>>,
  host: string,
  bodyBytes: number,
): OutgoingHttpHeaders {
  const dropped = listedInConnection(client);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(client)) {
    if (value === undefined || NOT_FORWARDED.has(name) || dropped.has(name)) continue;
    out[name] = value;
  }
  out.host = host;
  out['accept-encoding'] = 'gzip, deflate, br';
  if (bodyBytes > 0) out['content-length'] = String(bodyBytes);
  return { ...out, ...credential };
}

/**
 * Response headers for the client; `masked` drops those that describe the unmasked bytes. The
 * values of IDENTIFYING_RESPONSE_HEADERS go through `masker`, what it masked added to `counts`.
 */
export function clientResponseHeaders(
  upstream: IncomingHttpHeaders,
  masked: boolean,
  masker: TextMasker,
  counts: Record<string, number>,
): OutgoingHttpHeaders {
  const dropped = listedInConnection(upstream);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.includes(name) || dropped.has(name)) continue;
    if (masked && DESCRIBES_UNMASKED_BYTES.has(name)) continue;
    out[name] = IDENTIFYING_RESPONSE_HEADERS.has(name) ? maskValue(value, masker, counts) : value;
  }
  return out;
}

function maskValue<T extends string | string[]>(
  value: T,
  masker: TextMasker,
  counts: Record<string, number>,
): string | string[] {
  if (Array.isArray(value)) return value.map((v) => maskValue(v, masker, counts) as string);
  const m = masker.mask(value as string);
  for (const [k, n] of Object.entries(m.counts)) counts[k] = (counts[k] ?? 0) + n;
  return m.text;
}

/** An RFC 9457 problem document; `detail` must be text written for clients. */
export function problem(status: number, code: string, detail: string): ProblemDocument {
  return { type: `urn:warden:error:${code}`, title: STATUS_CODES[status] ?? 'Error', status, detail, code };
}
