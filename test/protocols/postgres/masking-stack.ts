/**
 * The real gateway (startGateway, the real hooks) in front of a copy of the seeded hospital, run
 * with the example policy and masking profiles from examples/local/warden.json, and a real OIDC
 * issuer with an agent, a clinician and a break-glass user. Tokens are OIDC access tokens, sent
 * as the Postgres password.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { validateConfig } from '../../../gateway-image/src/config/load';
import { type RunningGateway, startGateway } from '../../../gateway-image/src/gateway/start';
import { createLogger } from '../../../gateway-image/src/logging/logger';
import { type LocalIssuer, startLocalIssuer } from '../../../gateway-image/src/sandbox/local-issuer';
import { envProvider, fileProvider } from '../../../gateway-image/src/secrets/local-providers';
import { SecretResolver } from '../../../gateway-image/src/secrets/resolver';
import { generateSelfSigned } from '../../../gateway-image/src/tls/self-signed';
import { EXAMPLE_CONFIG, examplePostgresConfig } from '../../support/example-config';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const AUDIENCE = 'urn:warden:masking-test';

export interface MaskingStack {
  readonly db: TestDatabase;
  /** Where the gateway writes its audit log (JSON Lines segments). */
  readonly auditDir: string;
  readonly gateway: RunningGateway;
  readonly issuer: LocalIssuer;
  readonly tokenKey: string;
  /** A superuser connection straight to the upstream database. */
  direct(): Promise<Client>;
  /** A pg client through the gateway as `who`, on connection `patients`. */
  client(who: 'agent' | 'clinician' | 'breakglass', extra?: Partial<ClientConfig>): Promise<Client>;
  close(): Promise<void>;
}

export interface MaskingStackOptions {
  /**
   * The upstream login of the patients connection: the least-privilege test role (default), or
   * explicit credentials (a superuser, a role with predefined server roles) for the role check.
   */
  readonly upstreamRole?: { readonly user: string; readonly password: string };
  /** connections[].acceptPrivilegedRole.reason of the patients connection. @default none */
  readonly acceptPrivilegedRole?: string;
  /** connections[].roles of the patients connection (passwords as env: references). @default none */
  readonly roles?: readonly Record<string, unknown>[];
  /** More environment the gateway's secret references read. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startMaskingStack(
  name: string,
  setupSql = '',
  options: MaskingStackOptions = {},
): Promise<MaskingStack> {
  const db = await createTestDatabase(name, { hospital: true });
  const direct = async () => {
    const c = new Client(db.connection);
    await c.connect();
    return c;
  };
  if (setupSql) {
    const c = await direct();
    await c.query(setupSql);
    await c.end();
  }
  const role = options.upstreamRole ?? (await db.gatewayRole());
  const issuer = await startLocalIssuer({
    audience: AUDIENCE,
    agents: [{ clientId: 'agent', clientSecret: 'agent-secret', groups: ['agents'] }],
    users: [
      { id: 'dana', groups: ['clinicians'] },
      { id: 'gus', groups: ['clinicians', 'break-glass'] },
    ],
  });
  const dir = await mkdtemp(join(tmpdir(), 'warden-mask-'));
  const pem = () =>
    generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
      .privateKey as unknown as string;
  const tls = await generateSelfSigned({ commonName: 'localhost' });
  const tokenKey = randomBytes(32).toString('base64');
  const env = {
    WARDEN_DEV_AUDIT_KEY: pem(),
    WARDEN_DEV_SESSION_KEY: pem(),
    WARDEN_DEV_TLS_CERT: tls.certificate,
    WARDEN_DEV_TLS_KEY: tls.key,
    WARDEN_DEV_TOKEN_KEY: tokenKey,
    WARDEN_DEV_PATIENTS_PASSWORD: role.password,
    WARDEN_DEV_SCRATCH_PASSWORD: role.password,
    ...options.env,
  };
  const raw = await examplePostgresConfig();
  raw.identity.issuers[0].issuer = issuer.issuer;
  raw.identity.issuers[0].audiences = [AUDIENCE];
  for (const conn of raw.connections) {
    conn.upstream.host = db.connection.host;
    conn.upstream.port = db.connection.port;
    conn.upstream.user = role.user;
    conn.upstream.database = db.name;
    if (options.acceptPrivilegedRole) conn.acceptPrivilegedRole = { reason: options.acceptPrivilegedRole };
    if (options.roles && conn.name === 'patients') conn.roles = options.roles;
  }
  raw.workers = 1;
  // Held statements (PHI predicates by agents) are refused quickly: nobody approves in these tests.
  raw.approvals.timeoutMs = 1000;
  raw.audit.dir = join(dir, 'audit');
  delete raw.recording;
  const config = validateConfig(raw, EXAMPLE_CONFIG);
  const gateway = await startGateway(config, {
    secrets: new SecretResolver([envProvider(env), fileProvider()]),
    logger: createLogger({ WARDEN_LOG_LEVEL: 'warn' }),
  });
  const tokens = {
    agent: () => issuer.agentToken('agent'),
    clinician: () => issuer.userToken('dana'),
    breakglass: () => issuer.userToken('gus'),
  };
  return {
    db,
    auditDir: raw.audit.dir,
    gateway,
    issuer,
    tokenKey,
    direct,
    async client(who, extra = {}) {
      const c = new Client({
        host: gateway.postgres!.host,
        port: gateway.postgres!.port,
        user: who,
        database: 'patients',
        password: await tokens[who](),
        ssl: { ca: tls.certificate, servername: 'localhost' },
        ...extra,
      });
      await c.connect();
      return c;
    },
    async close() {
      await gateway.close();
      await issuer.close();
      await db.drop();
    },
  };
}
