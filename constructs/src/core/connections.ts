/**
 * What a connection *is*, once for both clouds: the props every cloud takes for a Postgres
 * database, an SSH host and an HTTP API, and the gateway config entry they become. A cloud variant
 * adds only how its resources are found and fenced, and how its secrets are referenced (`S`).
 */
import type {
  CommonConnectionProps,
  ConnectionEntry,
  HttpConnectionSpec,
  KubernetesConnectionSpec,
  PhiEntity,
  PostgresConnectionSpec,
  PrincipalSelectorProps,
  SshConnectionSpec,
} from './types';

/** An upstream role the gateway brokers besides the connection's own login; clients pick it by user name. */
export interface PostgresRoleProps<S> {
  /** The role name: clients connect with this user name to run as it. */
  readonly user: string;
  /** The role's password (only the gateway can read it). */
  readonly password: S;
  /**
   * Who may use this role.
   * @default - every principal with access to the connection
   */
  readonly principals?: PrincipalSelectorProps;
}

/** Postgres connection props shared by the clouds (the target and its secret are cloud specific). */
export interface PostgresConnectionBaseProps<S> extends CommonConnectionProps {
  /** Database name on the server. */
  readonly databaseName: string;
  /**
   * Port of the database.
   * @default 5432
   */
  readonly port?: number;
  /**
   * PHI columns: "schema.table.column" (or "schema.table.*") → entity.
   * @default - none; content detectors still run on every value
   */
  readonly classification?: Readonly<Record<string, PhiEntity>>;
  /**
   * CA certificate bundle (PEM) to verify the server with, as a secret.
   * @default - the image's trust store (which includes the RDS CA bundle)
   */
  readonly caCertificate?: S;
  /**
   * Name verified in the server certificate.
   * @default - the host the gateway connects to
   */
  readonly serverName?: string;
  /**
   * More roles the gateway brokers: the client's user name picks one (or the connection's own
   * login, also picked by the principal's own name); any other user name is refused. Each role is
   * checked for least privilege like the connection's own login.
   * @default - none: every user name logs in as the connection's own login
   */
  readonly roles?: readonly PostgresRoleProps<S>[];
  /**
   * Serve this PHI connection even when the role the gateway logs in as has server-level
   * privileges (superuser, BYPASSRLS, REPLICATION, CREATEROLE, pg_read_server_files, …), which the
   * gateway otherwise refuses at connect. `reason` (at least 10 characters) is recorded in every
   * session.start, and the reviewer report shows the connection acknowledged with it under
   * § 164.312(a)(1) (rule Warden-GatewayUpstreamRoleLeastPrivilege).
   * @default - refused: PHI is served only through a least-privilege role
   */
  readonly acceptPrivilegedRole?: { readonly reason: string };
}

/** SSH connection props shared by the clouds. Give exactly one of `privateKey` and `password`. */
export interface SshConnectionBaseProps<S> extends CommonConnectionProps {
  /** Host name or IP address of the SSH server. */
  readonly host: string;
  /**
   * Port of the SSH server.
   * @default 22
   */
  readonly port?: number;
  /**
   * User the gateway logs in as.
   * @default 'warden'
   */
  readonly user?: string;
  /** The pinned host key line, "ssh-ed25519 AAAA…"; any other key is refused. */
  readonly hostKey: string;
  /**
   * Private key (OpenSSH or PEM) the gateway authenticates with.
   * @default - none; give this or `password`
   */
  readonly privateKey?: S;
  /**
   * Password the gateway authenticates with.
   * @default - none; give this or `privateKey`
   */
  readonly password?: S;
}

/** How the gateway authenticates to an HTTP API; the client never sees it. */
export type HttpCredential<S> =
  /** `Authorization: Bearer <token>`. */
  | { readonly type: 'bearer'; readonly token: S }
  /** HTTP Basic. */
  | { readonly type: 'basic'; readonly username: string; readonly password: S }
  /** A header of your choice, e.g. `X-Api-Key`. */
  | { readonly type: 'header'; readonly name: string; readonly value: S }
  /** Mutual TLS. */
  | { readonly type: 'client-certificate'; readonly certificate: S; readonly key: S }
  /** No credential. */
  | { readonly type: 'none' };

