/**
 * The single entry protocol adapters call: a credential string in, a Principal out, or an
 * AuthenticationError whose `reason` the adapter may show to the client.
 *
 * Routing is by the unverified token: `typ` warden-session+jwt or `iss` equal to the gateway's own
 * issuer goes to the session-token verifier, anything else to the OIDC verifier. Routing never
 * grants anything; each verifier checks every claim it relies on.
 *
 * A token verified once is remembered until it expires (verified-tokens.ts), so every protocol's
 * repeat logins and requests skip the signature check; a session token's revocation is still
 * checked on every use.
 */
import { AuthenticationError, WardenError } from '../errors';
import { peekJwt } from './jwt-shape';
import type { OidcVerifier } from './oidc-verifier';
import type { Principal } from './principal';
import { SESSION_TOKEN_TYP, type SessionTokens } from './session-tokens';
import { TokenErrorCode, tokenError } from './token-errors';
import { VerifiedTokenCache, type VerifiedTokenCacheOptions } from './verified-tokens';

export interface AuthenticatorOptions {
  readonly oidc: OidcVerifier;
  /** Omit to accept OIDC tokens only. */
  readonly sessions?: SessionTokens;
  /** Remembered verifications; `{ maxEntries: 0 }` verifies every time. @default VerifiedTokenCache defaults */
  readonly cache?: VerifiedTokenCacheOptions;
}

export interface Authenticator {
  authenticate(credential: string): Promise<Principal>;
}

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const { oidc, sessions } = opts;
  if (sessions && oidc.issuers.includes(sessions.issuer)) {
    // Otherwise tokens naming that issuer would be ambiguous between the two verifiers.
    throw new WardenError(
      'ERR_IDENTITY_CONFIG',
      `session token issuer ${sessions.issuer} is also an OIDC issuer`,
    );
  }
  const verified = new VerifiedTokenCache(opts.cache);
  const verify = async (token: string): Promise<Principal> => {
    const { header, claims } = peekJwt(token);
    const isSession =
      header.typ === SESSION_TOKEN_TYP || (sessions !== undefined && claims.iss === sessions.issuer);
    if (isSession) {
      if (!sessions) throw tokenError(TokenErrorCode.issuerUnknown);
      return await sessions.verify(token);
    }
    return await oidc.verify(token);
  };
  return {
    async authenticate(credential: string): Promise<Principal> {
      try {
        const token = stripBearer(credential);
        const known = verified.get(token);
        if (known) {
          // A revocation can come at any time: never answered from the cache.
          if (known.tokenId !== undefined && known.via === 'session-token') {
            if (!sessions || (await sessions.isRevoked(known.tokenId)))
              throw tokenError(TokenErrorCode.revoked);
          }
          return known;
        }
        const principal = await verify(token);
        verified.set(token, principal);
        return principal;
      } catch (err) {
        if (err instanceof AuthenticationError) throw err;
        // Anything unexpected is still a refusal, with nothing internal in the reason.
        throw new AuthenticationError('ERR_AUTHENTICATION_FAILED', 'the credential could not be verified', {
          cause: err,
        });
      }
    },
  };
}

/** Adapters may hand over an Authorization header value or a bare token; both are accepted. */
function stripBearer(credential: string): string {
  if (typeof credential !== 'string') throw tokenError(TokenErrorCode.malformed);
  const trimmed = credential.trim();
  return /^bearer\s+/i.test(trimmed) ? trimmed.replace(/^bearer\s+/i, '') : trimmed;
}
