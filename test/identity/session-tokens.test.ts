import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { AuthenticationError } from '../../gateway-image/src/errors';
import type { Principal } from '../../gateway-image/src/identity/principal';
import { FileRevocationStore, MemoryRevocationStore } from '../../gateway-image/src/identity/revocation';
import { createSessionTokens, SESSION_TOKEN_TYP } from '../../gateway-image/src/identity/session-tokens';
import { b64json, nowSec } from '../support/oidc-issuer';

const ed25519 = (): KeyObject => generateKeyPairSync('ed25519').privateKey;

const principal = (expiresInSec = 7200): Principal => ({
  subject: 'alice',
  kind: 'human',
  groups: ['dba'],
  issuer: 'https://idp.example.com',
  expiresAt: new Date(Date.now() + expiresInSec * 1000),
  via: 'oidc',
});

async function refusal(p: Promise<unknown>): Promise<AuthenticationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthenticationError);
  return err as AuthenticationError;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-revocations-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('issuing', () => {
  test('default lifetime 15 min, bound to the principal, EdDSA with typ and jti', async () => {
    const sessions = await createSessionTokens({
      signingKey: ed25519(),
      revocations: new MemoryRevocationStore(),
    });
    const issued = await sessions.issue(principal());
    const claims = decodeJwt(issued.token);
    expect(decodeProtectedHeader(issued.token)).toMatchObject({ alg: 'EdDSA', typ: SESSION_TOKEN_TYP });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
    expect(claims).toMatchObject({
      iss: 'warden',
      aud: 'warden',
      sub: 'alice',
      kind: 'human',
      groups: ['dba'],
    });
    expect(claims.jti).toBe(issued.tokenId);
    const p = await sessions.verify(issued.token);
    expect(p).toMatchObject({
      subject: 'alice',
      kind: 'human',
      groups: ['dba'],
      issuer: 'https://idp.example.com',
    });
    expect(p).toMatchObject({ via: 'session-token', tokenId: issued.tokenId, expiresAt: issued.expiresAt });
  });

  test('maximum lifetime is 1 h and is validated', async () => {
    const sessions = await createSessionTokens({
      signingKey: ed25519(),
      revocations: new MemoryRevocationStore(),
    });
    const max = await sessions.issue(principal(), 3600);
    expect(max.expiresAt.getTime() - Date.now()).toBeGreaterThan(3590_000);
    await expect(sessions.issue(principal(), 3601)).rejects.toMatchObject({
      code: 'ERR_SESSION_TTL_INVALID',
    });
    await expect(sessions.issue(principal(), 0)).rejects.toMatchObject({ code: 'ERR_SESSION_TTL_INVALID' });
    const bad = { signingKey: ed25519(), revocations: new MemoryRevocationStore() };
    await expect(createSessionTokens({ ...bad, maxTtlSec: 7200 })).rejects.toThrow(/maxTtlSec/);
    await expect(createSessionTokens({ ...bad, maxTtlSec: 600, defaultTtlSec: 900 })).rejects.toThrow(
      /defaultTtlSec/,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expect(createSessionTokens({ ...bad, signingKey: rsa })).rejects.toThrow(/Ed25519/);
  });

  test('never outlives the exchanged credential', async () => {
    const sessions = await createSessionTokens({
      signingKey: ed25519(),
      revocations: new MemoryRevocationStore(),
    });
    const p = principal(120);
    const issued = await sessions.issue(p, 3600);
    expect(issued.expiresAt.getTime()).toBe(Math.floor(p.expiresAt.getTime() / 1000) * 1000);
    await expect(sessions.issue(principal(-10))).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
  });
});

describe('verifying', () => {
  const key = ed25519();
  const store = new MemoryRevocationStore();
  const make = () => createSessionTokens({ signingKey: key, revocations: store, clockSkewSec: 0 });

  test('revoked token is refused', async () => {
    const sessions = await make();
    const issued = await sessions.issue(principal());
    await sessions.revoke(issued.tokenId);
    const err = await refusal(sessions.verify(issued.token));
    expect(err.code).toBe('ERR_TOKEN_REVOKED');
    expect(err.reason).toMatch(/revoked/);
  });

  test('expired token is refused', async () => {
    const sessions = await make();
    const { token } = await sessions.issue(principal());
    const kid = decodeProtectedHeader(token).kid;
    const expired = await new SignJWT({
      ...decodeJwt(token),
      iat: nowSec() - 120,
      nbf: nowSec() - 120,
      exp: nowSec() - 60,
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: SESSION_TOKEN_TYP, kid })
      .sign(key);
    expect((await refusal(sessions.verify(expired))).code).toBe('ERR_TOKEN_EXPIRED');
  });

  test('signed by another key under our kid: bad signature; under its own kid: unknown key', async () => {
    const sessions = await make();
    const { token } = await sessions.issue(principal());
    const kid = decodeProtectedHeader(token).kid;
    const sign = (k?: string) =>
      new SignJWT(decodeJwt(token))
        .setProtectedHeader({ alg: 'EdDSA', typ: SESSION_TOKEN_TYP, kid: k })
        .sign(ed25519());
    expect((await refusal(sessions.verify(await sign(kid)))).code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
    expect((await refusal(sessions.verify(await sign('other')))).code).toBe('ERR_TOKEN_KID_UNKNOWN');
    // Another gateway's tokens (different key) are not ours either.
    const foreign = await createSessionTokens({ signingKey: ed25519(), revocations: store });
    const err = await refusal(sessions.verify((await foreign.issue(principal())).token));
    expect(err.code).toBe('ERR_TOKEN_KID_UNKNOWN');
  });

  test('tampered claims and alg none are refused', async () => {
    const sessions = await make();
    const [h, p, s] = (await sessions.issue(principal())).token.split('.');
    const raised = `${h}.${b64json({ ...decodeJwt(`${h}.${p}.${s}`), groups: ['admins'] })}.${s}`;
    expect((await refusal(sessions.verify(raised))).code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
    const unsigned = `${b64json({ alg: 'none', typ: SESSION_TOKEN_TYP })}.${p}.`;
    expect((await refusal(sessions.verify(unsigned))).code).toBe('ERR_TOKEN_ALG_NOT_ALLOWED');
  });

  test('tokens of the previous key stay valid during a key rollover', async () => {
    const old = await make();
    const { token } = await old.issue(principal());
    const rolled = await createSessionTokens({
      signingKey: ed25519(),
      previousKeys: [key],
      revocations: store,
    });
    await expect(rolled.verify(token)).resolves.toMatchObject({ subject: 'alice' });
  });
});

describe('file revocation store', () => {
  test('revocations survive a restart; expired entries are dropped', async () => {
    const path = join(dir, 'revocations.json');
    const first = await FileRevocationStore.open(path);
    await first.revoke('jti-live', new Date(Date.now() + 60_000));
    await first.revoke('jti-gone', new Date(Date.now() - 1));
    const reopened = await FileRevocationStore.open(path);
    expect(await reopened.isRevoked('jti-live')).toBe(true);
    expect(await reopened.isRevoked('jti-gone')).toBe(false);
    expect(await reopened.isRevoked('never')).toBe(false);
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    expect(Object.keys(onDisk.revoked)).toEqual(['jti-live']);
  });

  test('concurrent revokes all land in the file', async () => {
    const path = join(dir, 'concurrent.json');
    const store = await FileRevocationStore.open(path);
    const until = new Date(Date.now() + 60_000);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.revoke(`j${i}`, until)));
    const reopened = await FileRevocationStore.open(path);
    for (let i = 0; i < 20; i++) expect(await reopened.isRevoked(`j${i}`)).toBe(true);
  });

  test('a corrupt file fails closed instead of forgetting revocations', async () => {
    const path = join(dir, 'corrupt.json');
    await writeFile(path, '{"version":1,"revoked":');
    await expect(FileRevocationStore.open(path)).rejects.toMatchObject({ code: 'ERR_REVOCATION_STORE' });
  });

  test('a damaged entry or a list in place of the map fails closed rather than being skipped', async () => {
    const path = join(dir, 'damaged.json');
    await writeFile(path, JSON.stringify({ version: 1, revoked: { j1: Date.now() + 60_000, j2: 'soon' } }));
    await expect(FileRevocationStore.open(path)).rejects.toMatchObject({ code: 'ERR_REVOCATION_STORE' });
    await writeFile(path, JSON.stringify({ version: 1, revoked: ['j1'] }));
    await expect(FileRevocationStore.open(path)).rejects.toMatchObject({ code: 'ERR_REVOCATION_STORE' });
  });
});
