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
import { type SandboxFhirApi, startSandboxFhirApi } from './fhir-api';
import { type SandboxKubernetesApi, startSandboxKubernetesApi } from './kubernetes/server';
import { type LocalIssuer, startLocalIssuer } from './local-issuer';
import { type SandboxDatabaseHandle, startSandboxDatabase } from './sandbox';
import { type OpenSshServer, sshdInstalled, startSandboxSshHost } from './ssh-host';

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
  /** The sandbox SSH host through the gateway; absent when OpenSSH's sshd is not installed. */
  readonly ssh?: { readonly host: string; readonly port: number; readonly connection: string };
  /** The sandbox FHIR-like API through the gateway. */
  readonly http?: { readonly url: string; readonly connection: string };
  /** The sandbox Kubernetes API through the gateway: a kubeconfig's server URL (warden kubeconfig). */
  readonly kubernetes?: { readonly url: string; readonly connection: string };
}

export interface DevStack {
  readonly description: DevStackDescription;
  readonly config: WardenConfig;
  readonly gateway: RunningGateway;
  readonly issuer: LocalIssuer;
  readonly database: SandboxDatabaseHandle;
  /** Stops the gateway (flushing the audit log), the issuer and the database. Idempotent. */
  close(): Promise<void>;
  /** When close() does not finish: kills the processes the sandbox started (Postgres, sshd) at once. */
  kill(): void;
}

/**
 * Everything `warden dev` starts around the gateway: embedded Postgres with the synthetic hospital,
 * a local OIDC issuer with an agent client, a human and an approver, the lab SSH host and the FHIR
 * API, the config template filled in with their addresses, and this run's keys as the environment
 * the config's `env:` references read. The gateway itself is the caller's to start: in this
 * process (`warden dev`) or as `warden gateway` in its own (the soak run).
 */
export interface SandboxParts {
  readonly config: WardenConfig;
  /** The secrets the config references, as environment variables (`env:WARDEN_DEV_…`). */
  readonly env: Readonly<Record<string, string>>;
  readonly stateDir: string;
  readonly issuer: LocalIssuer;
  readonly database: SandboxDatabaseHandle;
  readonly upstreams: SandboxUpstreams;
  /** Stops what was started, the last started first. Idempotent. */
  close(): Promise<void>;
  /** Has `fn` (stopping a gateway) run before everything else when closing. */
  closeFirst(fn: () => Promise<void>): void;
  /** When close() does not finish: kills the processes the sandbox started (Postgres, sshd) at once. */
  kill(): void;
}

