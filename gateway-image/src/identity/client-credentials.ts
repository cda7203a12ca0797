/**
 * Obtains an access token as an OIDC client with the client_credentials grant (RFC 6749 §4.4).
 * This is how an agent without an end user gets the token it exchanges for a Warden session token.
 */

import * as client from 'openid-client';
import { AuthenticationError } from '../errors';
import { isLoopbackUrl } from './loopback';

export interface ClientCredentialsOptions {
  /** Issuer URL; its discovery document names the token endpoint. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** RFC 8707 resource indicator, usually the gateway's audience. @default none */
  readonly resource?: string;
  /** Space-separated scopes. @default none */
  readonly scope?: string;
  /** Some IdPs (Auth0) take the audience as a non-standard `audience` parameter. @default none */
  readonly audience?: string;
  /** How the secret is sent to the token endpoint. @default 'client_secret_basic' */
  readonly authMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Per-request timeout. @default 10 */
  readonly timeoutSec?: number;
}

export interface ClientCredentialsToken {
  readonly accessToken: string;
  /** From `expires_in` when the token endpoint states it. */
  readonly expiresAt?: Date;
}

export async function obtainClientCredentialsToken(
  opts: ClientCredentialsOptions,
): Promise<ClientCredentialsToken> {
  const url = new URL(opts.issuer);
  const timeout = opts.timeoutSec ?? 10;
  if (!(timeout > 0 && timeout <= 120))
    throw new RangeError(`timeoutSec must be in (0, 120], got ${timeout}`);
  const auth =
    opts.authMethod === 'client_secret_post'
      ? client.ClientSecretPost(opts.clientSecret)
      : client.ClientSecretBasic(opts.clientSecret);
  try {
    const config = await client.discovery(url, opts.clientId, undefined, auth, {
      timeout,
      // Plain HTTP is only ever acceptable to a loopback issuer (tests and `warden dev`).
      ...(isLoopbackUrl(url) ? { execute: [client.allowInsecureRequests] } : {}),
    });
    const params: Record<string, string> = {};
    if (opts.resource) params.resource = opts.resource;
    if (opts.scope) params.scope = opts.scope;
    if (opts.audience) params.audience = opts.audience;
    const res = await client.clientCredentialsGrant(config, params);
    const expiresIn = res.expiresIn();
    return {
      accessToken: res.access_token,
      ...(expiresIn !== undefined ? { expiresAt: new Date(Date.now() + expiresIn * 1000) } : {}),
    };
  } catch (err) {
    // The IdP's own error code is safe and useful (invalid_client, invalid_target); its body is not shown.
    const oauthCode = err instanceof client.ResponseBodyError ? err.error : undefined;
    throw new AuthenticationError(
      'ERR_CLIENT_CREDENTIALS_FAILED',
      oauthCode
        ? `the issuer refused the client credentials grant (${oauthCode})`
        : 'could not obtain a token from the issuer',
      { cause: err },
    );
  }
}
