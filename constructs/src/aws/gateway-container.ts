/**
 * The gateway's container definition and the load balancer listeners in front of it. These are
 * functions over the WardenGateway's own scope rather than a child construct, so construct paths,
 * and with them every logical ID in deployed templates, are the same as when they lived inline.
 */
import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { WardenConfigInput } from '../core';
import { DEFAULT_PORTS } from '../core';
import { enableNlbAccessLogs } from './storage';

/** Ports clients use on the load balancer → ports the gateway listens on in the task. */
export const LISTENERS = [
  { id: 'Postgres', lbPort: 5432, taskPort: DEFAULT_PORTS.postgres },
  { id: 'Ssh', lbPort: 22, taskPort: DEFAULT_PORTS.ssh },
  { id: 'Https', lbPort: 443, taskPort: DEFAULT_PORTS.http },
  { id: 'Kubernetes', lbPort: 6443, taskPort: DEFAULT_PORTS.kubernetes },
  { id: 'Admin', lbPort: DEFAULT_PORTS.admin, taskPort: DEFAULT_PORTS.admin },
] as const;

const CONTAINER = 'gateway';
const UID = '10001:10001';

export interface GatewayContainerOptions {
  readonly image: ecs.ContainerImage;
  readonly logGroup: logs.ILogGroup;
  /** Called at synth, after every connection has been added. */
  readonly renderConfig: () => WardenConfigInput;
}

/** The hardened gateway container: read-only root, non-root user, no capabilities, health check. */
export function addGatewayContainer(
  scope: Construct,
  taskDefinition: ecs.FargateTaskDefinition,
  options: GatewayContainerOptions,
): ecs.ContainerDefinition {
  const linuxParameters = new ecs.LinuxParameters(scope, 'Linux', { initProcessEnabled: true });
  // Fargate cannot set no-new-privileges; a non-root user with every capability dropped has no
  // privilege to escalate to.
  linuxParameters.dropCapabilities(ecs.Capability.ALL);
  const container = taskDefinition.addContainer(CONTAINER, {
    image: options.image,
    command: ['gateway', '--config-env', 'WARDEN_CONFIG_JSON'],
    environment: {
      // Secret references (ARNs) only, never secret values; tokens resolve at deploy.
      WARDEN_CONFIG_JSON: Lazy.string({
        produce: () => Stack.of(scope).toJsonString(options.renderConfig()),
      }),
    },
    logging: ecs.LogDrivers.awsLogs({ logGroup: options.logGroup, streamPrefix: 'gateway' }),
    readonlyRootFilesystem: true,
    user: UID,
    privileged: false,
    linuxParameters,
    portMappings: LISTENERS.map((l) => ({ containerPort: l.taskPort, protocol: ecs.Protocol.TCP })),
    healthCheck: {
      // Liveness (/healthz): the process answers. Readiness (/readyz) is the load balancer's check;
      // a task that is up but not ready is taken out of rotation, not restarted. Only node is in the image.
      command: [
        'CMD',
        'node',
        '-e',
        `require('https').get({host:'127.0.0.1',port:${DEFAULT_PORTS.admin},path:'/healthz',rejectUnauthorized:false},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`,
      ],
      interval: Duration.seconds(30),
      timeout: Duration.seconds(5),
      startPeriod: Duration.seconds(30),
    },
  });
  // The root filesystem is read-only: audit segments, recordings and temp files need volumes.
  container.addMountPoints(
    { sourceVolume: 'data', containerPath: '/var/lib/warden', readOnly: false },
    { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
  );
  return container;
}

export interface GatewayLoadBalancerOptions {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.ISubnet[];
  readonly service: ecs.FargateService;
  /** The tasks' group: admits each task port from the load balancer's group only. */
  readonly securityGroup: ec2.SecurityGroup;
  readonly accessLogBucket: s3.Bucket;
}

export interface GatewayLoadBalancer {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly securityGroup: ec2.SecurityGroup;
  readonly listeners: elbv2.NetworkListener[];
  /** Target groups by listener id (Postgres, Ssh, Https, Admin). */
  readonly targetGroups: Record<(typeof LISTENERS)[number]['id'], elbv2.NetworkTargetGroup>;
}

/**
 * The internal NLB with one TCP listener per protocol, each forwarding to the matching port of the
 * gateway container. Its security group starts empty: clients are admitted by `allowListenersFrom`.
 */
export function addGatewayLoadBalancer(
  scope: Construct,
  options: GatewayLoadBalancerOptions,
): GatewayLoadBalancer {
  const securityGroup = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
    vpc: options.vpc,
    description: 'Warden gateway load balancer: declared clients only',
    allowAllOutbound: false,
  });
  const loadBalancer = new elbv2.NetworkLoadBalancer(scope, 'LoadBalancer', {
    vpc: options.vpc,
    vpcSubnets: { subnets: options.subnets },
    internetFacing: false,
    deletionProtection: true,
    crossZoneEnabled: true,
    securityGroups: [securityGroup],
  });
  // NLB writes access logs only for TLS listeners; these listeners are TCP because Postgres
  // negotiates TLS inside its own protocol, so the gateway's audit log is the per-connection record.
  // logAccessLogs() needs a concrete region (for ALB account ids); NLB delivery is region-agnostic.
  enableNlbAccessLogs(loadBalancer, options.accessLogBucket, 'nlb');
  const targetGroups = {} as GatewayLoadBalancer['targetGroups'];
  const listeners = LISTENERS.map((l) => {
    const listener = loadBalancer.addListener(l.id, { port: l.lbPort, protocol: elbv2.Protocol.TCP });
    targetGroups[l.id] = listener.addTargets(l.id, {
      port: l.taskPort,
      protocol: elbv2.Protocol.TCP,
      targets: [options.service.loadBalancerTarget({ containerName: CONTAINER, containerPort: l.taskPort })],
      // Every protocol is served only while the gateway is ready: it can audit, reach its approvals
      // store and resolve its connections' secrets (/readyz on the admin port, no credential needed).
      healthCheck: {
        protocol: elbv2.Protocol.HTTPS,
        port: String(DEFAULT_PORTS.admin),
        path: '/readyz',
        healthyHttpCodes: '200',
      },
    });
    options.securityGroup.connections.allowFrom(securityGroup, ec2.Port.tcp(l.taskPort));
    return listener;
  });
  return { loadBalancer, securityGroup, listeners, targetGroups };
}

/** Lets clients in `peer` reach every listener on the load balancer. */
export function allowListenersFrom(loadBalancerSecurityGroup: ec2.SecurityGroup, peer: ec2.IPeer): void {
  for (const l of LISTENERS) {
    loadBalancerSecurityGroup.addIngressRule(peer, ec2.Port.tcp(l.lbPort), `Warden clients (${l.id})`);
  }
}
