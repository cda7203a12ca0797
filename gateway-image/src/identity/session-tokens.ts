/**
 * Warden session tokens: short-lived EdDSA (Ed25519) JWTs the gateway signs for a principal it has
 * already verified through OIDC. They let a client authenticate many connections without sending its
 * IdP token each time, and they can be revoked one by one (by jti).
 *
 * A session token never outlives the credential it was exchanged for: its `exp` is capped at the
 * principal's own expiry. The header `typ` marks it, so it can never be mistaken for an OIDC token.
 */
import { createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { WardenError } from '../errors';
import type { Principal, PrincipalKind } from './principal';
import { readExpiry, readGroups, readSubject } from './principal-claims';
import type { RevocationStore } from './revocation';
import { fromJoseError, TokenErrorCode, tokenError } from './token-errors';

export const SESSION_TOKEN_TYP = 'warden-session+jwt';
const ALG = 'EdDSA';
const AUDIENCE = 'warden';

export interface SessionTokenOptions {
  /** Ed25519 private key that signs new tokens. */
  readonly signingKey: KeyObject;
  /** Earlier public keys still accepted for verification during a key rollover. @default [] */
  readonly previousKeys?: readonly KeyObject[];
  /** `iss` of session tokens; must differ from every OIDC issuer. @default 'warden' */
  readonly issuer?: string;
  /** Lifetime when the caller asks for none, in seconds. @default 900 (15 min) */
  readonly defaultTtlSec?: number;
  /** Longest lifetime a caller may ask for, in seconds, at most 3600. @default 3600 (1 h) */
  readonly maxTtlSec?: number;
  /** Tolerance for exp/nbf, in seconds, 0..300. @default 30 */
  readonly clockSkewSec?: number;
  readonly revocations: RevocationStore;
}

export interface IssuedSessionToken {
  readonly token: string;
  readonly tokenId: string;
  readonly expiresAt: Date;
}

export interface SessionTokens {
  readonly issuer: string;
  readonly maxTtlSec: number;
  /** Signs a token for `principal`; `ttlSec` is bounded by maxTtlSec and by the principal's expiry. */
  issue(principal: Principal, ttlSec?: number): Promise<IssuedSessionToken>;
  /** Verifies signature, issuer, audience, lifetime and revocation. Throws AuthenticationError. */
  verify(token: string): Promise<Principal>;
  /** Revokes a token id; the entry is kept until no token with it can still be valid. */
  revoke(tokenId: string): Promise<void>;
  /** Whether a token id is revoked (what `verify` checks last; callers that cached a verification ask again). */
  isRevoked(tokenId: string): Promise<boolean>;
}

export async function createSessionTokens(opts: SessionTokenOptions): Promise<SessionTokens> {
  const fail = (msg: string): never => {
    throw new WardenError('ERR_IDENTITY_CONFIG', `session tokens: ${msg}`);
  };
  const issuer = opts.issuer ?? 'warden';
  if (issuer.length === 0) fail('issuer must not be empty');
  const maxTtlSec = opts.maxTtlSec ?? 3600;
  const defaultTtlSec = opts.defaultTtlSec ?? 900;
  const clockSkewSec = opts.clockSkewSec ?? 30;
  if (!Number.isInteger(maxTtlSec) || maxTtlSec < 1 || maxTtlSec > 3600)
    fail('maxTtlSec must be an integer in 1..3600');
  if (!Number.isInteger(defaultTtlSec) || defaultTtlSec < 1 || defaultTtlSec > maxTtlSec) {
    fail('defaultTtlSec must be an integer in 1..maxTtlSec');
  }
  if (!Number.isInteger(clockSkewSec) || clockSkewSec < 0 || clockSkewSec > 300)
    fail('clockSkewSec must be in 0..300');
  if (opts.signingKey?.type !== 'private' || opts.signingKey.asymmetricKeyType !== 'ed25519') {
    fail('signingKey must be an Ed25519 private key');
  }
  if (!opts.revocations) fail('a revocation store is required');

  const publicJwks: JWK[] = [];
  for (const key of [createPublicKey(opts.signingKey), ...(opts.previousKeys ?? [])]) {
    if (key.asymmetricKeyType !== 'ed25519') fail('previousKeys must be Ed25519 keys');
    const jwk = await exportJWK(key.type === 'private' ? createPublicKey(key) : key);
    publicJwks.push({ ...jwk, alg: ALG, use: 'sig', kid: await calculateJwkThumbprint(jwk) });
  }
  const signingKid = publicJwks[0].kid as string;
  const keySet = createLocalJWKSet({ keys: publicJwks });

  return {
    issuer,
    maxTtlSec,
    async issue(principal, ttlSec) {
      const requested = ttlSec ?? defaultTtlSec;
      if (!Number.isInteger(requested) || requested < 1 || requested > maxTtlSec) {
        throw new WardenError('ERR_SESSION_TTL_INVALID', `ttl must be an integer in 1..${maxTtlSec} seconds`);
      }
      const now = Math.floor(Date.now() / 1000);
      const exp = Math.min(now + requested, Math.floor(principal.expiresAt.getTime() / 1000));
      if (exp <= now) throw tokenError(TokenErrorCode.expired);
      const tokenId = randomUUID();
      const token = await new SignJWT({
        kind: principal.kind,
        groups: [...principal.groups],
        oidc_iss: principal.issuer,
      })
        .setProtectedHeader({ alg: ALG, typ: SESSION_TOKEN_TYP, kid: signingKid })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setSubject(principal.subject)
        .setJti(tokenId)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(exp)
        .sign(opts.signingKey);
      return { token, tokenId, expiresAt: new Date(exp * 1000) };
    },

    async verify(token) {
      let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
      try {
        ({ payload } = await jwtVerify(token, keySet, {
          issuer,
          audience: AUDIENCE,
          algorithms: [ALG],
          typ: SESSION_TOKEN_TYP,
          clockTolerance: clockSkewSec,
          requiredClaims: ['exp', 'sub', 'jti', 'iat'],
          // A token claiming a longer life than any we issue was not issued by us as it stands.
          maxTokenAge: maxTtlSec + clockSkewSec,
        }));
      } catch (err) {
        throw fromJoseError(err);
      }
      const kind = payload.kind;
      const oidcIssuer = payload.oidc_iss;
      if (
        (kind !== 'human' && kind !== 'agent') ||
        typeof oidcIssuer !== 'string' ||
        typeof payload.jti !== 'string'
      ) {
        throw tokenError(TokenErrorCode.claimsInvalid);
      }
      if (await opts.revocations.isRevoked(payload.jti)) throw tokenError(TokenErrorCode.revoked);
      return {
        subject: readSubject(payload),
        kind: kind as PrincipalKind,
        groups: readGroups(payload, 'groups'),
        issuer: oidcIssuer,
        expiresAt: readExpiry(payload),
        via: 'session-token',
        tokenId: payload.jti,
      };
    },

    isRevoked: (tokenId) => opts.revocations.isRevoked(tokenId),

    async revoke(tokenId) {
      if (typeof tokenId !== 'string' || tokenId.length === 0 || tokenId.length > 128) {
        throw new WardenError(
          'ERR_SESSION_REVOKE_INVALID',
          'jti must be a non-empty string of at most 128 characters',
        );
      }
      // No token lives longer than maxTtlSec past issue, so the entry can go after that (plus skew).
      await opts.revocations.revoke(tokenId, new Date(Date.now() + (maxTtlSec + clockSkewSec) * 1000));
    },
  };
}
