import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AdminServer, startAdminServer } from '../../gateway-image/src/admin/server';
import { AuthenticationError } from '../../gateway-image/src/errors';
import { type Authenticator, createAuthenticator } from '../../gateway-image/src/identity/authenticator';
import { IDENTITY_CHANNEL } from '../../gateway-image/src/identity/events';
import { login } from '../../gateway-image/src/identity/login';
import { createOidcVerifier } from '../../gateway-image/src/identity/oidc-verifier';
import { MemoryRevocationStore } from '../../gateway-image/src/identity/revocation';
import { createSessionTokens, type SessionTokens } from '../../gateway-image/src/identity/session-tokens';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';

const AUDIENCE = 'https://warden.test';
const BOT = { clientId: 'etl-bot', clientSecret: 'etl-bot-secret-0123456789', groups: ['agents'] };

let idp: LocalIssuer;
let sessions: SessionTokens;
let auth: Authenticator;
let admin: AdminServer;
const internalErrors: unknown[] = [];

beforeAll(async () => {
  idp = await startLocalIssuer({
    audience: AUDIENCE,
    agents: [BOT],
    users: [
      { id: 'alice', groups: ['clinicians'] },
      { id: 'root', groups: ['warden-admins'] },
    ],
  });
  const oidc = await createOidcVerifier({ issuers: [{ issuer: idp.issuer, audiences: [AUDIENCE] }] });
  sessions = await createSessionTokens({
    signingKey: generateKeyPairSync('ed25519').privateKey,
    revocations: new MemoryRevocationStore(),
  });
  auth = createAuthenticator({ oidc, sessions });
  admin = await startAdminServer({
    oidc,
    sessions,
    authenticator: auth,
    adminGroups: ['warden-admins'],
    onInternalError: (err) => internalErrors.push(err),
    configure: (router) =>
      router.add('GET', '/v1/boom', async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');
      }),
  });
});

afterAll(async () => {
  await Promise.all([admin?.close(), idp?.close()]);
});

