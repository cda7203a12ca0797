/**
 * The reviewer console on the admin listener: its static page and the OIDC sign-in that gives the
 * page a session. Sign-in is the authorization-code flow with PKCE (RFC 7636) run server-side with
 * openid-client; the access token is verified exactly as a bearer token would be, and the browser
 * only ever sees an opaque session cookie.
 *
 * GET  /console/                 the page (index.html; app.js and app.css beside it)
 * GET  /console/login            → 302 to the issuer (optional ?return=<#route>)
 * GET  /console/callback         ← the issuer; sets the session cookie, then continues to the page
 * GET  /console/session          → {principal, csrf, expiresAt} or 401
 * POST /console/logout           ends the session (CSRF header required)
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import * as client from 'openid-client';
import type { Authenticator } from '../identity/authenticator';
import { isLoopbackUrl } from '../identity/loopback';
import { type Principal, principalSummary } from '../identity/principal';
import { CONSOLE_ASSET_NAMES, consoleAsset } from './console/assets';
import { type ConsoleSessions, readCookie, resolveCaller } from './console-sessions';
import { HttpProblem } from './problem';
import type { RouteResult, Router } from './router';

export interface ConsoleOptions {
  /** The OIDC issuer reviewers sign in with. */
  readonly issuer: string;
  /** @default 'warden-console' */
  readonly clientId?: string;
  /** Secret of a confidential client; without it the console is a public client (PKCE alone). */
  readonly clientSecret?: string;
  /** RFC 8707 resource to request: an audience the gateway accepts. @default none */
  readonly resource?: string;
  /** @default 'openid' */
  readonly scope?: string;
  /** Base URL reviewers use; the redirect URI is `<publicUrl>/console/callback`. @default the request's Host */
  readonly publicUrl?: string;
  readonly authenticator: Authenticator;
  readonly sessions: ConsoleSessions;
  /** Awaited before the session exists: the gateway audits the sign-in, and a failure refuses it. */
  readonly onSignIn?: (principal: Principal) => Promise<void>;
}

interface PendingLogin {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly redirectUri: string;
  readonly returnTo: string;
  readonly expiresAt: number;
}

const LOGIN_COOKIE = 'warden_console_login';
const LOGIN_TTL_MS = 10 * 60_000;
/** Sign-ins started and not finished; anyone who reaches the listener can start one, so bounded. */
const MAX_PENDING_LOGINS = 10_000;
/** Only in-page routes may be returned to after sign-in, never another URL. */
const RETURN_ROUTE = /^#\/[A-Za-z0-9/_-]{0,200}$/;

