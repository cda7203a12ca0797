/**
 * A complete Warden deployment on AWS: a compliant network, an RDS PostgreSQL database holding
 * PHI, an HTTP API, an SSH host, and the gateway in front of all three. Copy and adapt.
 */

import { PostgresTarget, WardenGateway, WardenNetwork } from '@warden/constructs/aws';
import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

export interface WardenExampleStackProps extends StackProps {
  /** @default - built from the build context shipped in @warden/constructs */
  readonly image?: ecs.ContainerImage;
}

export class WardenExampleStack extends Stack {
  readonly gateway: WardenGateway;
  readonly database: rds.DatabaseInstance;

  constructor(scope: Construct, id: string, props: WardenExampleStackProps = {}) {
    super(scope, id, props);
    const { vpc } = new WardenNetwork(this, 'Network');
    const key = new kms.Key(this, 'DataKey', { description: 'PHI data at rest', enableKeyRotation: true });

    this.database = new rds.DatabaseInstance(this, 'Ehr', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromGeneratedSecret('warden_gateway', { encryptionKey: key }),
      storageEncrypted: true,
      storageEncryptionKey: key,
      multiAz: true,
      deletionProtection: true,
      backupRetention: Duration.days(35),
      monitoringInterval: Duration.seconds(60),
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      iamAuthentication: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      parameters: { 'rds.force_ssl': '1' },
    });
    this.database.addRotationSingleUser();

    const sshHost = new ec2.Instance(this, 'Bastion', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
      machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }),
      requireImdsv2: true,
      detailedMonitoring: true,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true }) }],
    });
    const sshKey = new secretsmanager.Secret(this, 'SshKey', {
      description: 'Private key the gateway uses on the clinical batch host',
      encryptionKey: key,
    });
    const apiToken = new secretsmanager.Secret(this, 'LabApiToken', {
      description: 'Bearer token for the lab results API',
      encryptionKey: key,
    });

    this.gateway = new WardenGateway(this, 'Gateway', {
      vpc,
      image: props.image,
      identity: {
        issuers: [{ issuer: 'https://idp.hospital.example/realms/clinical', audiences: ['warden'] }],
        agentGroups: ['ai-agents'],
        approverGroups: ['data-stewards'],
        adminGroups: ['warden-admins'],
      },
      masking: {
        profiles: [
          { name: 'agents', principals: { kinds: ['agent'] }, default: 'redact', entities: { MRN: 'token' } },
        ],
      },
      allowFrom: [ec2.Peer.ipv4('10.40.0.0/16')],
    });
    this.gateway.addPostgres('ehr', {
      target: PostgresTarget.fromInstance(this.database),
      secret: this.database.secret!,
      databaseName: 'ehr',
      user: 'warden_gateway',
      phi: true,
      classification: {
        'public.patients.ssn': 'SSN',
        'public.patients.mrn': 'MRN',
        'public.patients.dob': 'DOB',
        'public.patients.*': 'NAME',
      },
    });
    this.gateway.addHttp('labs', {
      url: 'https://labs.hospital.example/api',
      credential: { type: 'bearer', token: apiToken },
      phi: true,
      peer: ec2.Peer.ipv4('10.50.0.0/16'),
    });
    this.gateway.addSsh('batch', {
      host: sshHost.instancePrivateDnsName,
      hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleHostKeyReplaceWithTheRealOne',
      privateKey: sshKey,
      user: 'warden',
      phi: true,
      target: sshHost,
    });
    this.acknowledge(sshHost, sshKey, apiToken);
  }

  /** Each acknowledgement sits next to the resource it concerns, with the reason a reviewer needs. */
  private acknowledge(
    sshHost: ec2.Instance,
    sshKey: secretsmanager.Secret,
    apiToken: secretsmanager.Secret,
  ): void {
    Validations.of(this.gateway.securityGroup).acknowledge({
      id: 'Warden-EC2ProtectedTargetIngressOnlyFromGateway',
      reason:
        'The lab results API (connection "labs") runs in the lab network 10.50.0.0/16, outside this account; its ingress allow-list admitting only this VPC is attested in the lab vendor BAA, not checkable here.',
    });
    for (const s of [sshKey, apiToken]) {
      Validations.of(s).acknowledge(
        {
          id: 'AwsSolutions-SMG4',
          reason:
            'Rotated by the issuing system (host key ceremony / lab vendor portal), which Secrets Manager cannot drive.',
        },
        {
          id: 'HIPAA.Security-SecretsManagerRotationEnabled',
          reason: 'Rotated by the issuing system, which Secrets Manager cannot drive.',
        },
      );
    }
    const db = this.database;
    const dbSecurityGroup = db.connections.securityGroups[0]!;
    Validations.of(dbSecurityGroup).acknowledge({
      id: 'Warden-EC2ProtectedTargetIngressOnlyFromGateway',
      reason:
        "The only other ingress is the Secrets Manager rotation function for the gateway role's password (RotationSingleUser); it changes that password and runs no queries.",
    });
    const rotationIngress = dbSecurityGroup.node.children.find((c) =>
      c.node.id.includes('RotationSingleUser'),
    );
    if (rotationIngress) {
      for (const id of ['HIPAA.Security-EC2RestrictedCommonPorts', 'HIPAA.Security-EC2RestrictedSSH']) {
        Validations.of(rotationIngress).acknowledge({
          id,
          reason:
            "Source is the rotation function's security group and the port is the database port (a deploy-time value), not a CIDR.",
        });
      }
    }
    Validations.of(db).acknowledge(
      {
        id: 'HIPAA.Security-RDSInBackupPlan',
        reason:
          "Automated backups are kept 35 days here; the organisation's AWS Backup plan is applied from the delegated backup account by tag.",
      },
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'A non-default port is obscurity, not a control: the database admits only the gateway (Warden-EC2ProtectedTargetIngressOnlyFromGateway).',
      },
    );
    const monitoringRole = db.node.tryFindChild('MonitoringRole');
    if (monitoringRole) {
      Validations.of(monitoringRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        reason: 'RDS Enhanced Monitoring requires this AWS-managed service role policy.',
      });
    }
    Validations.of(sshHost).acknowledge(
      {
        id: 'AwsSolutions-EC29',
        reason: 'The batch host is cattle: rebuilt from its AMI, termination protection would block that.',
      },
      {
        id: 'HIPAA.Security-EC2InstanceProfileAttached',
        reason: 'Example host; attach an instance profile when the host needs AWS APIs.',
      },
    );
  }
}