export async function startSandboxParts(opts: DevStackOptions): Promise<SandboxParts> {
  const closers: (() => Promise<void>)[] = [];
  const close = once(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
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
    const upstreams = await startSandboxUpstreams(opts.seed, closers);

    await writeFile(join(stateDir, 'audit-public-key.pem'), keys.auditPublicPem);
    const env: Record<string, string> = {
      ...keys.env,
      WARDEN_DEV_PATIENTS_PASSWORD: database.seed.roles.patients.password,
      WARDEN_DEV_SCRATCH_PASSWORD: database.seed.roles.scratch.password,
      WARDEN_DEV_FHIR_TOKEN: upstreams.fhir.token,
      WARDEN_DEV_K8S_TOKEN: upstreams.kubernetes.token,
      WARDEN_DEV_K8S_CA: upstreams.kubernetes.ca,
      ...(upstreams.ssh ? { WARDEN_DEV_LAB_HOST_KEY: upstreams.ssh.clientPrivateKey } : {}),
    };
    const config = await sandboxConfig(
      opts.configFile ?? defaultTemplate(),
      stateDir,
      database,
      issuer.issuer,
      upstreams,
    );
    const kill = () => {
      for (const pid of [database.postgres.pid, upstreams.ssh?.pid]) {
        if (pid === undefined) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    return {
      config,
      env,
      stateDir,
      issuer,
      database,
      upstreams,
      close,
      closeFirst: (fn) => void closers.push(fn),
      kill,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The local sandbox: the parts above and the gateway running the example policy in this process.
 * Every key and certificate is generated for this run; nothing is read from the developer's
 * environment.
 */
export async function startDevStack(opts: DevStackOptions): Promise<DevStack> {
  const parts = await startSandboxParts(opts);
  try {
    const { config, issuer, database } = parts;
    const secrets = new SecretResolver([envProvider(parts.env), fileProvider()]);
    const gateway = await startGateway(config, { secrets });
    parts.closeFirst(() => gateway.close());
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
        connections: config.connections.filter((c) => c.kind === 'postgres').map((c) => c.name),
      },
      tokens: { agent, human, approver },
      adminUrl,
      oidcIssuer: issuer.issuer,
      upstream: { url: database.upstreamUrl('patients') },
      auditDir: config.audit.dir,
      recordingsDir: config.recording?.dir ?? '',
      ...(gateway.ssh && { ssh: { ...gateway.ssh, connection: connectionOf(config, 'ssh') } }),
      ...(gateway.http && {
        http: {
          url: `https://${gateway.http.host}:${gateway.http.port}/fhir/`,
          connection: connectionOf(config, 'http'),
        },
      }),
      ...(gateway.kubernetes && {
        kubernetes: {
          url: `https://${gateway.kubernetes.host}:${gateway.kubernetes.port}/${connectionOf(config, 'kubernetes')}`,
          connection: connectionOf(config, 'kubernetes'),
        },
      }),
    };
    return { description, config, gateway, issuer, database, close: parts.close, kill: parts.kill };
  } catch (err) {
    await parts.close();
    throw err;
  }
}

function defaultTemplate(): string {
  return join(__dirname, '..', '..', '..', 'examples', 'local', 'warden.json');
}

export interface SandboxUpstreams {
  readonly ssh: OpenSshServer | undefined;
  readonly fhir: SandboxFhirApi;
  readonly kubernetes: SandboxKubernetesApi;
}

/** The lab SSH host (real OpenSSH, when installed) and the FHIR-like API, reachable only through the gateway. */
async function startSandboxUpstreams(
  seed: number | undefined,
  closers: (() => Promise<void>)[],
): Promise<SandboxUpstreams> {
  const ssh = sshdInstalled() ? await startSandboxSshHost({ seed }) : undefined;
  if (ssh) closers.push(() => ssh.close());
  else {
    process.stderr.write(
      'warden dev: OpenSSH sshd not found or not root (apt-get install openssh-server); starting without the sandbox SSH host\n',
    );
  }
  const fhir = await startSandboxFhirApi({ seed });
  closers.push(() => fhir.close());
  const kubernetes = await startSandboxKubernetesApi({ seed });
  closers.push(() => kubernetes.close());
  return { ssh, fhir, kubernetes };
}

function connectionOf(config: WardenConfig, kind: 'ssh' | 'http' | 'kubernetes'): string {
  return config.connections.find((c) => c.kind === kind)?.name ?? '';
}

/** The parts of the config template the sandbox fills in; the rest passes through to validation. */
interface RawTemplate {
  identity: { issuers: { issuer: string }[] };
  connections: { kind: string; name: string; upstream: Record<string, unknown> }[];
  access?: { grants?: { connections: string[] }[] };
  listeners: Record<string, unknown>;
  audit: { dir: string };
  recording?: { dir: string };
}

/** The example config with this run's addresses, issuer and directories filled in, validated again. */
async function sandboxConfig(
  template: string,
  stateDir: string,
  database: SandboxDatabaseHandle,
  issuerUrl: string,
  upstreams: SandboxUpstreams,
): Promise<WardenConfig> {
  const raw = JSON.parse(await readFile(template, 'utf8')) as RawTemplate;
  for (const issuer of raw.identity.issuers) issuer.issuer = issuerUrl;
  const { ssh, fhir, kubernetes } = upstreams;
  for (const conn of raw.connections) {
    if (conn.kind === 'postgres') {
      conn.upstream.host = database.postgres.host;
      conn.upstream.port = database.postgres.port;
    } else if (conn.kind === 'ssh' && ssh) {
      Object.assign(conn.upstream, { host: ssh.host, port: ssh.port, user: ssh.user, hostKey: ssh.hostKey });
    } else if (conn.kind === 'http') {
      conn.upstream.url = fhir.url;
    } else if (conn.kind === 'kubernetes') {
      conn.upstream.url = kubernetes.url;
    }
  }
  if (!ssh) withoutSsh(raw);
  raw.audit.dir = join(stateDir, 'audit');
  if (raw.recording) raw.recording.dir = join(stateDir, 'recordings');
  return validateConfig(raw, template);
}

/** Without a sandbox SSH host the SSH connections, their grants and the SSH listener go. */
function withoutSsh(raw: RawTemplate): void {
  const gone = new Set(raw.connections.filter((c) => c.kind === 'ssh').map((c) => c.name));
  raw.connections = raw.connections.filter((c) => !gone.has(c.name));
  for (const grant of raw.access?.grants ?? [])
    grant.connections = grant.connections.filter((n: string) => !gone.has(n));
  if (raw.access?.grants) raw.access.grants = raw.access.grants.filter((g) => g.connections.length > 0);
  delete raw.listeners.ssh;
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
  // ssh2 reads SEC1 EC keys but not PKCS#8 Ed25519 ones.
  const sshHostKey = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  return {
    auditPublicPem: audit.publicKey,
    env: {
      WARDEN_DEV_AUDIT_KEY: audit.privateKey,
      WARDEN_DEV_SESSION_KEY: session.privateKey,
      WARDEN_DEV_TLS_CERT: tls.certificate,
      WARDEN_DEV_TLS_KEY: tls.key,
      WARDEN_DEV_TOKEN_KEY: randomBytes(32).toString('base64'),
      WARDEN_DEV_SSH_HOST_KEY: sshHostKey,
    },
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