/** Served with every console page: nothing but this origin's own script, style and API. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function addConsoleRoutes(router: Router, o: ConsoleOptions): Router {
  const pending = new Map<string, PendingLogin>();
  const caller = resolveCaller(o.authenticator, o.sessions);
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    discovered ??= discover(o).catch((err) => {
      discovered = undefined; // try again on the next sign-in rather than caching an outage
      throw err;
    });
    return discovered;
  };

  const page = (name: string) => async (ctx: { req: IncomingMessage }) => serveAsset(ctx.req, name);
  router.add('GET', '/console', page('index.html'));
  for (const name of CONSOLE_ASSET_NAMES) router.add('GET', `/console/${name}`, page(name));

  router.add('GET', '/console/login', async (ctx) => {
    const config = await configuration();
    const now = Date.now();
    for (const [k, p] of pending) if (p.expiresAt <= now) pending.delete(k);
    const wanted = ctx.url.searchParams.get('return') ?? '';
    const login: PendingLogin = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
      redirectUri: `${baseUrl(o, ctx.req)}/console/callback`,
      returnTo: RETURN_ROUTE.test(wanted) ? wanted : '#/approvals',
      expiresAt: now + LOGIN_TTL_MS,
    };
    const loginId = randomBytes(24).toString('base64url');
    // The oldest unfinished sign-in makes room (Map keeps insertion order).
    if (pending.size >= MAX_PENDING_LOGINS) pending.delete(pending.keys().next().value!);
    pending.set(loginId, login);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: login.redirectUri,
      scope: o.scope ?? 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(login.verifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
      ...(o.resource ? { resource: o.resource } : {}),
    });
    // Lax, not Strict: the issuer's redirect back is a cross-site navigation that must carry it.
    const cookie = o.sessions.cookieLine(LOGIN_COOKIE, loginId, 600, 'Lax', '/console/callback');
    return {
      status: 302,
      headers: { location: url.href, 'set-cookie': cookie, 'cache-control': 'no-store' },
    };
  });

  router.add('GET', '/console/callback', async (ctx) => {
    const loginId = readCookie(ctx.req, LOGIN_COOKIE);
    const login = loginId ? pending.get(loginId) : undefined;
    if (loginId) pending.delete(loginId);
    const clearLogin = o.sessions.cookieLine(LOGIN_COOKIE, '', 0, 'Lax', '/console/callback');
    if (!login || login.expiresAt <= Date.now()) {
      return notice(400, 'This sign-in has expired or was started elsewhere.', clearLogin);
    }
    let principal: Principal;
    try {
      const tokens = await client.authorizationCodeGrant(
        await configuration(),
        new URL(`${login.redirectUri}${ctx.url.search}`),
        { pkceCodeVerifier: login.verifier, expectedState: login.state, expectedNonce: login.nonce },
        o.resource ? { resource: o.resource } : undefined,
      );
      principal = await o.authenticator.authenticate(tokens.access_token);
      await o.onSignIn?.(principal);
    } catch {
      // The reason stays on the gateway: an error page is no place for issuer or token detail.
      return notice(401, 'Sign-in did not complete. Please try again.', clearLogin);
    }
    const session = o.sessions.create(principal);
    return {
      ...continuePage(login.returnTo),
      headers: { ...PAGE_HEADERS, 'set-cookie': [o.sessions.cookie(session), clearLogin], ...noStoreHtml },
    };
  });

  router.add('GET', '/console/session', async (ctx) => {
    const session = o.sessions.fromRequest(ctx.req);
    if (!session) throw new HttpProblem(401, 'ERR_SESSION_MISSING', 'sign in to the console');
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: {
        principal: principalSummary(session.principal),
        csrf: session.csrf,
        expiresAt: new Date(session.expiresAt).toISOString(),
      },
    };
  });

  router.add('POST', '/console/logout', async (ctx) => {
    await caller(ctx); // checks the CSRF header
    const session = o.sessions.fromRequest(ctx.req);
    if (session) o.sessions.end(session.id);
    return { status: 204, headers: { 'set-cookie': o.sessions.clearCookie() } };
  });

  return router;
}

async function discover(o: ConsoleOptions): Promise<client.Configuration> {
  const issuer = new URL(o.issuer);
  const auth = o.clientSecret ? client.ClientSecretPost(o.clientSecret) : client.None();
  // Plain HTTP is tolerated for a loopback issuer only (the local sandbox issuer).
  const execute = issuer.protocol === 'http:' && isLoopbackUrl(issuer) ? [client.allowInsecureRequests] : [];
  return client.discovery(issuer, o.clientId ?? 'warden-console', undefined, auth, { execute });
}

/**
 * The redirect URI must be one the issuer has registered, so a forged Host header only earns an
 * error page at the issuer; publicUrl pins it when the listener sits behind a proxy.
 */
function baseUrl(o: ConsoleOptions, req: IncomingMessage): string {
  if (o.publicUrl) return o.publicUrl.replace(/\/+$/, '');
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  const host = req.headers.host;
  if (!host || !/^[A-Za-z0-9.[\]:-]+$/.test(host)) throw new HttpProblem(400, 'ERR_HOST', 'bad Host header');
  return `${tls ? 'https' : 'http'}://${host}`;
}

const noStoreHtml = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };

function serveAsset(req: IncomingMessage, name: string): RouteResult {
  const asset = consoleAsset(name);
  if (!asset) throw new HttpProblem(404, 'ERR_NOT_FOUND', 'no such endpoint');
  const headers: Record<string, string> = {
    ...(name === 'index.html' ? PAGE_HEADERS : { 'x-content-type-options': 'nosniff' }),
    etag: asset.etag,
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
  };
  if (req.headers['if-none-match'] === asset.etag) return { status: 304, headers };
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  return {
    status: 200,
    headers: { ...headers, 'content-type': asset.type, ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
    body: gzip ? asset.gzip : asset.body,
  };
}

/**
 * After the issuer's cross-site redirect a browser withholds SameSite=Strict cookies from further
 * redirects in the same chain, so the callback answers with a page that moves on by itself.
 */
function continuePage(returnTo: string): { status: number; body: string } {
  const target = `/console/${returnTo}`;
  return {
    status: 200,
    body:
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Warden — signed in</title>` +
      `<meta http-equiv="refresh" content="0;url=${target}"></head>` +
      `<body><p>Signed in. <a href="${target}">Continue to the console</a>.</p></body></html>`,
  };
}

function notice(status: number, message: string, cookie: string): RouteResult {
  return {
    status,
    headers: { ...PAGE_HEADERS, ...noStoreHtml, 'set-cookie': cookie },
    body:
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Warden — sign-in</title></head>` +
      `<body><p role="alert">${message}</p><p><a href="/console/login">Sign in</a></p></body></html>`,
  };
}
