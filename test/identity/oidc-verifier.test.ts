import { createPublicKey, createSecretKey, randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { AuthenticationError } from '../../gateway-image/src/errors';
import { createOidcVerifier, type OidcVerifier } from '../../gateway-image/src/identity/oidc-verifier';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  b64json,
  type KeyHoldingIssuer,
  nowSec,
  signRs256,
  startKeyHoldingIssuer,
} from '../support/oidc-issuer';

const AUDIENCE = 'https://warden.test';

let idp: LocalIssuer;
let otherIdp: LocalIssuer;
let holder: KeyHoldingIssuer;
let verifier: OidcVerifier;

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
    agents: [{ clientId: 'etl-bot', clientSecret: 'etl-bot-secret-0123456789', groups: ['agents', 'etl'] }],
    users: [{ id: 'alice', groups: ['dba', 'clinicians'], name: 'Alice' }],
  });
  // A real issuer the verifier also trusts, but whose tokens are minted for another audience.
  otherIdp = await startLocalIssuer({
    audience: 'https://billing.test',
    agents: [{ clientId: 'billing-bot', clientSecret: 'billing-bot-secret-0123456789', groups: ['agents'] }],
  });
  // A second trusted issuer that deliberately reuses the first issuer's kid.
  holder = await startKeyHoldingIssuer({ kid: idp.currentKid });
  verifier = await createOidcVerifier({
    issuers: [
      { issuer: idp.issuer, audiences: [AUDIENCE], jwksCooldownMs: 0 },
      { issuer: otherIdp.issuer, audiences: [AUDIENCE] },
      { issuer: holder.issuer, audiences: [AUDIENCE], clockSkewSec: 5 },
    ],
  });
});

afterAll(async () => {
  await Promise.all([idp?.close(), otherIdp?.close(), holder?.close()]);
});

describe('discovery and configuration', () => {
  test('discovers every configured issuer', () => {
    expect(verifier.issuers).toEqual([idp.issuer, otherIdp.issuer, holder.issuer]);
  });

  test.each([
    [{ issuer: 'http://idp.example.com', audiences: ['a'] }, /https/],
    [{ issuer: 'not a url', audiences: ['a'] }, /URL/],
    [{ issuer: 'https://idp.example.com', audiences: [] }, /audiences/],
    [{ issuer: 'https://idp.example.com', audiences: ['a'], clockSkewSec: 301 }, /clockSkewSec/],
    [{ issuer: 'https://idp.example.com', audiences: ['a'], jwksCooldownMs: -1 }, /jwksCooldownMs/],
  ])('refuses invalid options before any request: %j', async (issuerOpts, message) => {
    await expect(createOidcVerifier({ issuers: [issuerOpts] })).rejects.toThrow(message);
  });

  test('refuses to start when an issuer cannot be discovered', async () => {
    await expect(
      createOidcVerifier({
        issuers: [{ issuer: 'http://127.0.0.1:9', audiences: ['a'], httpTimeoutMs: 1000 }],
      }),
    ).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
  });
});

describe('tokens from real grants', () => {
  test('client credentials token → agent principal', async () => {
    const token = await idp.agentToken('etl-bot');
    const p = await verifier.verify(token);
    expect(p).toMatchObject({
      subject: 'etl-bot',
      kind: 'agent',
      groups: ['agents', 'etl'],
      issuer: idp.issuer,
    });
    expect(p.via).toBe('oidc');
    expect(p.expiresAt.getTime()).toBe((decodeJwt(token).exp as number) * 1000);
  });

  test('authorization-code + PKCE user token → human principal with groups', async () => {
    const p = await verifier.verify(await idp.userToken('alice'));
    expect(p).toMatchObject({ subject: 'alice', kind: 'human', groups: ['dba', 'clinicians'], via: 'oidc' });
  });

  test('key rotation: a token with a new kid is accepted after one JWKS refetch', async () => {
    await verifier.verify(await idp.agentToken('etl-bot'));
    const oldKid = idp.currentKid;
    const oldToken = await idp.agentToken('etl-bot');
    await idp.rotateKeys();
    const newToken = await idp.agentToken('etl-bot');
    expect(decodeProtectedHeader(newToken).kid).not.toBe(oldKid);
    const before = idp.jwksRequests;
    await expect(verifier.verify(newToken)).resolves.toMatchObject({ subject: 'etl-bot' });
    expect(idp.jwksRequests - before).toBe(1);
    // The previous key is still published, so tokens signed before the rotation stay valid.
    await expect(verifier.verify(oldToken)).resolves.toMatchObject({ subject: 'etl-bot' });
  });
});

