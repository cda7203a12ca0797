/**
 * GCP props for connections, turned into the neutral connection entry (constructs/core) plus the
 * network facts the gateway construct needs to fence each target: what port, which VMs (tags) or
 * which range.
 */
import type { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';
import type { GatewayTarget } from '../compliance/gcp';
import {
  type ConnectionEntry,
  type HttpConnectionBaseProps,
  httpEntry,
  type KubernetesConnectionBaseProps,
  kubernetesEntry,
  type PostgresConnectionBaseProps,
  postgresEntry,
  type SshConnectionBaseProps,
  sshEntry,
} from '../core';
import { type SecretInput, secretRef } from './refs';
import type { PostgresTarget } from './targets';

export interface PostgresConnectionProps extends PostgresConnectionBaseProps<SecretInput> {
  /** The database: `PostgresTarget.fromInstance(sqlInstance)`. */
  readonly target: PostgresTarget;
  /** The role's password (or one field of a JSON secret). Only the gateway can read it. */
  readonly secret: SecretInput;
  /**
   * Role the gateway logs in as.
   * @default 'warden'
   */
  readonly user?: string;
}

export interface SshConnectionProps extends SshConnectionBaseProps<SecretInput> {
  /**
   * Network tags of the host VMs: ingress from the gateway is admitted to them.
   * @default - none; the host is not fenced by this stack
   */
  readonly targetTags?: readonly string[];
}

export interface HttpConnectionProps extends HttpConnectionBaseProps<SecretInput> {
  /**
   * Network tags of the API's VMs, when it runs in this network.
   * @default - none; the API is not fenced by this stack
   */
  readonly targetTags?: readonly string[];
  /**
   * Port of the API, for the fence.
   * @default 443
   */
  readonly port?: number;
}

export interface KubernetesConnectionProps extends KubernetesConnectionBaseProps<SecretInput> {
  /**
   * The GKE control plane's private endpoint URL, e.g.
   * `https://${cluster.privateClusterConfig.privateEndpoint}`.
   */
  readonly endpoint: string;
  /**
   * The cluster resource, so the bypass rule can check that its endpoint is private and that its
   * authorized networks are set.
   * @default - not checked: the bypass rule reports "could not validate" for this connection
   */
  readonly cluster?: ContainerCluster;
}

/** What adding a connection produces: the neutral entry, the secrets read and the target to fence. */
export interface GcpConnection {
  readonly entry: ConnectionEntry;
  readonly secrets: readonly SecretInput[];
  readonly target: GatewayTarget;
}

function collector(): { ref: (s: SecretInput) => string; secrets: SecretInput[] } {
  const secrets: SecretInput[] = [];
  return {
    secrets,
    ref: (s) => {
      secrets.push(s);
      return secretRef(s);
    },
  };
}

export function postgresConnection(
  name: string,
  p: PostgresConnectionProps,
  address?: string,
): GcpConnection {
  const port = p.port ?? 5432;
  const { ref, secrets } = collector();
  const host = p.target.instance.privateIpAddress;
  const entry = postgresEntry(
    name,
    p,
    { host, port, user: p.user ?? 'warden', password: ref(p.secret) },
    ref,
  );
  return {
    entry,
    secrets,
    target: {
      connection: name,
      kind: 'postgres',
      port,
      ...(address ? { resource: address } : {}),
      destinationRanges: [p.target.fenceRange],
    },
  };
}

export function sshConnection(name: string, p: SshConnectionProps): GcpConnection {
  const { ref, secrets } = collector();
  const entry = sshEntry(name, p, ref);
  return {
    entry,
    secrets,
    target: { connection: name, kind: 'ssh', port: p.port ?? 22, targetTags: [...(p.targetTags ?? [])] },
  };
}

export function httpConnection(name: string, p: HttpConnectionProps): GcpConnection {
  const { ref, secrets } = collector();
  const entry = httpEntry(name, p, ref);
  return {
    entry,
    secrets,
    target: { connection: name, kind: 'http', port: p.port ?? 443, targetTags: [...(p.targetTags ?? [])] },
  };
}

export function kubernetesConnection(name: string, p: KubernetesConnectionProps): GcpConnection {
  const { ref, secrets } = collector();
  const entry = kubernetesEntry(name, p, p.endpoint, ref);
  const resource = p.cluster ? `${p.cluster.terraformResourceType}.${p.cluster.friendlyUniqueId}` : undefined;
  // The control plane is no VM of the network: no firewall fences it; its private endpoint and
  // authorized networks do, and the bypass rule checks them on the cluster resource.
  return {
    entry,
    secrets,
    target: { connection: name, kind: 'kubernetes', port: 443, ...(resource ? { resource } : {}) },
  };
}
