import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { validateConfig } from '../config/load';
import type { WardenConfig } from '../config/schema';
import { type RunningGateway, startGateway } from '../gateway/start';
import { login } from '../identity/login';
import { envProvider, fileProvider } from '../secrets/local-providers';
import { SecretResolver } from '../secrets/resolver';
import { generateSelfSigned } from '../tls/self-signed';
import { type LocalIssuer, startLocalIssuer } from './local-issuer';
import { type SandboxDatabaseHandle, startSandboxDatabase } from './sandbox';

export const SANDBOX_AUDIENCE = 'urn:warden:sandbox';
export const SANDBOX_AGENT = { clientId: 'sandbox-agent', groups: ['agents'] } as const;
export const SANDBOX_HUMAN = { id: 'dana.clinician', groups: ['clinicians'] } as const;
export const SANDBOX_APPROVER = { id: 'avery.approver', groups: ['approvers'] } as const;
/** Sandbox tokens last as long as session tokens may: one hour. */
const TOKEN_TTL_SEC = 3600;

export interface DevStackOptions {
  /** The config template: policy, grants, masking, connections. @default examples/local/warden.json */
  readonly configFile?: string;
  /** Where this run keeps its audit log, recordings and public keys. */
  readonly stateDir: string;
  /** @default 10000 */
  readonly patients?: number;
  /** @default 1 */
  readonly seed?: number;
}

/** What `warden dev` prints: the contract of its one JSON line. */
export interface DevStackDescription {
  readonly postgres: {
    readonly host: string;
    readonly port: number;
    readonly connections: readonly string[];
  };
  readonly tokens: { readonly agent: string; readonly human: string; readonly approver: string };
  readonly adminUrl: string;
  readonly oidcIssuer: string;
  readonly upstream: { readonly url: string };
  readonly auditDir: string;
  readonly recordingsDir: string;
}

export interface DevStack {
  readonly description: DevStackDescription;
  readonly config: WardenConfig;
  readonly gateway: RunningGateway;
  readonly issuer: LocalIssuer;
  readonly database: SandboxDatabaseHandle;
  /** Stops the gateway (flushing the audit log), the issuer and the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * The local sandbox: embedded Postgres with the synthetic hospital, a local OIDC issuer with an
 * agent client, a human and an approver, and the gateway running the example policy. Every key
 * and certificate is generated for this run; nothing is read from the developer's environment.
 */
export async function startDevStack(opts: DevStackOptions): Promise<DevStack> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = once(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  });
  try {
    const stateDir = resolve(opts.stateDir);
    await mkdir(stateDir, { recursive: true });
    const [database, keys] = await Promise.all([
      startSandboxDatabase({ patients: opts.patients, seed: opts.seed }),
      generateRunSecrets(),
    ]);
    closers.push(() => database.postgres.stop());
    const agentSecret = randomBytes(24).toString('base64url');
    const issuer = await startLocalIssuer({
      audience: SANDBOX_AUDIENCE,
      accessTokenTtlSec: TOKEN_TTL_SEC,
      agents: [{ ...SANDBOX_AGENT, clientSecret: agentSecret }],
      users: [SANDBOX_HUMAN, SANDBOX_APPROVER],
      consoleRedirectUris: ['http://127.0.0.1/console/callback'],
    });
    closers.push(() => issuer.close());

    await writeFile(join(stateDir, 'audit-public-key.pem'), keys.auditPublicPem);
    const env = { ...keys.env, WARDEN_DEV_UPSTREAM_PASSWORD: database.postgres.password };
    const config = await sandboxConfig(
      opts.configFile ?? defaultTemplate(),
      stateDir,
      database,
      issuer.issuer,
    );
    const secrets = new SecretResolver([envProvider(env), fileProvider()]);
    const gateway = await startGateway(config, { secrets });
    closers.push(() => gateway.close());
    const adminUrl = gateway.adminUrl;
    if (!adminUrl) throw new Error('the sandbox gateway serves no admin API');

    const sessionToken = async (oidcToken: Promise<string>) =>
      (await login({ adminUrl, oidcToken: await oidcToken, ttlSeconds: TOKEN_TTL_SEC })).token;
    const [agent, human, approver] = await Promise.all([
      sessionToken(issuer.agentToken(SANDBOX_AGENT.clientId)),
      sessionToken(issuer.userToken(SANDBOX_HUMAN.id)),
      sessionToken(issuer.userToken(SANDBOX_APPROVER.id)),
    ]);
    const pg = gateway.postgres;
    const description: DevStackDescription = {
      postgres: {
        host: pg?.host ?? '',
        port: pg?.port ?? 0,
        connections: config.connections.map((c) => c.name),
      },
      tokens: { agent, human, approver },
      adminUrl,
      oidcIssuer: issuer.issuer,
      upstream: { url: database.upstreamUrl('patients') },
      auditDir: config.audit.dir,
      recordingsDir: config.recording?.dir ?? '',
    };
    return { description, config, gateway, issuer, database, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function defaultTemplate(): string {
  return join(__dirname, '..', '..', '..', 'examples', 'local', 'warden.json');
}

/** The example config with this run's addresses, issuer and directories filled in, validated again. */
async function sandboxConfig(
  template: string,
  stateDir: string,
  database: SandboxDatabaseHandle,
  issuerUrl: string,
): Promise<WardenConfig> {
  const raw = JSON.parse(await readFile(template, 'utf8')) as Record<string, any>;
  for (const issuer of raw.identity.issuers) issuer.issuer = issuerUrl;
  for (const conn of raw.connections) {
    if (conn.kind !== 'postgres') continue;
    conn.upstream.host = database.postgres.host;
    conn.upstream.port = database.postgres.port;
    conn.upstream.user = database.postgres.user;
  }
  raw.audit.dir = join(stateDir, 'audit');
  if (raw.recording) raw.recording.dir = join(stateDir, 'recordings');
  return validateConfig(raw, template);
}

interface RunSecrets {
  readonly env: Record<string, string>;
  readonly auditPublicPem: string;
}

async function generateRunSecrets(): Promise<RunSecrets> {
  const pem = () =>
    generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
  const audit = pem();
  const session = pem();
  const tls = await generateSelfSigned({ commonName: 'warden-dev' });
  return {
    auditPublicPem: audit.publicKey,
    env: {
      WARDEN_DEV_AUDIT_KEY: audit.privateKey,
      WARDEN_DEV_SESSION_KEY: session.privateKey,
      WARDEN_DEV_TLS_CERT: tls.certificate,
      WARDEN_DEV_TLS_KEY: tls.key,
      WARDEN_DEV_TOKEN_KEY: randomBytes(32).toString('base64'),
    },
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
