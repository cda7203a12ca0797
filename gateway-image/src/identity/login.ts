/**
 * What `warden login` does: get an OIDC token (given, or through client credentials for an agent)
 * and exchange it at the gateway's admin API for a short-lived Warden session token.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AuthenticationError, WardenError } from '../errors';
import { type ClientCredentialsOptions, obtainClientCredentialsToken } from './client-credentials';
import { isLoopbackUrl } from './loopback';

export interface LoginOptions {
  /** Base URL of the gateway's admin API, e.g. https://warden.internal:8443. */
  readonly adminUrl: string;
  /** An OIDC token the caller already holds (a human's, usually). Either this or `clientCredentials`. */
  readonly oidcToken?: string;
  /** Obtain the OIDC token as this client (an agent). Either this or `oidcToken`. */
  readonly clientCredentials?: ClientCredentialsOptions;
  /** Requested session lifetime; the gateway caps it. @default the gateway's default (15 min) */
  readonly ttlSeconds?: number;
  /** PEM CA certificate(s) to trust for the admin API, for private CAs. @default system trust store */
  readonly ca?: string | Buffer;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

export interface LoginResult {
  readonly token: string;
  readonly expiresAt: Date;
}

export async function login(opts: LoginOptions): Promise<LoginResult> {
  if (opts.oidcToken !== undefined && opts.clientCredentials !== undefined) {
    throw new WardenError('ERR_LOGIN_OPTIONS', 'give either oidcToken or clientCredentials, not both');
  }
  if (opts.oidcToken === undefined && opts.clientCredentials === undefined) {
    throw new WardenError('ERR_LOGIN_OPTIONS', 'give oidcToken or clientCredentials');
  }
  const admin = new URL('/v1/session-tokens', opts.adminUrl);
  if (admin.protocol !== 'https:' && !(admin.protocol === 'http:' && isLoopbackUrl(admin))) {
    // The token travels in the request: never over plain HTTP beyond this machine.
    throw new WardenError('ERR_LOGIN_OPTIONS', 'adminUrl must use https (plain http is loopback-only)');
  }
  const oidcToken =
    opts.oidcToken ??
    (await obtainClientCredentialsToken(opts.clientCredentials as ClientCredentialsOptions)).accessToken;
  const body = opts.ttlSeconds === undefined ? undefined : JSON.stringify({ ttlSeconds: opts.ttlSeconds });
  const res = await postJson(admin, oidcToken, body, opts.ca, opts.timeoutMs ?? 10_000);

  let parsed: { token?: unknown; expiresAt?: unknown; code?: unknown; detail?: unknown };
  try {
    parsed = JSON.parse(res.body);
  } catch (err) {
    throw new WardenError('ERR_LOGIN_FAILED', `admin API answered HTTP ${res.status} without JSON`, {
      cause: err,
    });
  }
  if (res.status !== 201) {
    const code = typeof parsed.code === 'string' ? parsed.code : 'ERR_LOGIN_FAILED';
    const detail = typeof parsed.detail === 'string' ? parsed.detail : `HTTP ${res.status}`;
    throw new AuthenticationError(code, detail);
  }
  if (typeof parsed.token !== 'string' || typeof parsed.expiresAt !== 'string') {
    throw new WardenError('ERR_LOGIN_FAILED', 'admin API response lacks token or expiresAt');
  }
  return { token: parsed.token, expiresAt: new Date(parsed.expiresAt) };
}

/** node:http(s) rather than fetch, so a private CA can be trusted for this one request. */
function postJson(
  url: URL,
  bearer: string,
  body: string | undefined,
  ca: string | Buffer | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          accept: 'application/json, application/problem+json',
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
        ...(ca ? { ca } : {}),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new WardenError('ERR_LOGIN_FAILED', `admin API did not answer in ${timeoutMs} ms`)),
    );
    req.on('error', (err) =>
      reject(
        err instanceof WardenError
          ? err
          : new WardenError('ERR_LOGIN_FAILED', 'admin API unreachable', { cause: err }),
      ),
    );
    req.end(body);
  });
}
