/**
 * AWS props for connections, turned into the neutral connection entry (constructs/core) plus what
 * the network and IAM need: which peer to open, and which secrets to grant.
 */
import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
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
import { type SecretInput, secretRef, selectorOf } from './secrets';
import type { PostgresTarget } from './targets';

export interface PostgresConnectionProps extends PostgresConnectionBaseProps<SecretInput> {
  /** The database: `PostgresTarget.fromInstance(db)` or `PostgresTarget.fromCluster(cluster)`. */
  readonly target: PostgresTarget;
  /** Secret with JSON keys `username` and `password` (the shape RDS generates). */
  readonly secret: secretsmanager.ISecret;
  /**
   * Role the gateway logs in as.
   * @default - the secret's `username`, as a CloudFormation dynamic reference resolved at deploy
   */
  readonly user?: string;
  /**
   * Port of the database.
   * @default - the endpoint's port if known at synth, else 5432
   */
  readonly port?: number;
}

export interface SshConnectionProps extends SshConnectionBaseProps<SecretInput> {
  /**
   * The host, to open exactly its security group and check that only the gateway reaches it.
   * @default - the gateway may reach `host:port` anywhere in the VPC, and the bypass rule reports
   * "could not validate"
   */
  readonly target?: ec2.IConnectable;
}

export interface HttpConnectionProps extends HttpConnectionBaseProps<SecretInput> {
  /**
   * The API's compute, to open exactly its security group.
   * @default - the URL's port to `peer`
   */
  readonly target?: ec2.IConnectable;
  /**
   * Where the API is when no `target` is given.
   * @default - the VPC's CIDR
   */
  readonly peer?: ec2.IPeer;
}

export interface KubernetesConnectionProps extends KubernetesConnectionBaseProps<SecretInput> {
  /** The API server's private endpoint, e.g. `cluster.clusterEndpoint` or `cfnCluster.attrEndpoint`. */
  readonly endpoint: string;
  /**
   * The control plane's security group(s) (an `eks.Cluster`, or the cluster's security group): opened
   * to the gateway on 443, and checked to admit only the gateway and the cluster's own nodes.
   */
  readonly controlPlane: ec2.IConnectable;
  /**
   * The cluster resource, so the bypass rule can check that its endpoint is private.
   * @default - not checked: the bypass rule reports "could not validate" for this connection
   */
  readonly cluster?: eks.CfnCluster;
}

/** A connection as the gateway construct consumes it. */
export interface ResolvedConnection {
  readonly entry: ConnectionEntry;
  /** Every secret the gateway reads for this connection. */
  readonly secrets: readonly secretsmanager.ISecret[];
  /** What to open from the gateway's security group. */
  readonly path: {
    readonly connectable?: ec2.IConnectable;
    readonly peer?: ec2.IPeer;
    readonly port: ec2.Port;
    /** The target is a Kubernetes control plane, whose nodes reach it through its own group. */
    readonly selfIngress?: boolean;
  };
  /** An EKS cluster whose endpoint must be private. */
  readonly cluster?: eks.CfnCluster;
  /** A Kubernetes connection without its cluster resource: its endpoint cannot be checked. */
  readonly clusterUnverifiable?: boolean;
}

/** A reference function that also collects the secrets it referenced. */
function collector(): { ref: (s: SecretInput) => string; secrets: secretsmanager.ISecret[] } {
  const secrets: secretsmanager.ISecret[] = [];
  return {
    secrets,
    ref: (s) => {
      const secret = selectorOf(s).secret;
      if (!secrets.includes(secret)) secrets.push(secret);
      return secretRef(s);
    },
  };
}

export function postgresConnection(name: string, p: PostgresConnectionProps): ResolvedConnection {
  const endpoint = p.target.endpoint;
  const port = p.port ?? (Token.isUnresolved(endpoint.port) ? 5432 : endpoint.port);
  const { ref, secrets } = collector();
  const entry = postgresEntry(
    name,
    p,
    {
      host: endpoint.hostname,
      port,
      user: p.user ?? p.secret.secretValueFromJson('username').unsafeUnwrap(),
      password: ref({ secret: p.secret, jsonKey: 'password' }),
    },
    ref,
  );
  return { entry, secrets, path: { connectable: p.target.connectable, port: ec2.Port.tcp(port) } };
}

export function sshConnection(name: string, p: SshConnectionProps, vpc: ec2.IVpc): ResolvedConnection {
  const { ref, secrets } = collector();
  const entry = sshEntry(name, p, ref);
  const port = ec2.Port.tcp(p.port ?? 22);
  return {
    entry,
    secrets,
    path: p.target ? { connectable: p.target, port } : { peer: ec2.Peer.ipv4(vpc.vpcCidrBlock), port },
  };
}

/** The URL's port when the URL is known at synth; 443 otherwise. */
function urlPort(url: string): number {
  if (Token.isUnresolved(url)) return 443;
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
}

export function httpConnection(name: string, p: HttpConnectionProps, vpc: ec2.IVpc): ResolvedConnection {
  const { ref, secrets } = collector();
  const entry = httpEntry(name, p, ref);
  const port = ec2.Port.tcp(urlPort(p.url));
  return {
    entry,
    secrets,
    path: p.target
      ? { connectable: p.target, port }
      : { peer: p.peer ?? ec2.Peer.ipv4(vpc.vpcCidrBlock), port },
  };
}

export function kubernetesConnection(name: string, p: KubernetesConnectionProps): ResolvedConnection {
  const { ref, secrets } = collector();
  const entry = kubernetesEntry(name, p, p.endpoint, ref);
  return {
    entry,
    secrets,
    path: { connectable: p.controlPlane, port: ec2.Port.tcp(443), selfIngress: true },
    ...(p.cluster ? { cluster: p.cluster } : { clusterUnverifiable: true }),
  };
}
