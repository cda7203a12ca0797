/**
 * Server-side check of an AWS Signature Version 4 request, written from the AWS specification
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) rather than from
 * the SDK, so that the fake verifies what the SDK sends instead of agreeing with it by construction.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface SigningKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export type SigV4Result =
  | { readonly ok: true; readonly accessKeyId: string; readonly region: string }
  | { readonly ok: false; readonly reason: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

export function checkSigV4(
  req: IncomingMessage,
  body: Buffer,
  service: string,
  keys: ReadonlyMap<string, SigningKey>,
): SigV4Result {
  const m = AUTHORIZATION.exec(String(req.headers.authorization ?? ''));
  if (!m) return { ok: false, reason: 'Authorization is not an AWS4-HMAC-SHA256 header' };
  const [, accessKeyId, day, region, signedService, signedHeaderList, signature] = m as unknown as string[];
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day) {
    return { ok: false, reason: 'X-Amz-Date missing or not the credential scope date' };
  }
  if (signedService !== service) return { ok: false, reason: `signed for ${signedService}, not ${service}` };
  const key = keys.get(accessKeyId!);
  if (!key) return { ok: false, reason: 'unknown access key' };
  const signedHeaders = signedHeaderList!.split(';');
  const required = ['host', 'x-amz-date'];
  if (key.sessionToken) {
    required.push('x-amz-security-token');
    if (req.headers['x-amz-security-token'] !== key.sessionToken)
      return { ok: false, reason: 'bad session token' };
  }
  if (service === 's3') required.push('x-amz-content-sha256');
  for (const h of required) {
    if (!signedHeaders.includes(h)) return { ok: false, reason: `${h} is not signed` };
  }
  const payloadHash = service === 's3' ? String(req.headers['x-amz-content-sha256']) : sha256Hex(body);
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256Hex(body)) {
    return { ok: false, reason: 'x-amz-content-sha256 does not match the body' };
  }

  const url = new URL(req.url ?? '/', 'http://fake');
  const canonical = [
    req.method ?? 'GET',
    // S3 signs the path as sent; every other service signs it URI-encoded once more.
    service === 's3' ? url.pathname : url.pathname.split('/').map(encodeRfc3986).join('/'),
    canonicalQuery(url.searchParams),
    ...signedHeaders.map((h) => `${h}:${headerValue(req, h)}`),
    '',
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonical))].join('\n');
  let k = hmac(`AWS4${key.secretAccessKey}`, day!);
  for (const part of [region!, service, 'aws4_request']) k = hmac(k, part);
  const expected = hmac(k, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) {
    return { ok: false, reason: 'signature does not match' };
  }
  return { ok: true, accessKeyId: accessKeyId!, region: region! };
}

function headerValue(req: IncomingMessage, name: string): string {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw.join(',') : String(raw ?? '');
  return value.trim().replace(/\s+/g, ' ');
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
