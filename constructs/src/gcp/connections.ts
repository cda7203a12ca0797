/**
 * GCP connection props → the neutral connection spec (constructs/core) plus the network facts the
 * gateway construct needs to fence each target: what port, which VMs (tags) or which range.
 */

import type { GatewayTarget } from '../compliance/gcp';
import {
  type CommonConnectionProps,
  type ConnectionEntry,
  connectionBasics,
  connectionEntry,
  type HttpConnectionSpec,
  type PhiEntity,
  type PostgresConnectionSpec,
  type SshConnectionSpec,
} from '../core';
import { type ICloudSqlInstance, type SecretInput, secretRef } from './refs';

export interface CloudSqlPostgresProps extends CommonConnectionProps {
  /** The instance; it must have a private IP on the gateway's network and no public IP. */
  readonly instance: ICloudSqlInstance;
  /** Database name on the instance. */
  readonly database: string;
  /** The role's password (or a JSON secret with `jsonKey`). Only the gateway can read it. */
  readonly secret: SecretInput;
  /** Role the gateway logs in as. @default 'warden' */
  readonly user?: string;
  /** @default 5432 */
  readonly port?: number;
  /** PHI columns, "schema.table.column" → entity. @default - none; detectors still run */
  readonly classification?: Readonly<Record<string, PhiEntity>>;
  /**
   * The instance's CA certificate (PEM) as a secret; Cloud SQL server certificates chain to a
   * per-instance CA that no system store holds. @default - the system store (verification fails
   * unless the instance uses a public CA)
   */
  readonly caCertificate?: SecretInput;
  /** Name checked in the server certificate (the instance's DNS name). @default - the private IP */
  readonly serverName?: string;
  /**
   * Range fenced by the egress rules: only the gateway may connect to it on `port`.
   * @default - the instance's private IP (/32)
   */
  readonly fenceRange?: string;
}

export interface SshProps extends CommonConnectionProps {
  /** Address of the host (its internal IP or DNS name). */
  readonly host: string;
  readonly user: string;
  /** The host's public key line ("ssh-ed25519 AAAA…"); any other key is refused. */
  readonly hostKey: string;
  /** Private key the gateway authenticates with. Give this or `password`, not both. */
  readonly privateKey?: SecretInput;
  /** Password the gateway authenticates with. Give this or `privateKey`, not both. */
  readonly password?: SecretInput;
  /** @default 22 */
  readonly port?: number;
  /** Network tags of the host VMs: ingress from the gateway is admitted to them. @default - none */
  readonly targetTags?: readonly string[];
}

/** How the gateway authenticates to an HTTP upstream; secrets are Secret Manager secrets. */
export type GcpHttpCredential =
  | { readonly type: 'bearer'; readonly token: SecretInput }
  | { readonly type: 'basic'; readonly username: string; readonly password: SecretInput }
  | { readonly type: 'header'; readonly name: string; readonly value: SecretInput }
  | { readonly type: 'client-certificate'; readonly certificate: SecretInput; readonly key: SecretInput }
  | { readonly type: 'none' };

export interface HttpProps extends CommonConnectionProps {
  /** Base URL of the upstream API. */
  readonly url: string;
  readonly credential: GcpHttpCredential;
  /** @default - path prefix /<name>/ */
  readonly route?: HttpConnectionSpec['route'];
  /** CA bundle (PEM) secret. @default - the system store */
  readonly caCertificate?: SecretInput;
  /** Network tags of the API's VMs, when it runs in this network. @default - none */
  readonly targetTags?: readonly string[];
  /** @default 443 */
  readonly port?: number;
}

/** What adding a connection produces: the neutral entry, the secrets read and the target to fence. */
export interface GcpConnection {
  readonly entry: ConnectionEntry;
  readonly secrets: readonly SecretInput[];
  readonly target: GatewayTarget;
}

export function cloudSqlPostgres(name: string, p: CloudSqlPostgresProps, address?: string): GcpConnection {
  const port = p.port ?? 5432;
  const tls: NonNullable<PostgresConnectionSpec['upstream']['tls']> = {
    mode: 'verify-full',
    ...(p.caCertificate ? { ca: secretRef(p.caCertificate) } : {}),
    ...(p.serverName ? { serverName: p.serverName } : {}),
  };
  const spec: PostgresConnectionSpec = {
    ...connectionBasics(name, p),
    kind: 'postgres',
    upstream: {
      host: p.instance.privateIpAddress,
      port,
      database: p.database,
      user: p.user ?? 'warden',
      password: secretRef(p.secret),
      tls,
    },
    ...(p.classification ? { classification: { ...p.classification } } : {}),
  };
  return {
    entry: connectionEntry(spec, p),
    secrets: [p.secret, ...(p.caCertificate ? [p.caCertificate] : [])],
    target: {
      connection: name,
      kind: 'postgres',
      port,
      ...(address ? { resource: address } : {}),
      destinationRanges: [p.fenceRange ?? `${p.instance.privateIpAddress}/32`],
    },
  };
}

export function ssh(name: string, p: SshProps): GcpConnection {
  if (p.privateKey && p.password) {
    throw new Error(`connection "${name}": give privateKey or password, not both`);
  }
  if (!p.privateKey && !p.password) throw new Error(`connection "${name}": give privateKey or password`);
  const credential = p.privateKey ?? p.password!;
  const port = p.port ?? 22;
  const spec: SshConnectionSpec = {
    ...connectionBasics(name, p),
    kind: 'ssh',
    upstream: {
      host: p.host,
      port,
      user: p.user,
      hostKey: p.hostKey,
      ...(p.privateKey ? { privateKey: secretRef(p.privateKey) } : { password: secretRef(credential) }),
    },
  };
  return {
    entry: connectionEntry(spec, p),
    secrets: [credential],
    target: { connection: name, kind: 'ssh', port, targetTags: [...(p.targetTags ?? [])] },
  };
}

export function http(name: string, p: HttpProps): GcpConnection {
  const c = p.credential;
  const secrets: SecretInput[] = [];
  const ref = (s: SecretInput) => {
    secrets.push(s);
    return secretRef(s);
  };
  const credential: HttpConnectionSpec['upstream']['credential'] =
    c.type === 'bearer'
      ? { type: 'bearer', token: ref(c.token) }
      : c.type === 'basic'
        ? { type: 'basic', username: c.username, password: ref(c.password) }
        : c.type === 'header'
          ? { type: 'header', name: c.name, value: ref(c.value) }
          : c.type === 'client-certificate'
            ? { type: 'client-certificate', certificate: ref(c.certificate), key: ref(c.key) }
            : { type: 'none' };
  const spec: HttpConnectionSpec = {
    ...connectionBasics(name, p),
    kind: 'http',
    upstream: {
      url: p.url,
      credential,
      tls: { mode: 'verify-full', ...(p.caCertificate ? { ca: ref(p.caCertificate) } : {}) },
    },
    ...(p.route ? { route: p.route } : {}),
  };
  return {
    entry: connectionEntry(spec, p),
    secrets,
    target: { connection: name, kind: 'http', port: p.port ?? 443, targetTags: [...(p.targetTags ?? [])] },
  };
}
