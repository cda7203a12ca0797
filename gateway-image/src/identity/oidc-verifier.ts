/**
 * Verifies OIDC JWTs (access or ID tokens) from one or more configured issuers and turns them into
 * Principals.
 *
 * Each issuer is discovered once (openid-client) and gets its own remote key set (jose). A token is
 * routed by its unverified `iss` to exactly one issuer and checked only against that issuer's keys,
 * so a second trusted issuer that reuses a kid cannot mint tokens for the first. Algorithms are
 * limited to the asymmetric ones the issuer advertises; jose then only uses a key whose type (and
 * `alg`, when the key states one) matches the token's algorithm, which narrows the set to the keys
 * actually published at the time of verification.
 */
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { WardenError } from '../errors';
import { peekJwt } from './jwt-shape';
import { isLoopbackUrl } from './loopback';
import type { Principal, PrincipalKind } from './principal';
import { classifyKind, type KindRule, readExpiry, readGroups, readSubject } from './principal-claims';
import { fromJoseError, TokenErrorCode, tokenError } from './token-errors';

export interface OidcIssuerOptions {
  /** Issuer identifier (URL). HTTPS, except on loopback (127.0.0.1, localhost, ::1) for tests and sandbox. */
  readonly issuer: string;
  /** Accepted `aud` values; at least one is required. */
  readonly audiences: readonly string[];
  /** Claim holding the principal's groups. @default 'groups' */
  readonly groupsClaim?: string;
  /** Claim that states human or agent explicitly. @default 'warden_kind' */
  readonly kindClaim?: string;
  /** Values of `kindClaim` meaning agent. @default ['agent'] */
  readonly agentClaimValues?: readonly string[];
  /** Kind when the token says nothing. @default 'human' */
  readonly defaultKind?: PrincipalKind;
  /** Treat `sub` equal to `client_id`/`azp` (no end user, e.g. client_credentials) as an agent. @default true */
  readonly agentWhenSubjectIsClient?: boolean;
  /** Tolerance for exp/nbf/iat, in seconds, 0..300. @default 30 */
  readonly clockSkewSec?: number;
  /** Minimum time between two JWKS fetches triggered by an unknown kid, 0..600000 ms. @default 30000 */
  readonly jwksCooldownMs?: number;
  /** How long fetched keys are used before they are refetched, 1000..86400000 ms. @default 600000 */
  readonly jwksCacheMaxAgeMs?: number;
  /** Timeout of discovery and JWKS requests, 100..60000 ms. @default 5000 */
  readonly httpTimeoutMs?: number;
}

export interface OidcVerifierOptions {
  readonly issuers: readonly OidcIssuerOptions[];
}

export interface OidcVerifier {
  /** Issuer identifiers this verifier trusts, as published in their discovery documents. */
  readonly issuers: readonly string[];
  /** Verifies the token and returns its principal, or throws an AuthenticationError. */
  verify(token: string): Promise<Principal>;
}

const ASYMMETRIC_ALGS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

interface TrustedIssuer {
  readonly issuer: string;
  readonly audiences: string[];
  readonly algorithms: string[];
  readonly groupsClaim: string;
  readonly kind: KindRule;
  readonly clockSkewSec: number;
  readonly keys: ReturnType<typeof createRemoteJWKSet>;
}

