/**
 * A deliberately small router for the admin API: method + path pattern (`/v1/holds/:id`) to an
 * async handler that returns a status and a JSON body. Handlers throw HttpProblem or
 * AuthenticationError to refuse; the server turns those into problem documents.
 */
import type { IncomingMessage } from 'node:http';
import { HttpProblem } from './problem';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly url: URL;
  /** Values of `:name` segments in the matched pattern. */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed JSON body, or undefined when the request has none. */
  json(): Promise<unknown>;
  /** The bearer token from the Authorization header; 401 problem if there is none. */
  bearer(): string;
}

export interface RouteResult {
  readonly status: number;
  /** JSON, or a string/Buffer sent as is when `headers` names its content-type (console assets). */
  readonly body?: unknown;
  /** An array sends the header once per value (several Set-Cookie). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export type RouteHandler = (ctx: RouteContext) => Promise<RouteResult>;

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: RouteHandler;
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly handler: RouteHandler; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler): this {
    if (!pattern.startsWith('/')) throw new TypeError(`route pattern must start with '/': ${pattern}`);
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
    return this;
  }

  match(method: string, pathname: string): RouteMatch {
    const segments = split(pathname);
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method.toUpperCase()) return { kind: 'found', handler: route.handler, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(
  pattern: readonly string[],
  actual: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(':')) {
      try {
        params[pattern[i].slice(1)] = decodeURIComponent(actual[i]);
      } catch {
        return undefined;
      }
    } else if (pattern[i] !== actual[i]) {
      return undefined;
    }
  }
  return params;
}

/** Reads a JSON request body of at most `limit` bytes. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit)
    throw new HttpProblem(413, 'ERR_BODY_TOO_LARGE', `request body exceeds ${limit} bytes`);
  const body = await readUpTo(req, limit);
  if (body.length === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpProblem(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json');
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'ERR_BODY_INVALID', 'request body is not valid JSON');
  }
}

/**
 * The whole body, or a 413 problem once it passes `limit`. Read with listeners rather than an
 * async iterator: leaving an iterator early destroys the request and with it the socket, and the
 * 413 would never reach the client. The server discards whatever is still coming.
 */
function readUpTo(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        reject(new HttpProblem(413, 'ERR_BODY_TOO_LARGE', `request body exceeds ${limit} bytes`));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    const stop = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      req.pause();
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

export function bearerToken(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new HttpProblem(401, 'ERR_CREDENTIAL_MISSING', 'an Authorization: Bearer token is required');
  return m[1];
}
