import { DataGoogleLoggingProjectCmekSettings } from '@cdktf/provider-google/lib/data-google-logging-project-cmek-settings';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import type { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Lazy, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { acknowledge, GATEWAY_KEY, type GatewayManifest } from '../compliance/gcp';
import {
  DEFAULT_PORTS,
  type GatewayPorts,
  PRIVILEGED_ROLE_RULE_ID,
  privilegedRoleAcknowledgement,
  SIX_YEARS_DAYS,
  validateGatewayConfig,
  type WardenConfig,
  type WardenConfigInput,
  type WardenConnection,
} from '../core';
import { AlertTopic } from './alert-channel';
import { AuditStorage } from './audit-storage';
import { GatewayCompute } from './compute';
import {
  type GcpConnection,
  type HttpConnectionProps,
  httpConnection,
  type KubernetesConnectionProps,
  kubernetesConnection,
  type PostgresConnectionProps,
  postgresConnection,
  type SshConnectionProps,
  sshConnection,
} from './connections';
import { fenceTarget } from './fence';
import type { WardenGcpGatewayProps } from './gateway-props';
import { GatewayKeys } from './kms';
import { GatewayLoadBalancer } from './load-balancer';
import { collectorConfig, DEFAULT_COLLECTOR_IMAGE, GatewayMonitoring } from './operations';
import type { GcpPeer } from './peers';
import { type ISecret, type SecretInput, selectorOf } from './refs';
import { GatewayRegistry } from './registry';
import { gatewayServiceAccount, renderGcpConfig } from './render';
import { escapeForTerraform, placeholderFor } from './tokens';

/**
 * The Warden gateway on Google Cloud: a regional managed instance group of Container-Optimized OS
 * VMs behind an internal passthrough load balancer, its own least-privilege service account, CMEK
 * everywhere, write-once audit storage and six-year logs. Add targets with `addPostgres`, `addSsh`
 * `addHttp` and `addKubernetes`; each becomes reachable only through the gateway.
 */
export class WardenGcpGateway extends Construct {
  readonly serviceAccount: ServiceAccount;
  readonly keys: GatewayKeys;
  readonly storage: AuditStorage;
  readonly registry: GatewayRegistry;
  /** The image the VMs run. */
  readonly image: string;
  readonly compute: GatewayCompute;
  readonly loadBalancer: GatewayLoadBalancer;
  /** Network tag on the gateway VMs. */
  readonly tag: string;
  /**
   * The gateway's own secrets by name (tls-certificate, tls-key, audit-signing-key,
   * session-signing-key, masking-token-key, ssh-host-key); add values with `gcloud secrets versions add`.
   */
  readonly secrets = new Map<string, SecretManagerSecret>();
  /** Private address clients connect to. */
  readonly address: string;
  /** The alert policies and the Cloud Monitoring dashboard. */
  readonly monitoring: GatewayMonitoring;
  /** The Pub/Sub topic the alerts go to, when no `alertNotificationChannels` were given. */
  readonly alertTopic?: AlertTopic;

  private readonly props: WardenGcpGatewayProps;
  private readonly ports: Required<GatewayPorts>;
  private readonly prefix: string;
  private readonly connections: GcpConnection[] = [];
  private readonly readable: ISecret[] = [];

  constructor(scope: Construct, id: string, props: WardenGcpGatewayProps) {
    super(scope, id);
    this.props = props;
    this.prefix = props.namePrefix ?? 'warden';
    if (!/^[a-z][a-z0-9-]{0,19}$/.test(this.prefix))
      throw new Error(`namePrefix "${this.prefix}" must be 1–20 of a-z0-9-`);
    const retentionDays = props.auditRetentionDays ?? SIX_YEARS_DAYS;
    const lockRetention = props.lockRetention ?? false;
    const ports = { ...DEFAULT_PORTS, ...props.ports };
    this.tag = `${this.prefix}-gateway`;

    this.serviceAccount = gatewayServiceAccount(this, props.project, this.prefix);
    const member = `serviceAccount:${this.serviceAccount.email}`;

    const cmek = new DataGoogleLoggingProjectCmekSettings(this, 'logging-cmek', { project: props.project });
    this.keys = new GatewayKeys(this, 'keys', {
      project: props.project,
      location: props.region,
      namePrefix: this.prefix,
      rotationDays: props.keyRotationDays ?? 90,
      loggingServiceAccount: cmek.serviceAccountId,
    });
    this.storage = new AuditStorage(this, 'audit', {
      project: props.project,
      location: props.region,
      namePrefix: this.prefix,
      bucketName: props.auditBucketName ?? `${props.project}-${this.prefix}-audit`,
      retentionDays,
      logRetentionDays: props.logRetentionDays ?? retentionDays,
      lockRetention,
      storageKeyId: this.keys.storageKey.id,
      logsKeyId: this.keys.logsKey.id,
      instanceNamePrefix: `${this.prefix}-gw`,
      dependsOn: this.keys.grants,
    });
    new StorageBucketIamMember(this, 'audit-writer', {
      bucket: this.storage.bucket.name,
      role: 'roles/storage.objectCreator',
      member,
    });

    this.registry = new GatewayRegistry(this, 'registry', {
      project: props.project,
      region: props.region,
      repositoryId: this.prefix,
      reader: member,
    });
    this.image = props.image ?? `${this.registry.url}/warden-gateway:latest`;

    for (const name of [
      'tls-certificate',
      'tls-key',
      'audit-signing-key',
      'session-signing-key',
      'masking-token-key',
    ]) {
      this.gatewaySecret(name);
    }

    this.compute = new GatewayCompute(this, 'compute', {
      project: props.project,
      region: props.region,
      namePrefix: this.prefix,
      machineType: props.machineType ?? 'e2-standard-2',
      instances: props.instances ?? 2,
      image: this.image,
      registryHost: this.registry.host,
      sourceImage: props.sourceImage ?? 'projects/cos-cloud/global/images/family/cos-stable',
      diskSizeGb: props.diskSizeGb ?? 20,
      diskKeyId: this.keys.diskKey.id,
      subnetworkId: props.subnetwork.id,
      serviceAccountEmail: this.serviceAccount.email,
      tag: this.tag,
      // Rendered at synth, after every connection has been added.
      configJson: Lazy.stringValue({
        produce: () => JSON.stringify(escapeForTerraform(this.renderConfig())),
      }),
      healthPort: ports.admin,
      collector: {
        image: props.metricsCollectorImage ?? DEFAULT_COLLECTOR_IMAGE,
        config: collectorConfig(ports.admin, this.prefix),
      },
      dependsOn: this.keys.grants,
    });
    this.loadBalancer = new GatewayLoadBalancer(this, 'lb', {
      project: props.project,
      region: props.region,
      namePrefix: this.prefix,
      network: props.network,
      subnetwork: props.subnetwork,
      instanceGroup: this.compute.group.instanceGroup,
      serviceAccountEmail: this.serviceAccount.email,
      ports: [ports.postgres, ports.ssh, ports.http, ports.kubernetes, ports.admin],
      healthPort: ports.admin,
    });
    this.address = this.loadBalancer.forwardingRule.ipAddress;
    this.ports = ports;
    if (!props.alertNotificationChannels?.length)
      this.alertTopic = new AlertTopic(this, 'alerts', { project: props.project, namePrefix: this.prefix });
    this.monitoring = new GatewayMonitoring(this, 'monitoring', {
      project: props.project,
      gateway: this.prefix,
      notificationChannels: props.alertNotificationChannels?.length
        ? props.alertNotificationChannels
        : [this.alertTopic!.channel.id],
      instanceGroupName: this.compute.groupName,
      instances: props.instances ?? 2,
      holdAgeAlarmSeconds: props.holdAgeAlarmSeconds ?? 300,
      deniedStatementsAlarmThreshold: props.deniedStatementsAlarmThreshold ?? 100,
    });
    for (const peer of props.allowFrom ?? []) this.allowClientsFrom(peer);
    this.node.addValidation({ validate: () => this.configProblems() });
    this.writeManifest();
  }

  /** Lets clients from `peer` reach every listener on the load balancer. */
  allowClientsFrom(peer: GcpPeer): void {
    this.loadBalancer.allowClientsFrom(peer);
  }

  /** A Cloud SQL for PostgreSQL database on private IP, reachable only through the gateway. */
  addPostgres(name: string, props: PostgresConnectionProps): WardenConnection {
    const instance = props.target.instance;
    const address =
      instance instanceof TerraformResource
        ? `${instance.terraformResourceType}.${instance.friendlyUniqueId}`
        : undefined;
    return this.addConnection(postgresConnection(name, props, address));
  }

  /** An SSH host; the gateway holds the key and pins the host key. */
  addSsh(name: string, props: SshConnectionProps): WardenConnection {
    this.gatewaySecret('ssh-host-key');
    return this.addConnection(sshConnection(name, props));
  }

  /** An HTTP API; the gateway adds the credential, clients never see it. */
  addHttp(name: string, props: HttpConnectionProps): WardenConnection {
    return this.addConnection(httpConnection(name, props));
  }

  /**
   * A GKE cluster on its private endpoint, reachable only through the gateway: kubectl and client
   * libraries use `warden kubeconfig`; the gateway holds the cluster credential and CA.
   */
  addKubernetes(name: string, props: KubernetesConnectionProps): WardenConnection {
    return this.addConnection(kubernetesConnection(name, props));
  }

  /** Lets `member` (e.g. `group:auditors@example.org`) read the audit bucket; retention still forbids changes. */
  grantAuditRead(member: string): StorageBucketIamMember {
    return new StorageBucketIamMember(this, `audit-reader-${member.replace(/[^a-zA-Z0-9]+/g, '-')}`, {
      bucket: this.storage.bucket.name,
      role: 'roles/storage.objectViewer',
      member,
    });
  }

  /**
   * A Secret Manager secret encrypted with the gateway's secrets key, for a connection's
   * credential. Add its value out of band: `gcloud secrets versions add <id> --data-file=-`.
   */
  addSecret(id: string, secretId = `${this.prefix}-${id}`): SecretManagerSecret {
    return new SecretManagerSecret(this, `secret-${id}`, {
      project: this.props.project,
      secretId,
      replication: {
        userManaged: {
          replicas: [
            {
              location: this.props.region,
              customerManagedEncryption: { kmsKeyName: this.keys.secretsKey.id },
            },
          ],
        },
      },
      labels: { 'warden-role': 'credential' },
      dependsOn: this.keys.grants,
    });
  }

  /** Lets the gateway (and only it, as far as this stack grants) read one secret. */
  grantSecretRead(input: SecretInput): void {
    const secret = selectorOf(input).secret;
    if (this.readable.includes(secret)) return;
    new SecretManagerSecretIamMember(this, `secret-reader-${this.readable.length}`, {
      project: this.props.project,
      secretId: secret.id,
      role: 'roles/secretmanager.secretAccessor',
      member: `serviceAccount:${this.serviceAccount.email}`,
    });
    this.readable.push(secret);
    this.writeManifest();
  }

  /** Shell commands that build the gateway image and push it to this gateway's registry. */
  get buildAndPushCommand(): string {
    return this.registry.buildAndPushCommand(this.image);
  }

  /** The gateway config as the VM receives it (tokens resolve at apply). */
  renderConfig(): WardenConfigInput {
    return renderGcpConfig(this.props, {
      connections: this.connections.map((c) => c.entry),
      secrets: this.secrets,
      bucket: this.storage.bucket.name,
    });
  }

  /**
   * Validates the rendered config with the gateway's own schema (deploy-time tokens replaced by
   * placeholders in a copy first) and returns it with every default filled in.
   * @throws GatewayConfigError listing each problem by the prop or connection at fault
   */
  validateConfig(): WardenConfig {
    return validateGatewayConfig(this.renderConfig(), { source: this.node.path, substitute: placeholderFor });
  }

  private configProblems(): string[] {
    try {
      this.validateConfig();
      return [];
    } catch (err) {
      const issues = (err as { issues?: readonly string[] }).issues;
      return issues ? [...issues] : [String(err)];
    }
  }

  private addConnection(c: GcpConnection): WardenConnection {
    const { name, kind, phi } = c.entry.spec;
    if (this.connections.some((x) => x.entry.spec.name === name)) {
      throw new Error(`${this.node.path}: connection "${name}" is already defined`);
    }

    this.connections.push(c);
    for (const s of c.secrets) this.grantSecretRead(s);
    const accepted = privilegedRoleAcknowledgement(this.connections.map((x) => x.entry));
    // The template carries the config the rule reads; each call replaces the previous reason.
    if (accepted) acknowledge(this.compute.template, PRIVILEGED_ROLE_RULE_ID, accepted);
    fenceTarget(this, `fence-${name}`, {
      project: this.props.project,
      namePrefix: this.prefix,
      network: this.props.network,
      serviceAccountEmail: this.serviceAccount.email,
      gatewayTag: this.tag,
      target: c.target,
    });
    this.writeManifest();
    return { name, kind, phi: phi ?? false, clientPort: this.ports[kind] };
  }

  private gatewaySecret(name: string): SecretManagerSecret {
    const existing = this.secrets.get(name);
    if (existing) return existing;
    const secret = this.addSecret(name);
    this.secrets.set(name, secret);
    this.grantSecretRead(secret);
    return secret;
  }

  /** What the compliance rules need to know about this gateway, kept beside its service account. */
  private writeManifest(): void {
    const manifest: Omit<GatewayManifest, 'address'> = {
      name: this.prefix,
      serviceAccountEmail: this.serviceAccount.email,
      tags: [this.tag],
      secrets: this.readable.map((s) => s.id),
      targets: this.connections.map((c) => c.target),
    };
    this.serviceAccount.addOverride(`//.${GATEWAY_KEY}`, manifest);
  }
}
