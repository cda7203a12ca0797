/**
 * Cloud-neutral props: what a connection, an identity, a masking rule or an approval rule *is*.
 * Every type here derives from the gateway's own config contract (config-contract.ts, generated from the schema the gateway validates with), so
 * the constructs and the gateway can never disagree on a field. AWS and GCP variants only produce
 * these values from their resources (a secret ARN becomes a secret reference, an RDS endpoint a
 * host name) and hand them to `renderGatewayConfig`.
 */
import type { WardenConfigInput } from './config-contract';

type Input = WardenConfigInput;
type Item<T> = T extends readonly (infer U)[] ? U : never;

/**
 * A secret reference string, never the secret itself: `aws-secretsmanager:<arn>[#key]`,
 * `gcp-secretmanager:projects/…/versions/…[#key]`, `env:NAME` or `file:/path`.
 * At synth a cloud variant may put an unresolved deploy-time token inside it.
 */
export type SecretReference = string;

/** One upstream the gateway fronts, exactly as the gateway config describes it. */
export type ConnectionSpec = Item<NonNullable<Input['connections']>>;
export type PostgresConnectionSpec = Extract<ConnectionSpec, { kind: 'postgres' }>;
export type SshConnectionSpec = Extract<ConnectionSpec, { kind: 'ssh' }>;
export type HttpConnectionSpec = Extract<ConnectionSpec, { kind: 'http' }>;
export type KubernetesConnectionSpec = Extract<ConnectionSpec, { kind: 'kubernetes' }>;
/** How the gateway authenticates to an HTTP upstream. */
export type HttpCredentialSpec = HttpConnectionSpec['upstream']['credential'];

/** A PHI entity a column is classified as: SSN, MRN, DOB, NAME, ADDRESS, PHONE, EMAIL, NOTE or `custom:<name>`. */
export type PhiEntity = NonNullable<PostgresConnectionSpec['classification']>[string];

/** A policy rule (allow / deny / require-approval on protocol facts). */
export type PolicyRuleProps = Item<NonNullable<NonNullable<Input['policy']>['rules']>>;
/** Policy as a whole: default decision and rules. Default decision is deny. */
export type PolicyProps = NonNullable<Input['policy']>;
/** Masking profiles, token key and detectors. With no profile every PHI value is redacted. */
export type MaskingProps = NonNullable<Input['masking']>;
export type MaskingProfileProps = Item<NonNullable<MaskingProps['profiles']>>;
/** Approval timeout, approval rules, notifications and state store. */
export type ApprovalProps = NonNullable<Input['approvals']>;
export type ApprovalRuleProps = Item<NonNullable<ApprovalProps['rules']>>;
/** A standing access grant. */
export type AccessGrantProps = Item<NonNullable<NonNullable<Input['access']>['grants']>>;
/** Who a rule, grant or masking profile applies to. */
export type PrincipalSelectorProps = NonNullable<PolicyRuleProps['principals']>;
/** Where sealed audit segments and recordings are copied (write-once storage). */
export type StorageSinkSpec = Item<NonNullable<Input['audit']['sinks']>>;

/** An OpenID Connect issuer whose tokens the gateway accepts. */
export type OidcIssuerProps = Item<Input['identity']['issuers']>;

/**
 * Who may use the gateway, and in what role. Groups come from the issuer's groups claim.
 */
export interface IdentityProps {
  /** Issuers whose tokens are accepted (URL, audiences, groups claim). At least one. */
  readonly issuers: readonly OidcIssuerProps[];
  /**
   * Groups whose members (agents or humans) get a standing grant on every connection.
   * Per-connection groups can be given instead with `allowedGroups` on the connection.
   * @default - no standing grant: nobody reaches a connection unless `access` grants it
   */
  readonly agentGroups?: readonly string[];
  /**
   * Groups whose members approve held commands (never their own). Used by the default PHI write
   * approval rule and offered to just-in-time grants.
   * @default - no approvers: the default PHI write rule then denies instead of holding
   */
  readonly approverGroups?: readonly string[];
  /**
   * Groups allowed to revoke session tokens and use the admin console.
   * @default - none
   */
  readonly adminGroups?: readonly string[];
  /**
   * Session token lifetime in seconds (60–3600).
   * @default 900
   */
  readonly sessionLifetimeSec?: number;
}

