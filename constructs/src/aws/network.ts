/**
 * WardenNetwork: a VPC for teams without a compliant one. Private isolated subnets only (no
 * internet gateway, no NAT, so no internet route and no public IPs), flow logs of all traffic to an
 * encrypted log group kept six years, the default security group closed, and VPC endpoints for the
 * AWS APIs the gateway uses.
 */
import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createLogsKey } from './log-key';

export interface WardenNetworkProps {
  /**
   * Address range of the VPC.
   * @default '10.40.0.0/16'
   */
  readonly cidr?: string;
  /**
   * Availability zones to spread the private subnets over.
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * Retention of the VPC flow logs.
   * @default logs.RetentionDays.SIX_YEARS
   */
  readonly flowLogRetention?: logs.RetentionDays;
}

/** Interface endpoints an ECS task with a read-only view of AWS needs: image pull, logs, secrets, keys. */
const INTERFACE_ENDPOINTS = {
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
} as const;

export class WardenNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly flowLogKey: kms.Key;
  readonly flowLogGroup: logs.LogGroup;
  readonly endpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: WardenNetworkProps = {}) {
    super(scope, id);
    const cidr = props.cidr ?? '10.40.0.0/16';
    this.flowLogKey = createLogsKey(this, 'FlowLogKey', `Warden network ${this.node.path}: flow logs`);
    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: this.flowLogKey,
      retention: props.flowLogRetention ?? logs.RetentionDays.SIX_YEARS,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      maxAzs: props.maxAzs ?? 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      createInternetGateway: false,
      restrictDefaultSecurityGroup: true,
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    const flowLogRole = this.vpc.node.tryFindChild('all')?.node.tryFindChild('IAMRole');
    if (flowLogRole) {
      Validations.of(flowLogRole).acknowledge({
        id: 'HIPAA.Security-IAMNoInlinePolicy',
        reason: 'Generated policy letting VPC Flow Logs write to this one log group; not reusable by design.',
      });
    }
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    // One security group for all endpoints, admitting HTTPS from the VPC's literal CIDR: a CIDR
    // token (the default) cannot be checked at synth and reads as "open" to the rule packs.
    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'VPC interface endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        privateDnsEnabled: true,
        open: false,
        securityGroups: [this.endpointSecurityGroup],
      });
    }
  }
}