/** Which requests reach an HTTP connection. */
export interface HttpRoute {
  /**
   * Requests whose Host header is this name; the path is forwarded as is.
   * @default - any host
   */
  readonly host?: string;
  /**
   * Requests whose path starts with this prefix, which is removed before forwarding.
   * @default - `/<connection name>/` when no host is given
   */
  readonly pathPrefix?: string;
}

/** HTTP connection props shared by the clouds. */
export interface HttpConnectionBaseProps<S> extends CommonConnectionProps {
  /** Base URL of the API (https). */
  readonly url: string;
  /** How the gateway authenticates to the API. */
  readonly credential: HttpCredential<S>;
  /**
   * Which requests go to this API.
   * @default - path prefix `/<name>/`
   */
  readonly route?: HttpRoute;
  /**
   * CA certificate bundle (PEM) to verify the API with, as a secret.
   * @default - the image's trust store
   */
  readonly caCertificate?: S;
}

/** What the gateway reaches a database at: a cloud target resolves to this. */
export interface PostgresEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

/** Turns a cloud's secret into a reference, remembering it so the gateway can be granted read. */
export type SecretRefFn<S> = (secret: S) => string;

/** The fields every connection spec starts with; PHI unless `phi: false` is given. */
export function connectionBasics(name: string, p: CommonConnectionProps) {
  return { name, phi: p.phi ?? true, ...(p.description ? { description: p.description } : {}) };
}

/** A connection spec with the connection's own standing grant, if any. */
export function connectionEntry(spec: ConnectionEntry['spec'], p: CommonConnectionProps): ConnectionEntry {
  return { spec, ...(p.allowedGroups ? { allowedGroups: [...p.allowedGroups] } : {}) };
}

export function postgresEntry<S>(
  name: string,
  p: PostgresConnectionBaseProps<S>,
  endpoint: PostgresEndpoint,
  ref: SecretRefFn<S>,
): ConnectionEntry {
  const spec: PostgresConnectionSpec = {
    ...connectionBasics(name, p),
    kind: 'postgres',
    upstream: {
      ...endpoint,
      database: p.databaseName,
      tls: {
        mode: 'verify-full',
        ...(p.caCertificate ? { ca: ref(p.caCertificate) } : {}),
        ...(p.serverName ? { serverName: p.serverName } : {}),
      },
    },
    classification: { ...p.classification },
    ...(p.roles && p.roles.length > 0
      ? {
          roles: p.roles.map((r) => ({
            user: r.user,
            password: ref(r.password),
            ...(r.principals ? { principals: r.principals } : {}),
          })),
        }
      : {}),
    ...(p.acceptPrivilegedRole ? { acceptPrivilegedRole: { reason: p.acceptPrivilegedRole.reason } } : {}),
  };
  return connectionEntry(spec, p);
}

/** Compliance rule a connection accepting a privileged upstream role is acknowledged under. */
export const PRIVILEGED_ROLE_RULE_ID = 'Warden-GatewayUpstreamRoleLeastPrivilege';

/**
 * The acknowledgement for every connection that accepts a privileged upstream role, each with its
 * own reason, or undefined when none does. Both clouds record it beside the gateway's config.
 */
