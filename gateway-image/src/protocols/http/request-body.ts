/**
 * What the HTTP and Kubernetes adapters read of a request before forwarding it: the bearer token
 * and the whole body, bounded.
 */
import type { IncomingMessage } from 'node:http';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The token of an `Authorization: Bearer …` header; undefined when there is none. */
export function bearerToken(req: IncomingMessage): string | undefined {
  return BEARER.exec(req.headers.authorization ?? '')?.[1];
}

const NO_BODY = Buffer.alloc(0);

/** The whole body, or undefined once it passes `max` bytes (declared or sent; the caller answers 413). */
export function readRequestBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  // Neither header: the request has no body (RFC 9112 §6.3), and the server discards the rest.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    return Promise.resolve(NO_BODY);
  }
  if (Number(req.headers['content-length'] ?? 0) > max) return Promise.resolve(undefined);
  // Events rather than async iteration: iteration destroys the request, and with it the reply.
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) return void parts.push(chunk);
      req.off('data', onData);
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(parts, size)));
    req.once('error', reject);
  });
}
