/**
 * What every gateway test stack sets up around a real gateway: the gateway's own key material
 * (Ed25519 audit and session keys, a self-signed TLS certificate) written as files the config
 * references, the config file itself, and `warden gateway --config FILE` spawned and awaited
 * until it logs "gateway ready". Keys are generated per run; nothing is shared between tests.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateSelfSigned } from '../../gateway-image/src/tls/self-signed';

/** The `warden` CLI from the source tree. */
export const WARDEN_BIN = join(__dirname, '..', '..', 'gateway-image', 'bin', 'warden.js');

/** A fresh Ed25519 key pair, PKCS#8 / SPKI PEM. */
export function ed25519Pem(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

export interface GatewayFilesOptions {
  /** Common name of the self-signed TLS certificate. */
  readonly commonName: string;
  /** Subject alternative names, e.g. ["IP:127.0.0.1"]. @default - none */
  readonly altNames?: string[];
  /** More files to write beside the keys (upstream credentials, a masking token key). @default - none */
  readonly extra?: Record<string, string>;
}

export interface GatewayFiles {
  /** `file:<dir>/<name>`: a secret reference to one of the files written. */
  readonly ref: (name: string) => string;
  /** The PEM TLS pair as a listener's `tls` block. */
  readonly tls: { readonly certificate: string; readonly key: string };
  /** Path of `audit.pub`, the audit signing key's public half. */
  readonly auditPublicKey: string;
}

/**
 * Writes audit.key, audit.pub, session.key, tls.crt, tls.key (and `extra`) into `dir`; the config
 * refers to them with `ref(name)`.
 */
export async function writeGatewayFiles(dir: string, o: GatewayFilesOptions): Promise<GatewayFiles> {
  const audit = ed25519Pem();
  const tls = await generateSelfSigned({
    commonName: o.commonName,
    ...(o.altNames ? { altNames: o.altNames } : {}),
  });
  const files: Record<string, string> = {
    'audit.key': audit.privateKey,
    'audit.pub': audit.publicKey,
    'session.key': ed25519Pem().privateKey,
    'tls.crt': tls.certificate,
    'tls.key': tls.key,
    ...o.extra,
  };
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  const ref = (name: string) => `file:${join(dir, name)}`;
  return {
    ref,
    tls: { certificate: ref('tls.crt'), key: ref('tls.key') },
    auditPublicKey: join(dir, 'audit.pub'),
  };
}

/** Writes `config` as JSON to `<dir>/<name>` and returns the path. */
export async function writeGatewayConfig(dir: string, name: string, config: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(config));
  return file;
}

export interface SpawnedGateway<Ready> {
  readonly child: ChildProcessWithoutNullStreams;
  /** The parsed "gateway ready" log line; rejects if the process exits first. */
  readonly ready: Promise<Ready>;
}

/**
 * Spawns `warden gateway --config <configFile>` and resolves `ready` with the JSON log line that
 * says "gateway ready" (listener addresses). `label` names the process in the exit error.
 */
export function spawnGateway<Ready>(
  configFile: string,
  env: Record<string, string>,
  label = 'gateway',
  /** Run as this user and group (as the image does: not root); the test must run as root. @default this process's */
  user?: { readonly uid: number; readonly gid: number },
): SpawnedGateway<Ready> {
  const child = spawn(process.execPath, [WARDEN_BIN, 'gateway', '--config', configFile], {
    env: { ...process.env, ...env },
    ...user,
  });
  const ready = new Promise<Ready>((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`${label} exited ${code}: ${output}`)));
    createInterface({ input: child.stderr }).on('line', (line) => {
      output += `${line}\n`;
      if (line.includes('"gateway ready"')) resolve(JSON.parse(line));
    });
  });
  return { child, ready };
}

/** A `kind: postgres` connection to a test database, its password read from `passwordEnv`. */
export function postgresConnection(
  name: string,
  db: { readonly name: string; readonly connection: { host: string; port: number; user: string } },
  passwordEnv: string,
) {
  return {
    name,
    kind: 'postgres',
    upstream: {
      host: db.connection.host,
      port: db.connection.port,
      database: db.name,
      user: db.connection.user,
      password: `env:${passwordEnv}`,
      tls: { mode: 'disable' },
    },
  } as const;
}

/** A `kind: ssh`, `phi: true` connection to a sandbox sshd; `privateKey` is a secret reference. */
export function sshConnection(
  name: string,
  host: { readonly host: string; readonly port: number; readonly user: string; readonly hostKey: string },
  privateKey: string,
) {
  return {
    name,
    kind: 'ssh',
    phi: true,
    upstream: { host: host.host, port: host.port, user: host.user, privateKey, hostKey: host.hostKey },
  } as const;
}

/** Policy rules that hold every DELETE for approval and allow the rest. */
export const APPROVE_DELETES_POLICY = {
  rules: [
    {
      name: 'approve-deletes',
      decision: 'require-approval',
      sql: { kinds: ['delete'] },
      reason: 'deletes need a second pair of eyes',
    },
    { name: 'allow-rest', decision: 'allow' },
  ],
} as const;

/** The approvals rule for APPROVE_DELETES_POLICY: the `dba` group approves. */
export const DBA_APPROVE_DELETES = { policyRules: ['approve-deletes'], approverGroups: ['dba'] } as const;
