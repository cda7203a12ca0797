/**
 * The admin HTTP(S) server: health, the OpenAPI document, session-token exchange and revocation, and
 * whatever routes later features add through `configure` (approvals, the reviewer console). Plain HTTP is accepted on loopback only (local development);
 * anywhere else TLS is required.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WardenError } from '../errors';
import { isLoopbackUrl } from '../identity/loopback';
import { trackSockets } from '../protocols/tracked-sockets';
import { refuseCrossSite } from './cross-site';
import { openApiDocument } from './openapi';
import { HttpProblem, sendProblem, toProblem } from './problem';
import { bearerToken, Router, readJsonBody } from './router';
import { addTokenExchangeRoutes, type TokenExchangeOptions } from './token-exchange';

export interface AdminServerOptions extends TokenExchangeOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** PEM key and certificate; required unless `host` is loopback. @default none (plain HTTP) */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Largest accepted request body. @default 16384 */
  readonly maxBodyBytes?: number;
  /** Time allowed to receive a whole request. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Adds further routes (approvals, grants, …) to the same router. */
  readonly configure?: (router: Router) => void;
  /** Called with errors that became a 500, for the operator's log. @default none */
  readonly onInternalError?: (err: unknown) => void;
}

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxBodyBytes = opts.maxBodyBytes ?? 16_384;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  const hostUrl = new URL(`http://${host.includes(':') ? `[${host}]` : host}`);
  if (!opts.tls && !isLoopbackUrl(hostUrl)) {
    throw new WardenError(
      'ERR_ADMIN_CONFIG',
      `admin server on ${host} requires tls (plain HTTP is loopback-only)`,
    );
  }
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1 || maxBodyBytes > 1_048_576) {
    throw new WardenError('ERR_ADMIN_CONFIG', 'maxBodyBytes must be an integer in 1..1048576');
  }

  const router = new Router();
  router.add('GET', '/healthz', async () => ({ status: 200, body: { status: 'ok' } }));
  router.add('GET', '/openapi.json', async () => ({ status: 200, body: openApiDocument() }));
  addTokenExchangeRoutes(router, opts);
  opts.configure?.(router);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    dispatch(router, req, res, maxBodyBytes).catch((err) => {
      const problem = toProblem(err);
      if (problem.status === 500) opts.onInternalError?.(err);
      if (res.headersSent) return void res.destroy();
      if (req.complete) return sendProblem(res, problem);
      refuseUnreadBody(req, res, () => sendProblem(res, problem));
    });
  };
  const server: Server = opts.tls
    ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert, minVersion: 'TLSv1.2' }, handle)
    : createHttpServer(handle);
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = Math.min(requestTimeoutMs, 60_000);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `${opts.tls ? 'https' : 'http'}://${hostUrl.host}:${port}`;
  const sockets = trackSockets(server);

  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
        sockets.destroyAll();
      }),
  };
}

/**
 * A refused request may still be sending its body. Answering and closing at once would reset the
 * connection under the client's write and it would see a broken pipe instead of the answer, so
 * the rest is read and discarded first (for at most 2 s and 4 MiB), then the answer is sent and
 * the connection closed.
 */
function refuseUnreadBody(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
  res.setHeader('connection', 'close');
  let discarded = 0;
  let answered = false;
  const answerOnce = () => {
    if (answered) return;
    answered = true;
    clearTimeout(cut);
    req.off('data', discard);
    answer();
  };
  const discard = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 4 * 1024 * 1024) answerOnce();
  };
  const cut = setTimeout(answerOnce, 2000);
  cut.unref();
  req.on('data', discard);
  req.once('end', answerOnce);
  req.once('close', () => clearTimeout(cut));
  req.resume();
}

async function dispatch(router: Router, req: IncomingMessage, res: ServerResponse, maxBodyBytes: number) {
  // Before anything else is done for it: a body too large to be read, a change from another site.
  if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes)
    throw new HttpProblem(413, 'ERR_BODY_TOO_LARGE', `request body exceeds ${maxBodyBytes} bytes`);
  refuseCrossSite(req);
  const url = new URL(req.url ?? '/', 'http://admin.invalid');
  const match = router.match(req.method ?? 'GET', url.pathname);
  if (match.kind === 'not-found') throw new HttpProblem(404, 'ERR_NOT_FOUND', 'no such endpoint');
  if (match.kind === 'method-not-allowed') {
    res.setHeader('allow', match.allow.join(', '));
    throw new HttpProblem(405, 'ERR_METHOD_NOT_ALLOWED', `use ${match.allow.join(' or ')}`);
  }
  let body: Promise<unknown> | undefined;
  const result = await match.handler({
    req,
    url,
    params: match.params,
    json: () => {
      body ??= readJsonBody(req, maxBodyBytes);
      return body;
    },
    bearer: () => bearerToken(req),
  });
  const headers: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = typeof v === 'string' ? v : [...v];
  if (result.body === undefined) {
    res.writeHead(result.status, headers);
    res.end();
    return;
  }
  // Console pages and assets arrive as text with their own content type; everything else is JSON.
  if ((typeof result.body === 'string' || Buffer.isBuffer(result.body)) && headers['content-type']) {
    res.writeHead(result.status, headers);
    res.end(result.body);
    return;
  }
  headers['content-type'] = 'application/json';
  res.writeHead(result.status, headers);
  res.end(JSON.stringify(result.body));
}