export function privilegedRoleAcknowledgement(entries: readonly ConnectionEntry[]): string | undefined {
  const reasons = entries.flatMap(({ spec }) =>
    spec.kind === 'postgres' && spec.acceptPrivilegedRole
      ? [`connection "${spec.name}": ${spec.acceptPrivilegedRole.reason.trim()}`]
      : [],
  );
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

export function sshEntry<S>(
  name: string,
  p: SshConnectionBaseProps<S>,
  ref: SecretRefFn<S>,
): ConnectionEntry {
  if ((p.privateKey === undefined) === (p.password === undefined)) {
    throw new Error(`connection "${name}": give exactly one of "privateKey" and "password"`);
  }
  const spec: SshConnectionSpec = {
    ...connectionBasics(name, p),
    kind: 'ssh',
    upstream: {
      host: p.host,
      port: p.port ?? 22,
      user: p.user ?? 'warden',
      ...(p.privateKey ? { privateKey: ref(p.privateKey) } : { password: ref(p.password!) }),
      hostKey: p.hostKey,
    },
  };
  return connectionEntry(spec, p);
}

function credentialSpec<S>(
  c: HttpCredential<S>,
  ref: SecretRefFn<S>,
): HttpConnectionSpec['upstream']['credential'] {
  switch (c.type) {
    case 'bearer':
      return { type: 'bearer', token: ref(c.token) };
    case 'basic':
      return { type: 'basic', username: c.username, password: ref(c.password) };
    case 'header':
      return { type: 'header', name: c.name, value: ref(c.value) };
    case 'client-certificate':
      return { type: 'client-certificate', certificate: ref(c.certificate), key: ref(c.key) };
    case 'none':
      return { type: 'none' };
  }
}

export function httpEntry<S>(
  name: string,
  p: HttpConnectionBaseProps<S>,
  ref: SecretRefFn<S>,
): ConnectionEntry {
  const spec: HttpConnectionSpec = {
    ...connectionBasics(name, p),
    kind: 'http',
    upstream: {
      url: p.url,
      credential: credentialSpec(p.credential, ref),
      tls: { mode: 'verify-full', ...(p.caCertificate ? { ca: ref(p.caCertificate) } : {}) },
    },
    ...(p.route ? { route: { ...p.route } } : {}),
  };
  return connectionEntry(spec, p);
}

/** How the gateway authenticates to a cluster API server; callers never see it. */
export type KubernetesCredential<S> =
  /** A service-account (or other bearer) token. */
  | { readonly type: 'bearer'; readonly token: S }
  /** A client certificate and its key (PEM). */
  | { readonly type: 'client-certificate'; readonly certificate: S; readonly key: S };

/** Kubernetes connection props shared by the clouds (the cluster itself is cloud specific). */
export interface KubernetesConnectionBaseProps<S> extends CommonConnectionProps {
  /** How the gateway authenticates to the API server. */
  readonly credential: KubernetesCredential<S>;
  /** The cluster CA certificate (PEM), as a secret: the API server is verified against it alone. */
  readonly caCertificate: S;
  /**
   * Namespaces holding PHI (globs); policy matches them with `kubernetes.phiNamespace`.
   * @default - every namespace of a PHI connection
   */
  readonly phiNamespaces?: readonly string[];
  /**
   * API groups beyond Kubernetes' own (custom resources) the gateway may pass to policy.
   * @default - none: requests to other groups are refused
   */
  readonly apiGroups?: readonly string[];
  /**
   * Path prefix on the gateway's Kubernetes listener (a kubeconfig's server URL ends with it).
   * @default - `/<name>`
   */
  readonly pathPrefix?: string;
}

export function kubernetesEntry<S>(
  name: string,
  p: KubernetesConnectionBaseProps<S>,
  /** The API server's private endpoint URL (https). */
  url: string,
  ref: SecretRefFn<S>,
): ConnectionEntry {
  const c = p.credential;
  const spec: KubernetesConnectionSpec = {
    ...connectionBasics(name, p),
    kind: 'kubernetes',
    upstream: {
      url,
      tls: { mode: 'verify-full', ca: ref(p.caCertificate) },
      credential:
        c.type === 'bearer'
          ? { type: 'bearer', token: ref(c.token) }
          : { type: 'client-certificate', certificate: ref(c.certificate), key: ref(c.key) },
    },
    ...(p.phiNamespaces ? { phiNamespaces: [...p.phiNamespaces] } : {}),
    ...(p.apiGroups ? { apiGroups: [...p.apiGroups] } : {}),
    ...(p.pathPrefix ? { route: { pathPrefix: p.pathPrefix } } : {}),
  };
  return connectionEntry(spec, p);
}
