/**
 * AWS props for connections, turned into the neutral connection spec plus what the network and
 * IAM need: which peer to open, and which secret to grant.
 */
import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  type CommonConnectionProps,
  type ConnectionEntry,
  connectionBasics,
  connectionEntry,
  type PhiEntity,
} from '../core';
import { secretRef } from './gateway-secrets';

export interface PostgresConnectionProps extends CommonConnectionProps {
  /** The RDS instance. Give exactly one of `instance` and `cluster`. */
  readonly instance?: rds.IDatabaseInstance;
  /** The Aurora PostgreSQL cluster. Give exactly one of `instance` and `cluster`. */
  readonly cluster?: rds.IDatabaseCluster;
  /** Secret with JSON keys `username` and `password` (the RDS-generated shape). */
  readonly secret: secretsmanager.ISecret;
  readonly databaseName: string;
  /**
   * Role the gateway logs in as.
   * @default - the secret's `username`, as a CloudFormation dynamic reference resolved at deploy
   */
  readonly username?: string;
  /**
   * Port, when the endpoint's port is only known at deploy.
   * @default - the endpoint's port if known at synth, else 5432
   */
  readonly port?: number;
  /** PHI columns: "schema.table.column" (or "schema.table.*") → entity. @default - none (detectors only) */
  readonly classification?: Record<string, PhiEntity>;
  /**
   * Secret reference to a CA bundle (PEM) to verify the database with.
   * @default - the image's trust store, which includes the RDS CA bundle
   */
  readonly caBundle?: string;
}

export interface SshConnectionProps extends CommonConnectionProps {
  /** Host name or IP address of the SSH server. */
  readonly host: string;
  /** @default 22 */
  readonly port?: number;
  /** The pinned host key line, "ssh-ed25519 AAAA…". */
  readonly hostKey: string;
  /** Secret holding the gateway's private key (OpenSSH/PEM) under `secretKey`. */
  readonly secret: secretsmanager.ISecret;
  /** JSON key in the secret. @default 'privateKey' */
  readonly secretKey?: string;
  /** @default 'warden' */
  readonly user?: string;
  /**
   * The target, to open exactly its security group and check bypass. Without it the gateway may
   * reach `host:port` anywhere in the VPC, and the bypass rule reports "could not validate".
   * @default - the VPC's CIDR
   */
  readonly target?: ec2.IConnectable;
}

export interface HttpConnectionProps extends CommonConnectionProps {
  /** Base URL of the upstream API (https). */
  readonly url: string;
  /** Secret holding the credential under `secretKey`. */
  readonly secret: secretsmanager.ISecret;
  /** JSON key in the secret. @default - the whole secret string */
  readonly secretKey?: string;
  /**
   * Header the credential is sent in; `Authorization` means a bearer token.
   * @default 'Authorization'
   */
  readonly header?: string;
  /** @default - path prefix /<name>/ */
  readonly pathPrefix?: string;
  /** The target, to open exactly its security group. @default - the URL's port to `peer` */
  readonly target?: ec2.IConnectable;
  /** Where the API is when no `target` is given. @default - the VPC's CIDR */
  readonly peer?: ec2.IPeer;
}

/** A connection as the gateway construct consumes it. */
export interface ResolvedConnection {
  readonly entry: ConnectionEntry;
  readonly secret: secretsmanager.ISecret;
  /** What to open from the gateway's security group. */
  readonly path: {
    readonly connectable?: ec2.IConnectable;
    readonly peer?: ec2.IPeer;
    readonly port: ec2.Port;
  };
}

export function postgresConnection(name: string, p: PostgresConnectionProps): ResolvedConnection {
  if ((p.instance ? 1 : 0) + (p.cluster ? 1 : 0) !== 1) {
    throw new Error(`addPostgres('${name}'): give exactly one of "instance" and "cluster"`);
  }
  const endpoint = p.instance ? p.instance.instanceEndpoint : p.cluster!.clusterEndpoint;
  const connectable: ec2.IConnectable = (p.instance ?? p.cluster)!;
  const port = p.port ?? (Token.isUnresolved(endpoint.port) ? 5432 : endpoint.port);
  return {
    entry: connectionEntry(
      {
        ...connectionBasics(name, p),
        kind: 'postgres',
        upstream: {
          host: endpoint.hostname,
          port,
          database: p.databaseName,
          user: p.username ?? p.secret.secretValueFromJson('username').unsafeUnwrap(),
          password: secretRef(p.secret, 'password'),
          ...(p.caBundle ? { tls: { ca: p.caBundle } } : {}),
        },
        classification: p.classification ?? {},
      },
      p,
    ),
    secret: p.secret,
    path: { connectable, port: ec2.Port.tcp(port) },
  };
}

export function sshConnection(name: string, p: SshConnectionProps, vpc: ec2.IVpc): ResolvedConnection {
  const port = p.port ?? 22;
  return {
    entry: connectionEntry(
      {
        ...connectionBasics(name, p),
        kind: 'ssh',
        upstream: {
          host: p.host,
          port,
          user: p.user ?? 'warden',
          privateKey: secretRef(p.secret, p.secretKey ?? 'privateKey'),
          hostKey: p.hostKey,
        },
      },
      p,
    ),
    secret: p.secret,
    path: p.target
      ? { connectable: p.target, port: ec2.Port.tcp(port) }
      : { peer: ec2.Peer.ipv4(vpc.vpcCidrBlock), port: ec2.Port.tcp(port) },
  };
}

/** The URL's port when the URL is known at synth; 443 otherwise. */
function urlPort(url: string): number {
  if (Token.isUnresolved(url)) return 443;
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
}

export function httpConnection(name: string, p: HttpConnectionProps, vpc: ec2.IVpc): ResolvedConnection {
  const ref = secretRef(p.secret, p.secretKey);
  const header = p.header ?? 'Authorization';
  const credential =
    header.toLowerCase() === 'authorization'
      ? ({ type: 'bearer', token: ref } as const)
      : ({ type: 'header', name: header, value: ref } as const);
  const port = ec2.Port.tcp(urlPort(p.url));
  return {
    entry: connectionEntry(
      {
        ...connectionBasics(name, p),
        kind: 'http',
        upstream: { url: p.url, credential },
        ...(p.pathPrefix ? { route: { pathPrefix: p.pathPrefix } } : {}),
      },
      p,
    ),
    secret: p.secret,
    path: p.target
      ? { connectable: p.target, port }
      : { peer: p.peer ?? ec2.Peer.ipv4(vpc.vpcCidrBlock), port },
  };
}