async function post(path: string, bearer?: string, body?: unknown) {
  const res = await fetch(`${admin.url}${path}`, {
    method: 'POST',
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function expectCleanProblem(res: { headers: Headers; text: string }, code: string): void {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const problem = JSON.parse(res.text);
  expect(problem).toMatchObject({ code, type: `urn:warden:error:${code}` });
  expect(typeof problem.detail).toBe('string');
  // No stack frames, exception class names, file paths or internal messages.
  expect(res.text).not.toMatch(/\bat \S+ \(|Error:|\.ts:|node_modules|ECONNREFUSED|hunter2|jose|JWS/);
}

describe('admin server', () => {
  test('GET /healthz', async () => {
    const res = await fetch(`${admin.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('exchange: agent OIDC token → session token the authenticator accepts', async () => {
    const oidcToken = await idp.agentToken('etl-bot');
    const seen: unknown[] = [];
    const onEvent = (e: unknown) => seen.push(e);
    diagnosticsChannel.subscribe(IDENTITY_CHANNEL, onEvent);
    const res = await post('/v1/session-tokens', oidcToken, { ttlSeconds: 300 });
    diagnosticsChannel.unsubscribe(IDENTITY_CHANNEL, onEvent);
    expect(res.status).toBe(201);
    const body = JSON.parse(res.text);
    expect(body.principal).toEqual({
      subject: 'etl-bot',
      kind: 'agent',
      issuer: idp.issuer,
      groups: ['agents'],
    });
    const expiresIn = new Date(body.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(290_000);
    expect(expiresIn).toBeLessThanOrEqual(300_000);
    const p = await auth.authenticate(body.token);
    expect(p).toMatchObject({
      subject: 'etl-bot',
      kind: 'agent',
      via: 'session-token',
      tokenId: body.tokenId,
    });
    expect(seen).toEqual([expect.objectContaining({ type: 'session-token.issued', tokenId: body.tokenId })]);
    expect(JSON.stringify(seen)).not.toContain(body.token);
  });

  test('the authenticator also accepts OIDC tokens and Authorization header values', async () => {
    const token = await idp.userToken('alice');
    await expect(auth.authenticate(token)).resolves.toMatchObject({
      subject: 'alice',
      kind: 'human',
      via: 'oidc',
    });
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ subject: 'alice' });
    await expect(auth.authenticate('not-a-token')).rejects.toBeInstanceOf(AuthenticationError);
  });

  test('a session token cannot be exchanged for another session token', async () => {
    const { token } = JSON.parse((await post('/v1/session-tokens', await idp.agentToken('etl-bot'))).text);
    const res = await post('/v1/session-tokens', token);
    expect(res.status).toBe(401);
    expectCleanProblem(res, 'ERR_TOKEN_ISSUER_UNKNOWN');
  });

  test('refusals are problem+json without internal text', async () => {
    const missing = await post('/v1/session-tokens');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expectCleanProblem(missing, 'ERR_CREDENTIAL_MISSING');

    const [h, p, s] = (await idp.agentToken('etl-bot')).split('.');
    const tampered = await post('/v1/session-tokens', `${h}.${p}x.${s}`);
    expect(tampered.status).toBe(401);
    expect(JSON.parse(tampered.text).code).toMatch(/^ERR_TOKEN_/);
    expectCleanProblem(tampered, JSON.parse(tampered.text).code);

    const tooLong = await post('/v1/session-tokens', await idp.agentToken('etl-bot'), { ttlSeconds: 7200 });
    expect(tooLong.status).toBe(400);
    expectCleanProblem(tooLong, 'ERR_TTL_INVALID');

    const notFound = await post('/v1/nope');
    expect(notFound.status).toBe(404);
    expectCleanProblem(notFound, 'ERR_NOT_FOUND');

    const wrongMethod = await fetch(`${admin.url}/v1/session-tokens`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');

    const boom = await fetch(`${admin.url}/v1/boom`);
    const boomText = await boom.text();
    expect(boom.status).toBe(500);
    expectCleanProblem({ headers: boom.headers, text: boomText }, 'ERR_INTERNAL');
    expect(internalErrors).toHaveLength(1);
  });

  test('revocation: admins only, and a revoked session token is refused', async () => {
    const issued = JSON.parse((await post('/v1/session-tokens', await idp.agentToken('etl-bot'))).text);
    const forbidden = await post('/v1/session-tokens/revoke', await idp.userToken('alice'), {
      jti: issued.tokenId,
    });
    expect(forbidden.status).toBe(403);
    expectCleanProblem(forbidden, 'ERR_FORBIDDEN');
    await expect(auth.authenticate(issued.token)).resolves.toBeDefined();

    const ok = await post('/v1/session-tokens/revoke', await idp.userToken('root'), { jti: issued.tokenId });
    expect(ok.status).toBe(200);
    const err = await auth.authenticate(issued.token).catch((e: AuthenticationError) => e);
    expect(err).toMatchObject({ code: 'ERR_TOKEN_REVOKED', reason: 'the token has been revoked' });

    const badBody = await post('/v1/session-tokens/revoke', await idp.userToken('root'), { id: 1 });
    expect(badBody.status).toBe(400);
    expectCleanProblem(badBody, 'ERR_BODY_INVALID');
  });

  test('plain HTTP is refused on a non-loopback host', async () => {
    await expect(
      startAdminServer({
        host: '0.0.0.0',
        oidc: { issuers: [], verify: jest.fn() },
        sessions,
        authenticator: auth,
      }),
    ).rejects.toMatchObject({ code: 'ERR_ADMIN_CONFIG' });
  });
});

describe('login', () => {
  test('agent: client credentials → OIDC token → session token', async () => {
    const started = Date.now();
    const result = await login({
      adminUrl: admin.url,
      clientCredentials: { issuer: idp.issuer, ...BOT, resource: AUDIENCE },
      ttlSeconds: 600,
    });
    const elapsedMs = Date.now() - started;
    expect(result.expiresAt.getTime()).toBeGreaterThan(Date.now() + 590_000);
    await expect(auth.authenticate(result.token)).resolves.toMatchObject({
      subject: 'etl-bot',
      kind: 'agent',
    });
    expect(elapsedMs).toBeLessThan(2000);
  });

  test('human: an OIDC token in hand', async () => {
    const result = await login({ adminUrl: admin.url, oidcToken: await idp.userToken('alice') });
    await expect(auth.authenticate(result.token)).resolves.toMatchObject({ subject: 'alice', kind: 'human' });
  });

  test('either/or options and refusals come back as AuthenticationError', async () => {
    await expect(login({ adminUrl: admin.url })).rejects.toMatchObject({ code: 'ERR_LOGIN_OPTIONS' });
    await expect(
      login({
        adminUrl: admin.url,
        oidcToken: 'x',
        clientCredentials: { issuer: idp.issuer, clientId: 'a', clientSecret: 'b' },
      }),
    ).rejects.toThrow(/not both/);
    await expect(login({ adminUrl: 'http://gateway.example.com', oidcToken: 'x' })).rejects.toThrow(/https/);
    await expect(login({ adminUrl: admin.url, oidcToken: 'x.y.z' })).rejects.toMatchObject({
      code: 'ERR_TOKEN_MALFORMED',
    });
    await expect(
      login({
        adminUrl: admin.url,
        clientCredentials: { issuer: idp.issuer, clientId: 'etl-bot', clientSecret: 'wrong' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_CLIENT_CREDENTIALS_FAILED' });
  });
});

describe('admin server over TLS', () => {
  let dir: string;
  let tlsAdmin: AdminServer;
  let cert: string;

  beforeAll(async () => {
    // A throwaway self-signed certificate for 127.0.0.1, generated for this test only.
    dir = await mkdtemp(join(tmpdir(), 'warden-admin-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = await readFile(join(dir, 'cert.pem'), 'utf8');
    const key = await readFile(join(dir, 'key.pem'), 'utf8');
    const oidc = await createOidcVerifier({ issuers: [{ issuer: idp.issuer, audiences: [AUDIENCE] }] });
    tlsAdmin = await startAdminServer({ oidc, sessions, authenticator: auth, tls: { key, cert } });
  });

  afterAll(async () => {
    await tlsAdmin?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('login trusts a private CA only when given it', async () => {
    expect(tlsAdmin.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const oidcToken = await idp.agentToken('etl-bot');
    await expect(login({ adminUrl: tlsAdmin.url, oidcToken })).rejects.toMatchObject({
      code: 'ERR_LOGIN_FAILED',
    });
    const result = await login({ adminUrl: tlsAdmin.url, oidcToken, ca: cert });
    await expect(auth.authenticate(result.token)).resolves.toMatchObject({ subject: 'etl-bot' });
  });
});
