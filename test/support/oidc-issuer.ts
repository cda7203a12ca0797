/**
 * Test helpers around issuers.
 *
 * `startKeyHoldingIssuer` serves a discovery document and a JWKS over real HTTP for keys generated
 * in the test, so a test can sign any claims (expired, not yet valid, wrong audience, a borrowed
 * kid) with a key the verifier trusts. The real oidc-provider issuer (sandbox/local-issuer) is used
 * for everything that tokens from real grants can express.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface KeyHoldingIssuer {
  readonly issuer: string;
  readonly kid: string;
  readonly publicJwk: JWK;
  /** Signs `claims` (iss defaults to this issuer) with this issuer's key; header fields may be overridden. */
  sign(claims: JWTPayload, header?: { kid?: string; typ?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startKeyHoldingIssuer(opts: { kid?: string } = {}): Promise<KeyHoldingIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = opts.kid ?? randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server = createServer((req, res) => {
    const body =
      req.url === '/.well-known/openid-configuration'
        ? {
            issuer,
            jwks_uri: `${issuer}/jwks`,
            authorization_endpoint: `${issuer}/auth`,
            token_endpoint: `${issuer}/token`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256', 'HS256'],
          }
        : req.url === '/jwks'
          ? { keys: [publicJwk] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    kid,
    publicJwk,
    sign: (claims, header = {}) =>
      signRs256(privateKey, { iss: issuer, ...claims }, header.kid ?? kid, header.typ),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export function signRs256(key: CryptoKey, claims: JWTPayload, kid: string, typ = 'at+jwt'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ }).sign(key);
}

/** Seconds since the epoch, for building claims. */
export const nowSec = (): number => Math.floor(Date.now() / 1000);

/** Re-encodes a JWT part; used to craft tampered and unsigned tokens. */
export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