/** Props every connection takes, on every cloud. */
export interface CommonConnectionProps {
  /**
   * Whether the target may hold PHI. PHI connections get masking checks and held writes.
   * @default true - a gateway for PHI assumes PHI unless told otherwise
   */
  readonly phi?: boolean;
  /**
   * What the connection is, for people reading the config and the audit log.
   * @default - none
   */
  readonly description?: string;
  /**
   * Groups given a standing grant on this connection only.
   * @default - only the identity's agentGroups
   */
  readonly allowedGroups?: readonly string[];
}

/**
 * What `addPostgres`, `addSsh` and `addHttp` return on every cloud: the name to use in policy
 * rules and grants, and where clients reach the connection.
 */
export interface WardenConnection {
  /** Connection name: the Postgres database name, the SSH user name, the HTTP or Kubernetes path prefix. */
  readonly name: string;
  readonly kind: 'postgres' | 'ssh' | 'http' | 'kubernetes';
  /** Whether policy treats the target as holding PHI. */
  readonly phi: boolean;
  /** Port clients connect to on the gateway's load balancer for this kind of connection. */
  readonly clientPort: number;
}

/** A connection plus the neutral facts the renderer needs beyond the config itself. */
export interface ConnectionEntry {
  readonly spec: ConnectionSpec;
  /**
   * Groups given a standing grant on this connection only.
   * @default - only the identity's agentGroups
   */
  readonly allowedGroups?: readonly string[];
}

/** The gateway's own secrets, as references the cloud variant created. */
export interface GatewaySecretRefs {
  /** PEM certificate chain the gateway presents on its TLS listeners. */
  readonly tlsCertificate: SecretReference;
  /** PEM private key for that certificate. */
  readonly tlsKey: SecretReference;
  /** Ed25519 private key (PEM) that signs audit checkpoints. */
  readonly auditSigningKey: SecretReference;
  /** Ed25519 private key (PEM) that signs Warden session tokens. */
  readonly sessionSigningKey: SecretReference;
  /** Private host key of the gateway's SSH listener. @default - no SSH listener */
  readonly sshHostKey?: SecretReference;
  /** HMAC key for the `token` masking strategy. @default - the token strategy is unavailable */
  readonly maskingTokenKey?: SecretReference;
}

/** Ports the gateway listens on inside its task or instance. */
export interface GatewayPorts {
  /** @default 5432 */
  readonly postgres?: number;
  /** @default 2222 */
  readonly ssh?: number;
  /** @default 8443 */
  readonly http?: number;
  /** @default 6443 */
  readonly kubernetes?: number;
  /** @default 8444 */
  readonly admin?: number;
}

/** What the gateway enforces, the same on every cloud: the props AWS and GCP gateways share. */
export interface GatewayPolicyProps {
  /** Who may use the gateway: OIDC issuers, agent, approver and admin groups. */
  readonly identity: IdentityProps;
  /**
   * Policy rules (allow, deny, require-approval on command facts) and the default decision.
   * @default - default deny, no rules beyond the PHI safeguards
   */
  readonly policy?: PolicyProps;
  /**
   * Masking profiles, token key and detectors.
   * @default - every classified or detected PHI value is redacted
   */
  readonly masking?: MaskingProps;
  /**
   * Hold timeout, approval rules, notifications and the shared state store.
   * @default - 10 min hold timeout, rules from `identity.approverGroups`
   */
  readonly approvals?: ApprovalProps;
  /**
   * Extra standing grants.
   * @default - none beyond the group grants
   */
  readonly grants?: readonly AccessGrantProps[];
  /**
   * Add the PHI safeguards: writes, COPY and DDL on PHI connections require approval (or are
   * denied when no approver group exists); SSH commands and non-GET HTTP requests on PHI
   * connections are held the same way.
   * @default true
   */
  readonly phiSafeguards?: boolean;
}

/** Everything `renderGatewayConfig` needs: cloud-neutral, already resolved to references. */
export interface GatewaySpec extends GatewayPolicyProps {
  readonly connections: readonly ConnectionEntry[];
  readonly secrets: GatewaySecretRefs;
  /** Write-once storage for sealed audit segments and recordings. */
  readonly storage: readonly StorageSinkSpec[];
  /** @default - see GatewayPorts */
  readonly ports?: GatewayPorts;
  /** Directory inside the runtime for audit segments. @default '/var/lib/warden/audit' */
  readonly auditDir?: string;
  /** Directory inside the runtime for recordings. @default '/var/lib/warden/recordings' */
  readonly recordingDir?: string;
}
