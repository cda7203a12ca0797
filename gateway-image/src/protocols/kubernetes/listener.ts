/**
 * The Kubernetes listener: HTTPS in front of the configured Kubernetes connections, for kubectl
 * and client libraries. Plain requests are REST (rest.ts); WebSocket upgrades are exec
 * (exec.ts); SPDY upgrades are refused (spdy.ts); any other upgrade is refused.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubernetesConnectionConfig } from '../../config/connections';
import { readRequestBody } from '../http/request-body';
import { createUpstreamPool } from '../http/upstream';
import { trackSockets } from '../tracked-sockets';
import { handleExecUpgrade } from './exec';
import { type AllowedRequest, gateRequest, Refusal } from './gate';
import type { KubernetesGatewayHooks } from './hooks';
import { forwardRest } from './rest';
import { createKubernetesRouter } from './router';
import { refusalMemory, refuseSpdy } from './spdy';
import { refuseUpgrade, sendStatus, status } from './status';

export interface KubernetesListenerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls: { readonly cert: string; readonly key: string };
  readonly connections: readonly KubernetesConnectionConfig[];
  readonly hooks: KubernetesGatewayHooks;
  /** Largest request body (object writes); larger get 413. @default 3 MiB, the API server's own limit */
  readonly maxRequestBodyBytes?: number;
  /** Time to the cluster's response headers (or the exec upgrade). @default 30000 */
  readonly upstreamTimeoutMs?: number;
  /** How long resolved cluster credentials are reused. @default 30000 */
  readonly credentialCacheMs?: number;
  /** A client must send its request headers within this time. @default 30000 */
  readonly headersTimeoutMs?: number;
  /**
   * A client must send its whole request, body included, within this time. A watch, a log follow
   * or an exec stream is not cut by it: its request is complete before its response starts.
   * @default 60000
   */
  readonly requestTimeoutMs?: number;
}

export interface KubernetesListener {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function startKubernetesListener(
  options: KubernetesListenerOptions,
): Promise<KubernetesListener> {
  const maxBody = options.maxRequestBodyBytes ?? 3 * 1024 * 1024;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const headersTimeoutMs = options.headersTimeoutMs ?? 30_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const { hooks } = options;
  const upstream = createUpstreamPool({
    resolveSecret: (ref) => hooks.resolveSecret(ref),
    ...(options.credentialCacheMs === undefined ? {} : { credentialCacheMs: options.credentialCacheMs }),
  });
  const memory = refusalMemory();
  const ctx = {
    hooks,
    route: createKubernetesRouter(options.connections),
    upstream,
    upstreamTimeoutMs,
    remember: (req: IncomingMessage, r: Refusal) => memory.remember(req, r),
  };
  /** The context for one request: failed logins count against its client's address. */
  const forClient = (req: IncomingMessage) => {
    const client = hooks.forClient?.(req.socket.remoteAddress);
    return client ? { ...ctx, hooks: client } : ctx;
  };
  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    let x: AllowedRequest;
    const ctx = forClient(req);
    try {
      x = await gateRequest(ctx, req, false);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      // A refused request may still be sending its body: answer, then close rather than drain it.
      if (!req.complete) res.setHeader('connection', 'close');
      sendStatus(res, err.status);
      if (!req.complete) res.once('finish', () => req.destroy());
      return;
    }
    if (res.destroyed || req.socket.destroyed) return x.trace?.end();
    const body = await readRequestBody(req, maxBody);
    if (body === undefined) {
      x.trace?.end({ 'http.response.status_code': 413 });
      res.setHeader('connection', 'close');
      sendStatus(res, status(413, 'RequestEntityTooLarge', `request bodies are limited to ${maxBody} bytes`));
      return void res.once('finish', () => req.destroy());
    }
    await forwardRest(ctx, x, body, req, res);
  };
  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const kind = (req.headers.upgrade ?? '').toLowerCase();
    if (kind === 'websocket') return handleExecUpgrade(forClient(req), req, socket, head);
    if (kind.startsWith('spdy/')) return refuseSpdy(forClient(req), memory, req, socket);
    refuseUpgrade(socket, status(400, 'BadRequest', `the upgrade "${kind}" is not served`));
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
      onRequest(req, res).catch((err: unknown) => {
        hooks.log?.({ level: 'error', message: 'Kubernetes request crashed', err });
        if (!res.headersSent)
          sendStatus(res, status(500, 'InternalError', 'the request could not be processed'));
        else res.destroy();
      });
    },
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    onUpgrade(req, socket, head).catch((err: unknown) => {
      hooks.log?.({ level: 'error', message: 'Kubernetes upgrade crashed', err });
      socket.destroy();
    });
  });
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