describe('refusals', () => {
  const claims = () => ({ sub: 'mallory', aud: AUDIENCE, iat: nowSec(), exp: nowSec() + 300 });

  test('expired', async () => {
    const token = await holder.sign({ ...claims(), iat: nowSec() - 600, exp: nowSec() - 60 });
    const err = await refusal(verifier.verify(token));
    expect(err.code).toBe('ERR_TOKEN_EXPIRED');
    expect(err.reason).toMatch(/expired/);
  });

  test('expired within the clock skew is still accepted', async () => {
    await expect(
      verifier.verify(await holder.sign({ ...claims(), exp: nowSec() - 2 })),
    ).resolves.toBeDefined();
  });

  test('not yet valid (nbf, and iat in the future)', async () => {
    const nbf = await refusal(verifier.verify(await holder.sign({ ...claims(), nbf: nowSec() + 120 })));
    expect(nbf.code).toBe('ERR_TOKEN_NOT_YET_VALID');
    const iat = await refusal(verifier.verify(await holder.sign({ ...claims(), iat: nowSec() + 120 })));
    expect(iat.code).toBe('ERR_TOKEN_NOT_YET_VALID');
  });

  test('unknown issuer', async () => {
    const token = await holder.sign({ ...claims(), iss: 'https://evil.example' });
    const err = await refusal(verifier.verify(token));
    expect(err.code).toBe('ERR_TOKEN_ISSUER_UNKNOWN');
    expect(err.reason).toMatch(/issuer/);
  });

  test('wrong audience (real token of a trusted issuer, minted for another resource)', async () => {
    const err = await refusal(verifier.verify(await otherIdp.agentToken('billing-bot')));
    expect(err.code).toBe('ERR_TOKEN_AUDIENCE_INVALID');
    expect(err.reason).toMatch(/audience/);
  });

  test('alg none', async () => {
    const token = `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json({ ...claims(), iss: idp.issuer })}.`;
    const err = await refusal(verifier.verify(token));
    expect(err.code).toBe('ERR_TOKEN_ALG_NONE');
    expect(err.reason).toMatch(/none/);
  });

  test('HS256 signed with the issuer RSA public key as the HMAC secret', async () => {
    const jwk = idp.jwks.keys.find((k) => k.kid === idp.currentKid)!;
    const pem = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const token = await new SignJWT({ ...claims(), iss: idp.issuer })
      .setProtectedHeader({ alg: 'HS256', kid: idp.currentKid })
      .sign(createSecretKey(Buffer.from(pem)));
    const err = await refusal(verifier.verify(token));
    expect(err.code).toBe('ERR_TOKEN_ALG_NOT_ALLOWED');
    expect(err.reason).toMatch(/algorithm/);
  });

  test('unknown kid: refused after one refetch, and the cooldown limits refetches', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forge = () => signRs256(privateKey, { ...claims(), iss: idp.issuer }, randomUUID());
    const before = idp.jwksRequests;
    const err = await refusal(verifier.verify(await forge()));
    expect(err.code).toBe('ERR_TOKEN_KID_UNKNOWN');
    expect(err.reason).toMatch(/key/);
    expect(idp.jwksRequests - before).toBe(1);

    // With the default 30 s cooldown a second unknown kid does not reach the issuer again.
    const cooled = await createOidcVerifier({ issuers: [{ issuer: idp.issuer, audiences: [AUDIENCE] }] });
    await refusal(cooled.verify(await forge()));
    const afterFirst = idp.jwksRequests;
    expect((await refusal(cooled.verify(await forge()))).code).toBe('ERR_TOKEN_KID_UNKNOWN');
    expect(idp.jwksRequests).toBe(afterFirst);
  });

  test('tampered payload of a real token', async () => {
    const [h, p, s] = (await idp.agentToken('etl-bot')).split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = `${h}.${b64json({ ...payload, groups: ['admins'] })}.${s}`;
    const err = await refusal(verifier.verify(tampered));
    expect(err.code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
    expect(err.reason).toMatch(/signature/);
  });

  test("a second trusted issuer reusing the first issuer's kid cannot forge its tokens", async () => {
    expect(idp.jwks.keys.map((k) => k.kid)).toContain(holder.kid);
    // Signed with issuer 2's key, claiming issuer 1: checked against issuer 1's key with that kid.
    const forged = await holder.sign({ ...claims(), iss: idp.issuer });
    expect((await refusal(verifier.verify(forged))).code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
    // The same key is trusted for its own issuer, so the refusal is about issuer separation only.
    await expect(verifier.verify(await holder.sign(claims()))).resolves.toMatchObject({
      issuer: holder.issuer,
    });
  });

  test.each([
    ['empty', ''],
    ['not a JWT', 'hello'],
    ['JWE-shaped', 'a.b.c.d.e'],
    ['garbage segments', 'a.b.c'],
  ])('malformed: %s', async (_name, token) => {
    expect((await refusal(verifier.verify(token))).code).toBe('ERR_TOKEN_MALFORMED');
  });

  test('missing sub, missing exp, or non-string groups', async () => {
    const { sub: _s, ...noSub } = claims();
    const { exp: _e, ...noExp } = claims();
    for (const c of [noSub, noExp, { ...claims(), groups: [1, 2] }]) {
      expect((await refusal(verifier.verify(await holder.sign(c)))).code).toBe('ERR_TOKEN_CLAIMS_INVALID');
    }
  });
});

describe('human or agent', () => {
  test('warden_kind claim and subject-is-client rule', async () => {
    const base = { aud: AUDIENCE, exp: nowSec() + 300 };
    const kind = async (c: Record<string, unknown>) =>
      (await verifier.verify(await holder.sign({ ...base, ...c }))).kind;
    expect(await kind({ sub: 'u1' })).toBe('human');
    expect(await kind({ sub: 'u1', warden_kind: 'agent' })).toBe('agent');
    expect(await kind({ sub: 'svc', client_id: 'svc' })).toBe('agent');
    expect(await kind({ sub: 'svc', azp: 'svc', warden_kind: 'human' })).toBe('agent');
    expect(await kind({ sub: 'u1', azp: 'cli', warden_kind: 'human' })).toBe('human');
  });

  test('defaultKind agent', async () => {
    const v = await createOidcVerifier({
      issuers: [{ issuer: holder.issuer, audiences: [AUDIENCE], defaultKind: 'agent' }],
    });
    const p = await v.verify(await holder.sign({ sub: 'x', aud: AUDIENCE, exp: nowSec() + 60 }));
    expect(p.kind).toBe('agent');
  });
});
