/**
 * The HTTP listener: HTTPS (HTTP/1.1 over TLS) in front of the configured HTTP connections. Each
 * request is one exchange (exchange.ts); upgrades (WebSocket) and CONNECT are not served, since
 * their bytes could not be inspected or masked.
 */

import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { sendProblem } from '../../admin/problem';
import type { HttpConnectionConfig } from '../../config/connections';
import { trackSockets } from '../tracked-sockets';
import { handleExchange } from './exchange';
import { problem } from './headers';
import type { HttpGatewayHooks } from './hooks';
import { createRouter } from './router';
import { createUpstreamPool } from './upstream';

export interface HttpListenerOptions {
  readonly host: string;
  /** 0 picks a free port (see `address`). */
  readonly port: number;
  /** The gateway's certificate chain and key (PEM). */
  readonly tls: { readonly cert: string; readonly key: string };
  /** The HTTP connections requests are routed to (see router.ts for the convention). */
  readonly connections: readonly HttpConnectionConfig[];
  readonly hooks: HttpGatewayHooks;
  /** Largest request body; larger requests get 413. Bodies are read whole before policy. @default 10 MiB */
  readonly maxRequestBodyBytes?: number;
  /** Masked body bytes kept per direction for the recorder. @default 65536 */
  readonly recordMaxBytes?: number;
  /**
   * Longest the upstream may stay silent, over the whole response: until its headers, then between
   * pieces of its body (time spent waiting for a slow client does not count). Then 504, or the
   * response is cut short if it had begun; either way the result is audited with
   * ERR_HTTP_UPSTREAM_TIMEOUT. @default 30000
   */
  readonly upstreamTimeoutMs?: number;
  /** How long resolved upstream secrets are reused; 0 resolves per request. @default 30000 */
  readonly credentialCacheMs?: number;
  /** A client must send its request headers within this time. @default 30000 */
  readonly headersTimeoutMs?: number;
  /**
   * A client must send its whole request, body included, within this time (a slow body would hold
   * the exchange open indefinitely); the response may take longer. @default 60000
   */
  readonly requestTimeoutMs?: number;
}

export interface HttpListener {
  readonly address: AddressInfo;
  /** Stops accepting, closes every client connection and upstream socket, and resolves when closed. */
  close(): Promise<void>;
}

export async function startHttpListener(options: HttpListenerOptions): Promise<HttpListener> {
  const maxRequestBodyBytes = options.maxRequestBodyBytes ?? 10 * 1024 * 1024;
  const recordMaxBytes = options.recordMaxBytes ?? 65_536;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const headersTimeoutMs = options.headersTimeoutMs ?? 30_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  for (const [name, v] of Object.entries({
    maxRequestBodyBytes,
    recordMaxBytes,
    upstreamTimeoutMs,
    headersTimeoutMs,
    requestTimeoutMs,
  })) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  const { hooks } = options;
  const upstream = createUpstreamPool({
    resolveSecret: (ref) => hooks.resolveSecret(ref),
    ...(options.credentialCacheMs === undefined ? {} : { credentialCacheMs: options.credentialCacheMs }),
  });
  const ctx = {
    hooks,
    router: createRouter(options.connections),
    upstream,
    maxRequestBodyBytes,
    recordMaxBytes,
    upstreamTimeoutMs,
  };
  const server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Node checks the two deadlines on this interval; a tenth of the shorter keeps them close.
      connectionsCheckingInterval: Math.max(100, Math.min(headersTimeoutMs, requestTimeoutMs) / 10),
    },
    (req, res) => {
      const forClient = hooks.forClient?.(req.socket.remoteAddress);
      handleExchange(forClient ? { ...ctx, hooks: forClient } : ctx, req, res).catch((err: unknown) => {
        hooks.log?.({ level: 'error', message: 'HTTP exchange crashed', err });
        if (!res.headersSent)
          sendProblem(res, problem(500, 'ERR_INTERNAL', 'the request could not be processed'));
        else res.destroy();
      });
    },
  );
  server.on('tlsClientError', (err) => hooks.log?.({ level: 'warn', message: 'client TLS error', err }));
  const sockets = trackSockets(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    address: server.address() as AddressInfo,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      sockets.destroyAll();
      upstream.close();
      await closed;
    },
  };
}
