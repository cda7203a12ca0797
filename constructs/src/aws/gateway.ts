/**
 * WardenGateway: the Warden access gateway on ECS Fargate behind an internal Network Load Balancer,
 * with its audit storage, keys, logs and the network paths to the resources it protects.
 */
import { Aws, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { WardenConfig, WardenConfigInput } from '../core';
import {
  DEFAULT_AUDIT_DIR,
  type GatewayPolicyProps,
  PRIVILEGED_ROLE_RULE_ID,
  privilegedRoleAcknowledgement,
  renderGatewayConfig,
  SIX_YEARS_DAYS,
  validateGatewayConfig,
  type WardenConnection,
} from '../core';
import {
  type HttpConnectionProps,
  httpConnection,
  type KubernetesConnectionProps,
  kubernetesConnection,
  type PostgresConnectionProps,
  postgresConnection,
  type ResolvedConnection,
  type SshConnectionProps,
  sshConnection,
} from './connections';
import {
  addGatewayContainer,
  addGatewayLoadBalancer,
  allowListenersFrom,
  LISTENERS,
} from './gateway-container';
import { GatewaySecrets } from './gateway-secrets';
import { WardenImage } from './image';
import { createLogsKey } from './log-key';
import { addMark } from './marks';
import { GatewayOperations } from './operations';
import { acknowledgeGatewayFindings, grantSecretRead, grantStorageWrite } from './permissions';
import { substituteTokens } from './placeholders';
import { AuditStorage } from './storage';

export interface WardenGatewayProps extends GatewayPolicyProps {
  /** VPC the gateway and its targets share. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets for the tasks and the load balancer.
   * @default - the VPC's private subnets; public subnets are refused
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The gateway image.
   * @default WardenImage.fromAsset() - built at deploy from the build context shipped in this package
   */
  readonly image?: ecs.ContainerImage;
  /**
   * Task CPU units.
   * @default 1024
   */
  readonly cpu?: number;
  /**
   * Task memory.
   * @default 2048
   */
  readonly memoryLimitMiB?: number;
  /**
   * Tasks running at all times (the autoscaling minimum).
   * @default 2
   */
  readonly desiredCount?: number;
  /**
   * Upper bound for CPU autoscaling.
   * @default 3 × desiredCount
   */
  readonly maxCount?: number;
  /**
   * CPU utilization autoscaling aims for.
   * @default 60
   */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * Security groups or CIDRs clients connect from (more with `allowClientsFrom`).
   * @default - none: no client reaches the gateway until one is allowed
   */
  readonly allowFrom?: readonly ec2.IPeer[];
  /**
   * Object Lock (COMPLIANCE) retention of audit segments and recordings, in days.
   * @default 2192 (six years)
   */
  readonly auditRetentionDays?: number;
  /**
   * Retention of the gateway's CloudWatch logs.
   * @default logs.RetentionDays.SIX_YEARS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * JSON `{certificate, key}` PEM secret for the gateway's TLS listeners.
   * @default - a secret is created; put the certificate in it before the service starts
   */
  readonly tlsSecret?: secretsmanager.ISecret;
  /**
   * Where the operating alarms (audit append failures, readiness, hold age, denied spikes, task and
   * worker restarts) notify.
   * @default - an SNS topic encrypted with the gateway's key; subscribe to `operations.alarmTopic`
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Alarm when a held command has waited this long for an approver, in seconds.
   * @default 300
   */
  readonly holdAgeAlarmSeconds?: number;
  /**
   * Alarm when more statements, commands and requests than this are denied in five minutes.
   * @default 100
   */
  readonly deniedStatementsAlarmThreshold?: number;
  /**
   * The CloudWatch agent image that scrapes the gateway's metrics in each task.
   * @default - public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest
   */
  readonly metricsAgentImage?: ecs.ContainerImage;
}

/** The load balancer listener clients of each kind of connection use. */
const CLIENT_LISTENER = {
  postgres: 'Postgres',
  ssh: 'Ssh',
  http: 'Https',
  kubernetes: 'Kubernetes',
} as const;

export class WardenGateway extends Construct implements ec2.IConnectable {
  readonly key: kms.Key;
  readonly logGroup: logs.LogGroup;
  readonly auditBucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  readonly secrets: GatewaySecrets;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  /** The tasks' security group: the only source a protected target admits. */
  readonly securityGroup: ec2.SecurityGroup;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** TCP listeners: Postgres 5432, SSH 22, HTTPS 443, admin 8444. */
  readonly listeners: elbv2.NetworkListener[];
  /** Clients connect to the load balancer: allow them here (default port: Postgres). */
  readonly connections: ec2.Connections;
  /** The metrics agent, alarms (and their SNS topic) and the CloudWatch dashboard. */
  readonly operations: GatewayOperations;

  private readonly props: WardenGatewayProps;
  private readonly resolved: ResolvedConnection[] = [];
  private readonly allowedSecrets: string[] = [];
  private readonly unverifiable: string[] = [];

  constructor(scope: Construct, id: string, props: WardenGatewayProps) {
    super(scope, id);
    this.props = props;
    const desiredCount = props.desiredCount ?? 2;
    const retentionDays = props.auditRetentionDays ?? SIX_YEARS_DAYS;
    const subnets = this.privateSubnets(props.vpc, props.vpcSubnets);

    this.key = createLogsKey(this, 'Key', `Warden gateway ${this.node.path}: logs, audit storage, secrets`);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: this.key,
      retention: props.logRetention ?? logs.RetentionDays.SIX_YEARS,
    });
    const storage = new AuditStorage(this, 'AuditStorage', {
      key: this.key,
      retentionDays,
      gateway: this.node.path,
    });
    this.auditBucket = storage.bucket;
    this.accessLogBucket = storage.logBucket;
    this.secrets = new GatewaySecrets(this, 'Secrets', { key: this.key, tlsSecret: props.tlsSecret });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryLimitMiB ?? 2048,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
      volumes: [{ name: 'data' }, { name: 'tmp' }],
    });
    this.container = addGatewayContainer(this, this.taskDefinition, {
      image: props.image ?? WardenImage.fromAsset(),
      logGroup: this.logGroup,
      renderConfig: () => this.renderConfig(),
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Warden gateway tasks',
      allowAllOutbound: false,
    });
    addMark(this.securityGroup.node.defaultChild as Construct, {
      role: 'gateway-security-group',
      gateway: this.node.path,
    });
    addMark(this.securityGroup.node.defaultChild as Construct, {
      role: 'unverifiable-targets',
      gateway: this.node.path,
      connections: this.unverifiable,
    });
    // AWS APIs (Secrets Manager, KMS, S3, Logs, ECR) and the OIDC issuer's JWKS are HTTPS; in the
    // Warden network they are reached through VPC endpoints, and there is no internet route.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs and OIDC over HTTPS');

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnets },
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      enableExecuteCommand: false,
    });
    this.service
      .autoScaleTaskCount({ minCapacity: desiredCount, maxCapacity: props.maxCount ?? desiredCount * 3 })
      .scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: props.targetCpuUtilizationPercent ?? 60 });

    const lb = addGatewayLoadBalancer(this, {
      vpc: props.vpc,
      subnets,
      service: this.service,
      securityGroup: this.securityGroup,
      accessLogBucket: this.accessLogBucket,
    });
    this.loadBalancer = lb.loadBalancer;
    this.loadBalancerSecurityGroup = lb.securityGroup;
    this.listeners = lb.listeners;
    this.connections = new ec2.Connections({
      securityGroups: [this.loadBalancerSecurityGroup],
      defaultPort: ec2.Port.tcp(5432),
    });
    for (const peer of props.allowFrom ?? []) this.allowClientsFrom(peer);
    this.operations = new GatewayOperations(this, 'Operations', {
      gateway: this.node.path,
      cluster: this.cluster,
      service: this.service,
      taskDefinition: this.taskDefinition,
      logGroup: this.logGroup,
      key: this.key,
      adminTargetGroup: lb.targetGroups.Admin,
      desiredCount,
      alarmTopic: props.alarmTopic,
      holdAgeAlarmSeconds: props.holdAgeAlarmSeconds,
      deniedStatementsAlarmThreshold: props.deniedStatementsAlarmThreshold,
      agentImage: props.metricsAgentImage,
    });

    for (const s of this.secrets.all()) this.grantSecret(s);
    grantStorageWrite(this.taskDefinition.taskRole, this.auditBucket, this.key);
    addMark(this.taskDefinition.taskRole.node.defaultChild as Construct, {
      role: 'gateway-task-role',
      gateway: this.node.path,
      allowedSecrets: this.allowedSecrets,
    });
    addMark(this.taskDefinition.node.defaultChild as Construct, {
      role: 'gateway-task',
      gateway: this.node.path,
      config: () => this.validateConfig(),
    });
    acknowledgeGatewayFindings(this);
    this.node.addValidation({ validate: () => this.configErrors() });
  }

  /** Lets clients in `peer` reach every listener on the load balancer. */
  allowClientsFrom(peer: ec2.IPeer): void {
    allowListenersFrom(this.loadBalancerSecurityGroup, peer);
  }

  /** A PostgreSQL database (RDS instance or Aurora cluster) reached only through the gateway. */
  addPostgres(name: string, props: PostgresConnectionProps): WardenConnection {
    return this.addConnection(postgresConnection(name, props));
  }

  /** An SSH host reached only through the gateway. */
  addSsh(name: string, props: SshConnectionProps): WardenConnection {
    return this.addConnection(sshConnection(name, props, this.props.vpc));
  }

  /** An HTTP API reached only through the gateway. */
  addHttp(name: string, props: HttpConnectionProps): WardenConnection {
    return this.addConnection(httpConnection(name, props, this.props.vpc));
  }

  /**
   * A Kubernetes cluster (EKS, private endpoint) reached only through the gateway: kubectl and
   * client libraries use `warden kubeconfig`; the control plane admits the gateway on 443.
   */
  addKubernetes(name: string, props: KubernetesConnectionProps): WardenConnection {
    return this.addConnection(kubernetesConnection(name, props));
  }

  /** Lets `grantee` read the audit bucket (e.g. an auditor role). Object Lock still forbids changes. */
  grantAuditRead(grantee: iam.IGrantable): iam.Grant {
    return this.auditBucket.grantRead(grantee);
  }

  /** The gateway config as rendered now, with deploy-time tokens still inside. */
  renderConfig(): WardenConfigInput {
    const { identity, policy, masking, approvals, grants, phiSafeguards } = this.props;
    return renderGatewayConfig({
      identity,
      policy,
      masking,
      approvals,
      grants,
      phiSafeguards,
      connections: this.resolved.map((c) => c.entry),
      secrets: this.secrets.refs(),
      storage: [
        {
          kind: 's3',
          bucket: this.auditBucket.bucketName,
          region: Aws.REGION,
          // The gateway sets each object's retention; it must match the bucket's lock.
          retentionDays: this.props.auditRetentionDays ?? SIX_YEARS_DAYS,
        },
      ],
      auditDir: DEFAULT_AUDIT_DIR,
    });
  }

  /**
   * Validates the rendered config with the gateway's own schema (deploy-time tokens replaced by
   * placeholders in a copy first) and returns it with every default filled in.
   * @throws GatewayConfigError listing each problem by the prop or connection at fault
   */
  validateConfig(): WardenConfig {
    return validateGatewayConfig(this.renderConfig(), {
      source: this.node.path,
      substitute: substituteTokens,
    });
  }

  private configErrors(): string[] {
    try {
      this.validateConfig();
      return [];
    } catch (err) {
      const issues = (err as { issues?: readonly string[] }).issues;
      return issues ? [`Warden gateway config is invalid:\n  ${issues.join('\n  ')}`] : [String(err)];
    }
  }

  private addConnection(c: ResolvedConnection): WardenConnection {
    const { name, kind, phi } = c.entry.spec;
    if (this.resolved.some((r) => r.entry.spec.name === name)) {
      throw new Error(`${this.node.path}: a connection named "${name}" already exists`);
    }

    this.resolved.push(c);
    for (const s of c.secrets) this.grantSecret(s);
    const accepted = privilegedRoleAcknowledgement(this.resolved.map((r) => r.entry));
    // Recorded again with every accepting connection; the latest acknowledgement on a node wins.
    if (accepted)
      Validations.of(this.taskDefinition).acknowledge({ id: PRIVILEGED_ROLE_RULE_ID, reason: accepted });
    if (c.path.connectable) {
      this.securityGroup.connections.allowTo(c.path.connectable, c.path.port, `Warden → ${name}`);
      let verifiable = false;
      for (const sg of c.path.connectable.connections.securityGroups) {
        const cfn = sg.node.defaultChild;
        if (cfn instanceof ec2.CfnSecurityGroup) {
          addMark(cfn, {
            role: 'protected-target',
            gateway: this.node.path,
            connection: name,
            ...(c.path.selfIngress ? { selfIngress: true } : {}),
          });
          verifiable = true;
        }
      }
      if (!verifiable) this.unverifiable.push(name);
    } else if (c.path.peer) {
      this.securityGroup.addEgressRule(c.path.peer, c.path.port, `Warden → ${name}`);
      this.unverifiable.push(name);
    }
    if (c.cluster)
      addMark(c.cluster, { role: 'protected-cluster', gateway: this.node.path, connection: name });
    if (c.clusterUnverifiable) this.unverifiable.push(name);
    const clientPort = LISTENERS.find((l) => l.id === CLIENT_LISTENER[kind])!.lbPort;
    return { name, kind, phi: phi ?? false, clientPort };
  }

  private grantSecret(secret: secretsmanager.ISecret): void {
    grantSecretRead(this.taskDefinition.taskRole, secret);
    this.allowedSecrets.push(secret.secretArn);
  }

  /** The given selection, or private subnets with egress, or isolated ones; never public. */
  private privateSubnets(vpc: ec2.IVpc, given: ec2.SubnetSelection | undefined): ec2.ISubnet[] {
    // selectSubnets throws when the VPC has no subnet of the requested type, so ask first.
    const type =
      vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED;
    const selected = vpc.selectSubnets(given ?? { subnetType: type });
    if (selected.hasPublic) {
      throw new Error(
        `${this.node.path}: "vpcSubnets" selects public subnets; the gateway runs in private subnets only`,
      );
    }
    return selected.subnets;
  }
}
