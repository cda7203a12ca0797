/**
 * The admin API and the reviewer console against requests a browser on another site, a caller
 * without the right role, or a client sending too much could make. `warden gateway` spawned with
 * approvals, just-in-time access and the console; a real OIDC issuer; the console signed in the
 * way a browser does it (authorization code with PKCE, cookies), then replayed by hand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { type FaultGateway, gatewayClient, startFaultGateway, until } from '../faults/support';
import { APPROVE_DELETES_POLICY, DBA_APPROVE_DELETES, postgresConnection } from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const AUDIENCE = 'urn:warden:admin-security';
jest.setTimeout(60_000);

let dir: string;
let db: TestDatabase;
let issuer: LocalIssuer;
let gateway: FaultGateway;
const tokens: Record<'agent' | 'approver' | 'admin' | 'outsider', string> = {
  agent: '',
  approver: '',
  admin: '',
  outsider: '',
};
/** A pending approval the agent's held DELETE created, and the session holding it. */
let approvalId: string;
let heldClient: Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-admin-security-'));
  [db, issuer] = await Promise.all([
    createTestDatabase('admin_security'),
    startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
      users: [
        { id: 'vera.reviewer', groups: ['dba'] },
        { id: 'ada.admin', groups: ['warden-admins'] },
        { id: 'olga.outsider', groups: ['marketing'] },
      ],
      consoleRedirectUris: ['http://127.0.0.1/console/callback'],
    }),
  ]);
  const setup = new Client(db.connection);
  await setup.connect();
  await setup.query('CREATE TABLE items(id int primary key); INSERT INTO items VALUES (1), (2)');
  await setup.end();
  gateway = await startFaultGateway(
    dir,
    (f) => ({
      version: 1,
      workers: 1,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: f.tls },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        sessionTokens: { signingKey: f.ref('session.key'), adminGroups: ['warden-admins'] },
      },
      connections: [postgresConnection('app', db, 'SECURITY_PG_PASSWORD')],
      access: {
        grants: [{ name: 'agents', connections: ['app'], principals: { groups: ['agents'] } }],
        justInTime: { approverGroups: ['dba'] },
      },
      policy: APPROVE_DELETES_POLICY,
      approvals: { rules: [DBA_APPROVE_DELETES] },
      audit: { dir: join(dir, 'audit'), signingKey: f.ref('audit.key') },
    }),
    { SECURITY_PG_PASSWORD: db.connection.password },
  );
  [tokens.agent, tokens.approver, tokens.admin, tokens.outsider] = await Promise.all([
    issuer.agentToken('bot'),
    issuer.userToken('vera.reviewer'),
    issuer.userToken('ada.admin'),
    issuer.userToken('olga.outsider'),
  ]);
  heldClient = await gatewayClient(gateway.ready, 'app', tokens.agent);
  heldClient.on('error', () => undefined);
  void heldClient.query('DELETE FROM items WHERE id = 1').catch(() => undefined);
  approvalId = await until(
    async () => {
      const res = await api('GET', '/v1/approvals?status=pending', { token: tokens.approver });
      const list = (await res.json()) as { approvals: { id: string }[] };
      return list.approvals[0]?.id;
    },
    10_000,
    'the held DELETE',
  );
}, 90_000);

afterAll(async () => {
  await heldClient?.end().catch(() => undefined);
  await gateway?.stop();
  await Promise.all([issuer?.close(), db?.drop()]);
  await rm(dir, { recursive: true, force: true });
});

interface Call {
  readonly token?: string;
  readonly cookie?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly contentType?: string;
}

function api(method: string, path: string, call: Call = {}): Promise<Response> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.cookie) headers.cookie = call.cookie;
  if (call.body !== undefined) headers['content-type'] = call.contentType ?? 'application/json';
  return fetch(`${gateway.ready.admin}${path}`, {
    method,
    headers,
    redirect: 'manual',
    ...(call.body === undefined ? {} : { body: call.body }),
  });
}

