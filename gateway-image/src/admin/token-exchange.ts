/**
 * Session-token routes of the admin API.
 *
 * POST /v1/session-tokens         Bearer <OIDC token>, optional {"ttlSeconds": n}
 *                                 → 201 {token, expiresAt, principal}
 * POST /v1/session-tokens/revoke  Bearer <OIDC or session token of an admin>, {"jti": "..."} → 200
 *
 * Only an OIDC token can be exchanged: letting a session token mint another would let a client
 * extend its access indefinitely without going back to its IdP.
 */
import { AuthenticationError } from '../errors';
import type { Authenticator } from '../identity/authenticator';
import { publishIdentityEvent } from '../identity/events';
import type { OidcVerifier } from '../identity/oidc-verifier';
import { type Principal, principalSummary } from '../identity/principal';
import type { SessionTokens } from '../identity/session-tokens';
import { HttpProblem } from './problem';
import type { RouteContext, Router } from './router';

export interface TokenExchangeOptions {
  readonly oidc: OidcVerifier;
  readonly sessions: SessionTokens;
  /** Verifies the caller of the revoke route (OIDC or session token). */
  readonly authenticator: Authenticator;
  /** Groups whose members may revoke any session token. Empty disables the revoke route. @default [] */
  readonly adminGroups?: readonly string[];
  /**
   * Verifies an exchange's token on behalf of the client at `address`, so failed exchanges count
   * against its source like failed logins. @default verify at once
   */
  readonly guardLogin?: (address: string | undefined, verify: () => Promise<Principal>) => Promise<Principal>;
}

export function addTokenExchangeRoutes(router: Router, opts: TokenExchangeOptions): Router {
  const adminGroups = new Set(opts.adminGroups ?? []);

  router.add('POST', '/v1/session-tokens', async (ctx) => {
    const verify = () => opts.oidc.verify(ctx.bearer());
    const principal = await refusalsObserved('exchange', () =>
      opts.guardLogin ? opts.guardLogin(ctx.req.socket.remoteAddress, verify) : verify(),
    );
    const ttlSeconds = readTtl(await ctx.json(), opts.sessions.maxTtlSec);
    const issued = await opts.sessions.issue(principal, ttlSeconds);
    publishIdentityEvent({
      type: 'session-token.issued',
      principal: principalSummary(principal),
      tokenId: issued.tokenId,
      expiresAt: issued.expiresAt.toISOString(),
    });
    return {
      status: 201,
      headers: { 'cache-control': 'no-store' },
      body: {
        token: issued.token,
        tokenId: issued.tokenId,
        expiresAt: issued.expiresAt.toISOString(),
        principal: principalSummary(principal),
      },
    };
  });

  router.add('POST', '/v1/session-tokens/revoke', async (ctx: RouteContext) => {
    const caller = await refusalsObserved('revoke', () => opts.authenticator.authenticate(ctx.bearer()));
    if (!caller.groups.some((g) => adminGroups.has(g))) {
      throw new HttpProblem(403, 'ERR_FORBIDDEN', 'revoking session tokens requires an admin group');
    }
    const body = await ctx.json();
    const jti = (body as { jti?: unknown } | undefined)?.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 128) {
      throw new HttpProblem(400, 'ERR_BODY_INVALID', 'body must be {"jti": "<token id>"}');
    }
    await opts.sessions.revoke(jti);
    publishIdentityEvent({ type: 'session-token.revoked', by: principalSummary(caller), tokenId: jti });
    return { status: 200, body: { revoked: jti } };
  });

  return router;
}

function readTtl(body: unknown, max: number): number | undefined {
  if (body === undefined) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem(400, 'ERR_BODY_INVALID', 'body must be a JSON object');
  }
  const ttl = (body as { ttlSeconds?: unknown }).ttlSeconds;
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > max) {
    throw new HttpProblem(400, 'ERR_TTL_INVALID', `ttlSeconds must be an integer in 1..${max}`);
  }
  return ttl;
}

async function refusalsObserved<T>(where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AuthenticationError)
      publishIdentityEvent({ type: 'authentication.refused', code: err.code, where });
    throw err;
  }
}