/** Validates every issuer's options, then discovers each issuer; fails if any cannot be discovered. */
export async function createOidcVerifier(opts: OidcVerifierOptions): Promise<OidcVerifier> {
  if (!opts.issuers?.length)
    throw new WardenError('ERR_IDENTITY_CONFIG', 'at least one OIDC issuer is required');
  const validated = opts.issuers.map(validateIssuerOptions);
  const trusted = await Promise.all(validated.map(discoverIssuer));
  const byIssuer = new Map<string, TrustedIssuer>();
  for (const t of trusted) {
    if (byIssuer.has(t.issuer))
      throw new WardenError('ERR_IDENTITY_CONFIG', `issuer ${t.issuer} is configured twice`);
    byIssuer.set(t.issuer, t);
  }

  return {
    issuers: [...byIssuer.keys()],
    async verify(token: string): Promise<Principal> {
      const { header, claims } = peekJwt(token);
      const trustedIssuer = typeof claims.iss === 'string' ? byIssuer.get(claims.iss) : undefined;
      if (!trustedIssuer) throw tokenError(TokenErrorCode.issuerUnknown);
      if (!trustedIssuer.algorithms.includes(header.alg as string))
        throw tokenError(TokenErrorCode.algNotAllowed);
      // jose checks iat only together with maxTokenAge; an iat in the future is a clock or forgery problem.
      if (typeof claims.iat === 'number' && claims.iat > Date.now() / 1000 + trustedIssuer.clockSkewSec) {
        throw tokenError(TokenErrorCode.notYetValid);
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, trustedIssuer.keys, {
          issuer: trustedIssuer.issuer,
          audience: trustedIssuer.audiences,
          algorithms: trustedIssuer.algorithms,
          clockTolerance: trustedIssuer.clockSkewSec,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        throw fromJoseError(err);
      }
      return {
        subject: readSubject(payload),
        kind: classifyKind(payload, trustedIssuer.kind),
        groups: readGroups(payload, trustedIssuer.groupsClaim),
        issuer: trustedIssuer.issuer,
        expiresAt: readExpiry(payload),
        via: 'oidc',
      };
    },
  };
}

interface ValidatedIssuer {
  readonly url: URL;
  readonly audiences: string[];
  readonly groupsClaim: string;
  readonly kind: KindRule;
  readonly clockSkewSec: number;
  readonly jwksCooldownMs: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly httpTimeoutMs: number;
}

function validateIssuerOptions(o: OidcIssuerOptions): ValidatedIssuer {
  const fail = (msg: string): never => {
    throw new WardenError('ERR_IDENTITY_CONFIG', `issuer ${String(o?.issuer)}: ${msg}`);
  };
  let url: URL;
  try {
    url = new URL(o.issuer);
  } catch {
    return fail('issuer must be a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
    fail('issuer must use https (plain http is allowed on loopback only)');
  }
  const audiences = [...(o.audiences ?? [])];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a.length === 0)) {
    fail('audiences must list at least one non-empty audience');
  }
  const int = (name: string, value: number | undefined, dflt: number, min: number, max: number): number => {
    const v = value ?? dflt;
    if (!Number.isInteger(v) || v < min || v > max)
      fail(`${name} must be an integer in ${min}..${max}, got ${v}`);
    return v;
  };
  const defaultKind = o.defaultKind ?? 'human';
  if (defaultKind !== 'human' && defaultKind !== 'agent') fail(`defaultKind must be 'human' or 'agent'`);
  return {
    url,
    audiences,
    groupsClaim: o.groupsClaim ?? 'groups',
    kind: {
      kindClaim: o.kindClaim ?? 'warden_kind',
      agentClaimValues: [...(o.agentClaimValues ?? ['agent'])],
      defaultKind,
      agentWhenSubjectIsClient: o.agentWhenSubjectIsClient ?? true,
    },
    clockSkewSec: int('clockSkewSec', o.clockSkewSec, 30, 0, 300),
    jwksCooldownMs: int('jwksCooldownMs', o.jwksCooldownMs, 30_000, 0, 600_000),
    jwksCacheMaxAgeMs: int('jwksCacheMaxAgeMs', o.jwksCacheMaxAgeMs, 600_000, 1_000, 86_400_000),
    httpTimeoutMs: int('httpTimeoutMs', o.httpTimeoutMs, 5_000, 100, 60_000),
  };
}

async function discoverIssuer(v: ValidatedIssuer): Promise<TrustedIssuer> {
  const loopback = isLoopbackUrl(v.url);
  let metadata: client.ServerMetadata;
  try {
    // openid-client checks that the document's `issuer` equals the URL we asked for. The client id
    // is required by its API but unused: the gateway only reads the server metadata.
    const config = await client.discovery(v.url, 'warden-gateway', undefined, client.None(), {
      timeout: Math.ceil(v.httpTimeoutMs / 1000),
      ...(loopback ? { execute: [client.allowInsecureRequests] } : {}),
    });
    metadata = config.serverMetadata();
  } catch (err) {
    throw new WardenError('ERR_ISSUER_UNAVAILABLE', `discovery of ${v.url.href} failed`, { cause: err });
  }
  const fail = (msg: string): never => {
    throw new WardenError('ERR_IDENTITY_CONFIG', `issuer ${metadata.issuer}: ${msg}`);
  };
  if (!metadata.jwks_uri) fail('discovery document has no jwks_uri');
  const jwksUri = new URL(metadata.jwks_uri as string);
  if (jwksUri.protocol !== 'https:' && !(loopback && isLoopbackUrl(jwksUri))) fail('jwks_uri must use https');
  // OIDC Discovery: RS256 is the default when the issuer does not list its algorithms.
  const advertised = metadata.id_token_signing_alg_values_supported ?? ['RS256'];
  const algorithms = advertised.filter((a) => ASYMMETRIC_ALGS.has(a));
  if (algorithms.length === 0) fail(`no supported asymmetric signing algorithm in ${advertised.join(', ')}`);
  return {
    issuer: metadata.issuer,
    audiences: v.audiences,
    algorithms,
    groupsClaim: v.groupsClaim,
    kind: v.kind,
    clockSkewSec: v.clockSkewSec,
    keys: createRemoteJWKSet(jwksUri, {
      cooldownDuration: v.jwksCooldownMs,
      cacheMaxAge: v.jwksCacheMaxAgeMs,
      timeoutDuration: v.httpTimeoutMs,
    }),
  };
}
