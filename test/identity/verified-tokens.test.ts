/**
 * The authenticator remembers verified tokens (identity/verified-tokens.ts): a repeat skips the
 * signature check, but revocation is checked on every use, an entry ends at the token's expiry,
 * and a refusal is never remembered. Real session tokens and a real OIDC issuer.
 */
import { generateKeyPairSync } from 'node:crypto';
import { AuthenticationError } from '../../gateway-image/src/errors';
import { type Authenticator, createAuthenticator } from '../../gateway-image/src/identity/authenticator';
import { createOidcVerifier, type OidcVerifier } from '../../gateway-image/src/identity/oidc-verifier';
import type { Principal } from '../../gateway-image/src/identity/principal';
import { MemoryRevocationStore } from '../../gateway-image/src/identity/revocation';
import { createSessionTokens, type SessionTokens } from '../../gateway-image/src/identity/session-tokens';
import { VerifiedTokenCache } from '../../gateway-image/src/identity/verified-tokens';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';

const AUDIENCE = 'https://warden.test';

let idp: LocalIssuer;
let oidc: OidcVerifier;
let sessions: SessionTokens;
/** Signature checks that actually ran, per verifier. */
const checks = { oidc: 0, session: 0 };
let auth: Authenticator;

const human: Principal = {
  subject: 'alice',
  kind: 'human',
  groups: ['clinicians'],
  issuer: 'https://idp.example.com',
  expiresAt: new Date(Date.now() + 3_600_000),
  via: 'oidc',
};

async function refusal(p: Promise<unknown>): Promise<AuthenticationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthenticationError);
  return err as AuthenticationError;
}

beforeAll(async () => {
  idp = await startLocalIssuer({
    audience: AUDIENCE,
    agents: [{ clientId: 'etl-bot', clientSecret: 'etl-bot-secret-0123456789', groups: ['agents'] }],
  });
  const realOidc = await createOidcVerifier({ issuers: [{ issuer: idp.issuer, audiences: [AUDIENCE] }] });
  const realSessions = await createSessionTokens({
    signingKey: generateKeyPairSync('ed25519').privateKey,
    revocations: new MemoryRevocationStore(),
  });
  // The real verifiers, counted: a cache hit must not reach them.
  oidc = {
    issuers: realOidc.issuers,
    verify: (t) => {
      checks.oidc++;
      return realOidc.verify(t);
    },
  };
  sessions = {
    ...realSessions,
    verify: (t) => {
      checks.session++;
      return realSessions.verify(t);
    },
  };
  auth = createAuthenticator({ oidc, sessions });
});

afterAll(async () => {
  await idp?.close();
});

beforeEach(() => {
  checks.oidc = 0;
  checks.session = 0;
});

test('an OIDC token is verified once, then answered from the cache', async () => {
  const token = await idp.agentToken('etl-bot');
  const first = await auth.authenticate(token);
  const again = await auth.authenticate(`Bearer ${token}`);
  expect(again).toEqual(first);
  expect(first).toMatchObject({ subject: 'etl-bot', kind: 'agent', via: 'oidc' });
  expect(checks.oidc).toBe(1);
});

test('a session token is verified once, and its revocation is honoured at the next use', async () => {
  const issued = await sessions.issue(human, 600);
  await auth.authenticate(issued.token);
  await auth.authenticate(issued.token);
  expect(checks.session).toBe(1);
  await sessions.revoke(issued.tokenId);
  expect((await refusal(auth.authenticate(issued.token))).code).toBe('ERR_TOKEN_REVOKED');
  // Still refused later: a refusal is never turned into a cache entry.
  expect((await refusal(auth.authenticate(issued.token))).code).toBe('ERR_TOKEN_REVOKED');
});

test('a token whose signature was altered is never matched to a cached verification', async () => {
  const issued = await sessions.issue(human, 600);
  await auth.authenticate(issued.token);
  const [h, p, s] = issued.token.split('.');
  const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
  expect((await refusal(auth.authenticate(flipped))).code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
  expect((await refusal(auth.authenticate(flipped))).code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
  expect(checks.session).toBe(3);
});

test('an entry ends when its token expires', async () => {
  // A one-second token, and an authenticator whose session tokens allow no clock skew.
  const strict = await createSessionTokens({
    signingKey: generateKeyPairSync('ed25519').privateKey,
    revocations: new MemoryRevocationStore(),
    clockSkewSec: 0,
  });
  let verified = 0;
  const a = createAuthenticator({
    oidc,
    sessions: {
      ...strict,
      verify: (t) => {
        verified++;
        return strict.verify(t);
      },
    },
  });
  const issued = await strict.issue(human, 1);
  await a.authenticate(issued.token);
  await a.authenticate(issued.token);
  expect(verified).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, issued.expiresAt.getTime() - Date.now() + 50));
  expect((await refusal(a.authenticate(issued.token))).code).toBe('ERR_TOKEN_EXPIRED');
  expect(verified).toBe(2);
});

test('maxEntries 0 verifies every time', async () => {
  const a = createAuthenticator({ oidc, sessions, cache: { maxEntries: 0 } });
  const issued = await sessions.issue(human, 600);
  await a.authenticate(issued.token);
  await a.authenticate(issued.token);
  expect(checks.session).toBe(2);
});

describe('VerifiedTokenCache', () => {
  let now = 1_000_000;
  const principal = (expiresAt: number): Principal => ({ ...human, expiresAt: new Date(expiresAt) });

  test('an entry lives until the earlier of the expiry and maxAgeMs', () => {
    const cache = new VerifiedTokenCache({ maxAgeMs: 1000, now: () => now });
    cache.set('long-lived', principal(now + 60_000));
    cache.set('short-lived', principal(now + 500));
    now += 499;
    expect(cache.get('short-lived')).toBeDefined();
    now += 1;
    expect(cache.get('short-lived')).toBeUndefined();
    expect(cache.get('long-lived')).toBeDefined();
    now += 500;
    expect(cache.get('long-lived')).toBeUndefined();
  });

  test('an expired principal is not stored; the oldest entry makes room', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 2, now: () => now });
    cache.set('expired', principal(now));
    expect(cache.size).toBe(0);
    for (const t of ['a', 'b', 'c']) cache.set(t, principal(now + 60_000));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBeDefined();
  });
});