/** Every state-changing route with a body it would accept. */
const WRITES = (): [string, string, string][] => [
  ['POST', `/v1/approvals/${approvalId}/decision`, '{"verdict":"approve","justification":"x"}'],
  ['POST', '/v1/access-requests', '{"connection":"app","durationMs":60000,"reason":"x"}'],
  ['POST', '/v1/grants/none/revoke', '{"reason":"x"}'],
  ['POST', '/v1/sessions/none/terminate', '{"reason":"x"}'],
  ['POST', '/v1/session-tokens/revoke', '{"jti":"x"}'],
  ['POST', '/v1/session-tokens', '{"ttlSeconds":60}'],
  ['POST', '/console/logout', '{}'],
];

describe('cross-site requests', () => {
  let signedIn: { cookie: string; csrf: string; setCookie: string };
  beforeAll(async () => {
    signedIn = await consoleSignIn('vera.reviewer');
  });

  it('gives the console a session cookie no other site can send or read, and pages no other site can frame', async () => {
    const page = await api('GET', '/console');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(signedIn.cookie).toMatch(/^warden_console=/);
    expect(signedIn.setCookie).toMatch(/HttpOnly/);
    expect(signedIn.setCookie).toMatch(/SameSite=Strict/);
  });

  it('refuses every state change carried by the console cookie alone, as a form or script on another site would send it', async () => {
    for (const [method, path, body] of WRITES()) {
      // A cross-site form: the cookie (were it sent), no CSRF header, a form content type.
      const form = await api(method, path, {
        cookie: signedIn.cookie,
        body: 'verdict=approve',
        contentType: 'application/x-www-form-urlencoded',
        headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      });
      expect([401, 403, 415]).toContain(form.status);
      // A script on another site that somehow holds the CSRF token still comes from another origin.
      const script = await api(method, path, {
        cookie: signedIn.cookie,
        body,
        headers: {
          origin: 'https://evil.example',
          'sec-fetch-site': 'cross-site',
          'x-warden-csrf': signedIn.csrf,
        },
      });
      expect({ path, status: script.status }).toEqual({ path, status: 403 });
      expect(await script.json()).toMatchObject({ code: 'ERR_CROSS_SITE' });
    }
    // Nothing was decided.
    const still = await api('GET', `/v1/approvals/${approvalId}`, { token: tokens.approver });
    expect(((await still.json()) as { status: string }).status).toBe('pending');
  });

  it('answers no cross-origin read: no CORS headers, preflights refused', async () => {
    const read = await api('GET', '/v1/approvals', {
      cookie: signedIn.cookie,
      headers: { origin: 'https://evil.example' },
    });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await api('OPTIONS', `/v1/approvals/${approvalId}/decision`, {
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-warden-csrf',
      },
    });
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('still serves the console itself: same-origin state changes with the CSRF token pass', async () => {
    const same = await api('POST', '/v1/access-requests', {
      cookie: signedIn.cookie,
      body: '{"connection":"app","durationMs":60000,"reason":"testing"}',
      headers: {
        origin: gateway.ready.admin,
        'sec-fetch-site': 'same-origin',
        'x-warden-csrf': signedIn.csrf,
      },
    });
    expect(same.status).toBe(201);
  });
});

describe('missing or wrong roles', () => {
  it('refuses every route without a credential (401) or with a bad one', async () => {
    for (const [method, path, body] of WRITES()) {
      if (path === '/console/logout') continue;
      const none = await api(method, path, { body });
      expect({ path, status: none.status }).toEqual({ path, status: 401 });
      const forged = await api(method, path, { body, token: `${tokens.approver.slice(0, -4)}AAAA` });
      expect({ path, status: forged.status }).toEqual({ path, status: 401 });
    }
    for (const path of ['/v1/approvals', `/v1/approvals/${approvalId}`, '/v1/grants', '/v1/sessions']) {
      expect((await api('GET', path)).status).toBe(401);
    }
  });

  it('lets each role do only its own part', async () => {
    const decide = (token: string) =>
      api('POST', `/v1/approvals/${approvalId}/decision`, {
        token,
        body: '{"verdict":"approve","justification":"mine"}',
      });
    // The requester never decides its own request, nor does anyone outside the approver groups,
    // who cannot even read it.
    expect((await decide(tokens.agent)).status).toBe(403);
    expect((await decide(tokens.outsider)).status).toBe(403);
    expect((await api('GET', `/v1/approvals/${approvalId}`, { token: tokens.outsider })).status).toBe(404);
    // Sessions: reviewers may list, only administrators terminate; nobody else sees them.
    expect((await api('GET', '/v1/sessions', { token: tokens.agent })).status).toBe(403);
    expect((await api('GET', '/v1/sessions', { token: tokens.outsider })).status).toBe(403);
    expect((await api('GET', '/v1/sessions', { token: tokens.approver })).status).toBe(200);
    const terminate = (token: string) =>
      api('POST', '/v1/sessions/none/terminate', { token, body: '{"reason":"x"}' });
    expect((await terminate(tokens.approver)).status).toBe(403);
    expect((await terminate(tokens.agent)).status).toBe(403);
    expect((await terminate(tokens.admin)).status).toBe(404);
    // Revoking session tokens is for administrators.
    const revoke = (token: string) =>
      api('POST', '/v1/session-tokens/revoke', { token, body: '{"jti":"x"}' });
    expect((await revoke(tokens.approver)).status).toBe(403);
    expect((await revoke(tokens.agent)).status).toBe(403);
    expect((await revoke(tokens.admin)).status).toBe(200);
    // And the approver decides.
    expect((await decide(tokens.approver)).status).toBe(200);
  });
});

describe('oversized bodies', () => {
  it('are refused with 413 on every route that takes one, declared or streamed, before anything else is done', async () => {
    const big = Buffer.alloc(64 * 1024, 0x20);
    for (const [method, path] of WRITES()) {
      const takesBody = path !== '/console/logout';
      const declared = await api(method, path, { token: tokens.admin, body: big });
      expect({ path, status: declared.status }).toEqual({ path, status: 413 });
      expect(await declared.json()).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
      // Without a length up front (chunked): cut off once it passes the limit. (A route that
      // takes no body never reads one; Node discards it as it comes, within the request timeout.)
      if (!takesBody) continue;
      const streamed = await fetch(`${gateway.ready.admin}${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < 8; i++) c.enqueue(new Uint8Array(16 * 1024).fill(0x20));
            c.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect({ path, status: streamed.status }).toEqual({ path, status: 413 });
    }
    // The gateway still answers.
    expect((await api('GET', '/healthz')).status).toBe(200);
  });
});

/**
 * Signs in to the console as a browser does: /console/login, the issuer's login page, the
 * callback with the code; returns the session cookie, its Set-Cookie line and the CSRF token.
 */
async function consoleSignIn(user: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const jar = new Map<string, string>();
  const store = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
  };
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const get = async (url: string, form?: URLSearchParams) => {
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: cookieHeader() },
      ...(form ? { body: form } : {}),
    });
    store(res);
    return res;
  };
  let res = await get(`${gateway.ready.admin}/console/login`);
  for (let i = 0; i < 10; i++) {
    const location = res.headers.get('location');
    if (!location) break;
    const url = new URL(location, res.url);
    if (url.pathname === '/console/callback') {
      const callback = await get(`${gateway.ready.admin}/console/callback${url.search}`);
      const setCookie = callback.headers.getSetCookie().find((c) => c.startsWith('warden_console=')) ?? '';
      const cookie = `warden_console=${jar.get('warden_console')}`;
      const session = await fetch(`${gateway.ready.admin}/console/session`, { headers: { cookie } });
      const { csrf } = (await session.json()) as { csrf: string };
      return { cookie, csrf, setCookie };
    }
    if (/\/interaction\/[^/]+$/.test(url.pathname)) {
      const html = await (await get(url.href)).text();
      const prompt = html.includes('name="prompt" value="login"') ? 'login' : 'consent';
      res = await get(url.href, new URLSearchParams({ prompt, login: user, password: 'sandbox' }));
    } else {
      res = await get(url.href);
    }
  }
  throw new Error('console sign-in did not complete');
}
