/**
 * A real OpenID Connect issuer on loopback, built on oidc-provider, for tests and `warden dev`.
 *
 * Tokens come out of real grants over HTTP: agents through client_credentials, users through an
 * authorization-code + PKCE flow that this module drives itself against the provider's development
 * login and consent pages. Access tokens are JWTs (RFC 9068) for one audience and carry a `groups`
 * claim, so the gateway verifies them exactly as it would verify a production IdP's tokens.
 *
 * Sandbox only: the development login page accepts any password for a configured user.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Configuration, JWKS, default as Provider } from 'oidc-provider';
import * as client from 'openid-client';
import { obtainClientCredentialsToken } from '../identity/client-credentials';

export interface LocalAgent {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly groups: readonly string[];
}

export interface LocalUser {
  readonly id: string;
  readonly groups: readonly string[];
  readonly name?: string;
}

export interface LocalIssuerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** The resource indicator and `aud` of every access token. */
  readonly audience: string;
  readonly agents?: readonly LocalAgent[];
  readonly users?: readonly LocalUser[];
  /** Access token lifetime. @default 600 */
  readonly accessTokenTtlSec?: number;
  /** Signing algorithm of access tokens. @default 'RS256' */
  readonly alg?: 'RS256' | 'ES256';
  /**
   * Redirect URIs of the reviewer console (`<admin url>/console/callback`), registered for the
   * public PKCE client `warden-console`. Loopback http URIs match on any port (RFC 8252 §7.3), so
   * a gateway on port 0 can sign in. @default none (no console client)
   */
  readonly consoleRedirectUris?: readonly string[];
}

export interface LocalIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The public signing keys the issuer currently publishes at its jwks_uri. */
  readonly jwks: { keys: JWK[] };
  /** The kid of the key that signs new tokens. */
  readonly currentKid: string;
  /** How many times the JWKS has been fetched, so tests can see key-set refetches. */
  readonly jwksRequests: number;
  agentToken(clientId: string): Promise<string>;
  userToken(userId: string): Promise<string>;
  /** Sign with a new key (new kid) from now on, publishing both the new and the previous key. */
  rotateKeys(): Promise<void>;
  close(): Promise<void>;
}

/** The public client this module uses to drive the authorization-code flow for users. */
const CLI_CLIENT_ID = 'warden-local-cli';
/** Never fetched: the flow stops at the redirect and reads the code from its Location header. */
const CLI_REDIRECT_URI = 'http://127.0.0.1/callback';
const WARDEN_SCOPE = 'warden';
/** The reviewer console's client id (the console's default). */
export const LOCAL_CONSOLE_CLIENT_ID = 'warden-console';

