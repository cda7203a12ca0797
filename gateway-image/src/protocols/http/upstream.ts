/**
 * The upstream leg: the credential the gateway injects and the keep-alive agent it connects with.
 * Secrets are resolved through the hook and kept for `credentialCacheMs`, so a rotated secret is
 * picked up within that time without a restart; failures are never cached. TLS is verify-full
 * (chain and host name, against the configured CA or the system store) unless the connection says
 * `disable`; an agent is rebuilt when its CA or client certificate changes. The resolved target
 * (URL, agent, credential headers) is reused for as long as its secrets are.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HttpConnectionConfig } from '../../config/connections';
import { WardenError } from '../../errors';

export interface UpstreamTarget {
  readonly url: URL;
  /** The URL's host name, IPv6 brackets removed (what a request's `host` option takes). */
  readonly hostname: string;
  /** The URL's path without a trailing slash: the route's path is appended to it. */
  readonly basePath: string;
  readonly agent: HttpAgent;
  /** Headers that carry the gateway's credential (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface UpstreamPoolOptions {
  readonly resolveSecret: (ref: string) => Promise<string>;
  /** How long a resolved secret is reused. 0 resolves on every request. @default 30000 */
  readonly credentialCacheMs?: number;
  /** Idle keep-alive sockets per connection. @default 64 */
  readonly maxFreeSockets?: number;
}

/** What the pool needs of a connection: its name and upstream (HTTP and Kubernetes connections fit). */
export type UpstreamConnection = Pick<HttpConnectionConfig, 'name' | 'upstream'>;

export interface UpstreamPool {
  target(connection: UpstreamConnection): Promise<UpstreamTarget>;
  close(): void;
}

/** The upstream credential or TLS material could not be resolved; the request gets a 502. */
export class UpstreamCredentialError extends WardenError {
  constructor(connection: string, options: { cause: unknown }) {
    super(
      'ERR_HTTP_UPSTREAM_CREDENTIAL',
      `could not resolve the upstream credential of ${connection}`,
      options,
    );
  }
}

export function createUpstreamPool(options: UpstreamPoolOptions): UpstreamPool {
  const cacheMs = options.credentialCacheMs ?? 30_000;
  const maxFreeSockets = options.maxFreeSockets ?? 64;
  const secrets = new Map<string, { value: Promise<string>; until: number }>();
  const agents = new Map<string, { key: string; agent: HttpAgent }>();

  const secret = (ref: string): Promise<string> => {
    const now = Date.now();
    const hit = secrets.get(ref);
    if (hit && hit.until > now) return hit.value;
    const value = options.resolveSecret(ref);
    if (cacheMs > 0) {
      secrets.set(ref, { value, until: now + cacheMs });
      value.catch(() => secrets.delete(ref));
    }
    return value;
  };

  const agentFor = (name: string, url: URL, tls: TlsMaterial): HttpAgent => {
    const key = JSON.stringify(tls);
    const existing = agents.get(name);
    if (existing?.key === key) return existing.agent;
    existing?.agent.destroy();
    const common = { keepAlive: true, maxFreeSockets, scheduling: 'lifo' as const };
    const agent =
      url.protocol === 'https:'
        ? new HttpsAgent({
            ...common,
            rejectUnauthorized: tls.verify,
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
            ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
            ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
          })
        : new HttpAgent(common);
    agents.set(name, { key, agent });
    return agent;
  };

  const resolve = async (connection: UpstreamConnection): Promise<UpstreamTarget> => {
    const { upstream } = connection;
    const url = new URL(upstream.url);
    const cred = upstream.credential;
    const headers: Record<string, string> = {};
    let tls: TlsMaterial;
    try {
      tls = {
        verify: upstream.tls.mode === 'verify-full',
        ...(upstream.tls.ca === undefined ? {} : { ca: await secret(upstream.tls.ca) }),
        ...(upstream.tls.serverName === undefined ? {} : { serverName: upstream.tls.serverName }),
      };
      if (cred.type === 'bearer') headers.authorization = `Bearer ${await secret(cred.token)}`;
      else if (cred.type === 'basic') {
        const pair = `${cred.username}:${await secret(cred.password)}`;
        headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
      } else if (cred.type === 'header') headers[cred.name.toLowerCase()] = await secret(cred.value);
      else if (cred.type === 'client-certificate') {
        tls = { ...tls, cert: await secret(cred.certificate), key: await secret(cred.key) };
      }
    } catch (cause) {
      throw new UpstreamCredentialError(connection.name, { cause });
    }
    return {
      url,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      basePath: url.pathname.replace(/\/+$/, ''),
      agent: agentFor(connection.name, url, tls),
      headers,
    };
  };
  // Targets live as long as their secrets would (a failed resolution is not kept).
  const targets = new Map<string, { value: Promise<UpstreamTarget>; until: number }>();

  return {
    target(connection) {
      if (cacheMs === 0) return resolve(connection);
      const now = Date.now();
      const hit = targets.get(connection.name);
      if (hit && hit.until > now) return hit.value;
      const value = resolve(connection);
      targets.set(connection.name, { value, until: now + cacheMs });
      value.catch(() => targets.delete(connection.name));
      return value;
    },
    close() {
      for (const { agent } of agents.values()) agent.destroy();
      agents.clear();
      secrets.clear();
      targets.clear();
    },
  };
}

interface TlsMaterial {
  readonly verify: boolean;
  readonly ca?: string;
  readonly serverName?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The code of an upstream that sent no response head within its time. */
export const UPSTREAM_TIMEOUT = 'ERR_HTTP_UPSTREAM_TIMEOUT';

export interface UpstreamRequest {
  readonly method: string | undefined;
  /** Path and query below the target's base path. */
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
  /** Time to the response head; the body's own watchdog (if any) is the caller's. */
  readonly timeoutMs: number;
  /** The client's response: when the client goes away, the upstream request goes with it. */
  readonly client: ServerResponse;
}

/**
 * Sends one request to an upstream target; resolves with the response head. A failure carries
 * `reusedSocket` (a kept-alive connection the upstream had closed), a missing head `UPSTREAM_TIMEOUT`.
 */
export function requestUpstream(up: UpstreamTarget, r: UpstreamRequest): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const request = up.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const upReq = request({
      host: up.hostname,
      port: up.url.port || undefined,
      method: r.method,
      path: `${up.basePath}${r.path}`,
      headers: r.headers,
      agent: up.agent,
    });
    upReq.setTimeout(r.timeoutMs, () =>
      upReq.destroy(Object.assign(new Error('upstream timeout'), { code: UPSTREAM_TIMEOUT })),
    );
    upReq.once('response', (res) => {
      // The head is here: what follows (a body, a watch, followed logs) has its own pace.
      upReq.setTimeout(0);
      resolve(res);
    });
    upReq.once('error', (err) => reject(Object.assign(err, { reusedSocket: upReq.reusedSocket })));
    r.client.once('close', () => upReq.destroy());
    upReq.end(r.body);
  });
}
