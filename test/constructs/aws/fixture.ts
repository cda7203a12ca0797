/** A small app with a gateway and one target of each kind, shared by the AWS tests. */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PostgresTarget, WardenGateway, type WardenGatewayProps } from '../../../constructs/src/aws';

export interface Fixture {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly gateway: WardenGateway;
  readonly db: rds.DatabaseInstance;
  readonly host: ec2.Instance;
}

export const identity = {
  issuers: [{ issuer: 'https://idp.example.org', audiences: ['warden'] }],
  agentGroups: ['agents'],
  approverGroups: ['approvers'],
};

export function buildFixture(over: Partial<WardenGatewayProps> = {}): Fixture {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'T');
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const gateway = new WardenGateway(stack, 'Gw', {
    vpc,
    identity,
    image: ecs.ContainerImage.fromRegistry('warden:test'),
    ...over,
  });
  const db = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('warden_gateway'),
  });
  gateway.addPostgres('ehr', {
    target: PostgresTarget.fromInstance(db),
    secret: db.secret!,
    databaseName: 'ehr',
    user: 'warden_gateway',
    classification: { 'public.patients.ssn': 'SSN' },
  });
  const host = new ec2.Instance(stack, 'Host', {
    vpc,
    instanceType: new ec2.InstanceType('t3.micro'),
    machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-12345678' }),
  });
  gateway.addSsh('batch', {
    host: host.instancePrivateIp,
    hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest',
    privateKey: new secretsmanager.Secret(stack, 'SshKey'),
    target: host,
  });
  return { app, stack, vpc, gateway, db, host };
}