export async function startLocalIssuer(opts: LocalIssuerOptions): Promise<LocalIssuer> {
  const host = opts.host ?? '127.0.0.1';
  const alg = opts.alg ?? 'RS256';
  const ttl = opts.accessTokenTtlSec ?? 600;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) {
    throw new RangeError(`accessTokenTtlSec must be an integer in 1..86400, got ${ttl}`);
  }
  if (!URL.canParse(opts.audience))
    throw new TypeError('audience must be an absolute URI (an RFC 8707 resource)');
  const agents = new Map((opts.agents ?? []).map((a) => [a.clientId, a]));
  const users = new Map((opts.users ?? []).map((u) => [u.id, u]));
  if (agents.has(CLI_CLIENT_ID)) throw new TypeError(`client id ${CLI_CLIENT_ID} is reserved`);

  const oidcProvider = await quietly(() => import('oidc-provider'));

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let jwksRequests = 0;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/jwks')) jwksRequests++;
    if (handler) return handler(req, res);
    res.statusCode = 503;
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  // Newest key first: oidc-provider publishes every key and we pin the signing kid explicitly.
  const privateKeys: JWK[] = [await newSigningKey(alg)];
  const cookieKeys = [randomBytes(32).toString('base64url')];

  const configuration = (): Configuration => ({
    clients: [
      ...[...agents.values()].map((a) => ({
        client_id: a.clientId,
        client_secret: a.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      })),
      {
        client_id: CLI_CLIENT_ID,
        application_type: 'native' as const,
        token_endpoint_auth_method: 'none' as const,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [CLI_REDIRECT_URI],
      },
      ...consoleClient(opts.consoleRedirectUris),
    ],
    clientDefaults: { id_token_signed_response_alg: alg },
    jwks: { keys: privateKeys.map((k) => ({ ...k })) as JWKS['keys'] },
    cookies: { keys: cookieKeys },
    scopes: ['openid', WARDEN_SCOPE],
    claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
    async findAccount(_ctx, id) {
      const user = users.get(id);
      if (!user) return undefined;
      return { accountId: id, claims: () => ({ sub: id, name: user.name, groups: [...user.groups] }) };
    },
    async extraTokenClaims(_ctx, token) {
      const accountId = 'accountId' in token ? token.accountId : undefined;
      const groups = accountId ? users.get(accountId)?.groups : agents.get(token.clientId ?? '')?.groups;
      return { groups: [...(groups ?? [])] };
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => opts.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== opts.audience) throw new oidcProvider.errors.InvalidTarget();
          return {
            scope: WARDEN_SCOPE,
            audience: opts.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ttl,
            jwt: { sign: { alg, kid: privateKeys[0].kid } },
          };
        },
      },
    },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      IdToken: ttl,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });

  const install = async (): Promise<void> => {
    const provider: Provider = await quietly(async () => new oidcProvider.default(issuer, configuration()));
    handler = provider.callback();
  };
  await install();

  const discovered = (): Promise<client.Configuration> =>
    client.discovery(new URL(issuer), CLI_CLIENT_ID, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });

  const self: LocalIssuer = {
    issuer,
    audience: opts.audience,
    get jwks() {
      return { keys: privateKeys.map(publicPart) };
    },
    get currentKid() {
      return privateKeys[0].kid as string;
    },
    get jwksRequests() {
      return jwksRequests;
    },
    async agentToken(clientId) {
      const agent = agents.get(clientId);
      if (!agent) throw new Error(`unknown local agent ${clientId}`);
      const t = await obtainClientCredentialsToken({
        issuer,
        clientId,
        clientSecret: agent.clientSecret,
        resource: opts.audience,
      });
      return t.accessToken;
    },
    async userToken(userId) {
      if (!users.has(userId)) throw new Error(`unknown local user ${userId}`);
      return authorizationCodeFlow(await discovered(), issuer, userId, opts.audience);
    },
    async rotateKeys() {
      privateKeys.unshift(await newSigningKey(alg));
      await install();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return self;
}

function consoleClient(uris: readonly string[] | undefined): Configuration['clients'] & object {
  if (!uris?.length) return [];
  const loopback = uris.every((u) => /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(u));
  return [
    {
      client_id: LOCAL_CONSOLE_CLIENT_ID,
      // "native" is what lets oidc-provider ignore the port of a loopback redirect URI.
      application_type: loopback ? 'native' : 'web',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [...uris],
    },
  ];
}

async function newSigningKey(alg: 'RS256' | 'ES256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg, use: 'sig' };
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

/**
 * Signs a configured user in through the provider's development interaction pages, exactly as a
 * browser would: authorize → login form → consent → code → token exchange with the PKCE verifier.
 */
async function authorizationCodeFlow(
  config: client.Configuration,
  issuer: string,
  userId: string,
  audience: string,
): Promise<string> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: CLI_REDIRECT_URI,
    scope: `openid ${WARDEN_SCOPE}`,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    resource: audience,
    state,
  });
  const jar = new Map<string, string>();
  let location = await step(jar, authUrl.href);
  for (let i = 0; i < 8 && !location.startsWith(CLI_REDIRECT_URI); i++) {
    if (/\/interaction\/[^/]+$/.test(new URL(location, issuer).pathname)) {
      const page = new URL(location, issuer);
      const html = await (await fetch(page, { headers: { cookie: cookieHeader(jar) } })).text();
      const prompt = html.includes('name="prompt" value="login"') ? 'login' : 'consent';
      const body = new URLSearchParams({ prompt, login: userId, password: 'sandbox' });
      location = await step(jar, page.href, body);
    } else {
      location = await step(jar, new URL(location, issuer).href);
    }
  }
  if (!location.startsWith(CLI_REDIRECT_URI)) throw new Error('authorization flow did not complete');
  const tokens = await client.authorizationCodeGrant(
    config,
    new URL(location),
    { pkceCodeVerifier: verifier, expectedState: state },
    { resource: audience },
  );
  return tokens.access_token;
}

/** One request of the browser flow: sends and stores cookies, returns where it redirects to. */
async function step(jar: Map<string, string>, url: string, form?: URLSearchParams): Promise<string> {
  const res = await fetch(url, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: { cookie: cookieHeader(jar) },
    ...(form ? { body: form } : {}),
  });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
  const location = res.headers.get('location');
  if (res.status < 300 || res.status >= 400 || !location) {
    throw new Error(`authorization flow stopped at ${new URL(url).pathname} with HTTP ${res.status}`);
  }
  return location;
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

/**
 * oidc-provider prints development notices (runtime version, in-memory adapter, dev interactions)
 * while loading and constructing. They are expected in a sandbox, so they are dropped here; every
 * other console output passes through.
 */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const { warn, info } = console;
  const filter =
    (orig: (...a: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider ')) return;
      orig.apply(console, args);
    };
  console.warn = filter(warn);
  console.info = filter(info);
  try {
    return await fn();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}
