import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PostgresTarget, WardenGateway, WardenImage, WardenNetwork } from '../../../constructs/src/aws';
import { buildFixture, identity } from './fixture';

describe('WardenGateway template', () => {
  const f = buildFixture();
  f.gateway.addHttp('labs', {
    url: 'https://labs.example.org/api',
    credential: { type: 'bearer', token: new secretsmanager.Secret(f.stack, 'LabToken') },
  });
  const t = Template.fromStack(f.stack);

  it('runs a hardened container: read-only root, non-root, no capabilities, not privileged', () => {
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          Name: 'gateway',
          Essential: true,
          ReadonlyRootFilesystem: true,
          User: '10001:10001',
          Privileged: false,
          LinuxParameters: Match.objectLike({ Capabilities: { Drop: ['ALL'] } }),
          Command: ['gateway', '--config-env', 'WARDEN_CONFIG_JSON'],
          Environment: [Match.objectLike({ Name: 'WARDEN_CONFIG_JSON' })],
        }),
      ]),
    });
  });

  it('enables Container Insights, the circuit breaker, two private tasks and CPU autoscaling', () => {
    t.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    t.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 2,
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 6,
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
  });

  it('fronts it with an internal NLB: TCP listeners, access logs, deletion protection', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internal',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    const listeners = t.findResources('AWS::ElasticLoadBalancingV2::Listener');
    expect(Object.values(listeners).map((l) => [l.Properties.Port, l.Properties.Protocol])).toEqual([
      [5432, 'TCP'],
      [22, 'TCP'],
      [443, 'TCP'],
      [6443, 'TCP'],
      [8444, 'TCP'],
    ]);
  });

  it('admits no client until one is declared', () => {
    const lbSg = f.gateway.loadBalancerSecurityGroup.node.defaultChild as ec2.CfnSecurityGroup;
    expect(f.stack.resolve(lbSg.securityGroupIngress)).toBeUndefined();
  });

  it('encrypts logs with a rotating key and keeps them six years', () => {
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 2192, KmsKeyId: Match.anyValue() });
  });

  it('stores audit segments under Object Lock COMPLIANCE for six years, versioned, KMS, private, logged', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2192 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps its TLS certificate and signing keys in KMS-encrypted secrets', () => {
    const secrets = Object.keys(
      t.findResources('AWS::SecretsManager::Secret', { Properties: { KmsKeyId: Match.anyValue() } }),
    );
    expect(secrets.filter((id) => id.startsWith('GwSecrets'))).toHaveLength(3);
  });

  it('grants GetSecretValue on exactly each connection secret, and opens exactly the database port', () => {
    const dbSecret = f.stack.resolve(f.db.secret!.secretArn);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: dbSecret },
        ]),
      },
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: f.stack.resolve(f.db.connections.securityGroups[0]!.securityGroupId),
      SourceSecurityGroupId: f.stack.resolve(f.gateway.securityGroup.securityGroupId),
      FromPort: 5432,
      ToPort: 5432,
    });
  });

  it('renders every connection into the config', () => {
    expect(f.gateway.validateConfig().connections.map((c) => [c.name, c.kind, c.phi])).toEqual([
      ['ehr', 'postgres', true],
      ['batch', 'ssh', true],
      ['labs', 'http', true],
    ]);
  });
});

describe('WardenGateway props', () => {
  it('admits declared clients on every listener port, and nothing else', () => {
    const f = buildFixture({ allowFrom: [ec2.Peer.ipv4('10.9.0.0/16')] });
    const lbSg = f.gateway.loadBalancerSecurityGroup.node.defaultChild as ec2.CfnSecurityGroup;
    const rules = f.stack.resolve(lbSg.securityGroupIngress) as { cidrIp: string; fromPort: number }[];
    expect(rules.map((r) => [r.cidrIp, r.fromPort])).toEqual([
      ['10.9.0.0/16', 5432],
      ['10.9.0.0/16', 22],
      ['10.9.0.0/16', 443],
      ['10.9.0.0/16', 6443],
      ['10.9.0.0/16', 8444],
    ]);
  });

  it('is safe with no optional props', () => {
    const stack = new Stack(new App());
    const vpc = new WardenNetwork(stack, 'Net').vpc;
    // The one optional prop given: the default image is the build context of the packed library,
    // which the consumer test (test/consumer) synthesizes; here the package is not built.
    const image = WardenImage.fromRegistry('warden:test');
    const gw = new WardenGateway(stack, 'Gw', { vpc, image, identity: { issuers: identity.issuers } });
    expect(gw.node.validate()).toEqual([]);
    expect(gw.validateConfig().policy.default).toBe('deny');
  });

  it('fails synth with a message naming the prop of a bad policy rule', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Bad');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 1 });
    new WardenGateway(stack, 'Gw', {
      vpc,
      identity,
      image: ecs.ContainerImage.fromRegistry('warden:test'),
      policy: { rules: [{ name: 'writes', decision: 'hold' as 'deny' }] },
    });
    expect(() => app.synth()).toThrow(/Bad\/Gw[\s\S]*prop policy\.rules\[0\]\.decision: expected one of/);
  });

  it('returns the connection handle from every add… method, as on GCP', () => {
    const f = buildFixture();
    const api = f.gateway.addHttp('docs', {
      url: 'https://docs.example.org',
      credential: { type: 'header', name: 'X-Api-Key', value: new secretsmanager.Secret(f.stack, 'Key') },
      phi: false,
    });
    expect(api).toEqual({ name: 'docs', kind: 'http', phi: false, clientPort: 443 });
    expect(f.gateway.validateConfig().connections.find((c) => c.name === 'docs')?.upstream).toMatchObject({
      credential: { type: 'header', name: 'X-Api-Key' },
    });
  });

  it('brokers more Postgres roles by user name, granting read on exactly their secrets', () => {
    const f = buildFixture();
    const reader = new secretsmanager.Secret(f.stack, 'Reader');
    f.gateway.addPostgres('ehr-roles', {
      target: PostgresTarget.fromInstance(f.db),
      secret: f.db.secret!,
      databaseName: 'ehr',
      user: 'warden_gateway',
      roles: [
        {
          user: 'reader',
          password: { secret: reader, jsonKey: 'password' },
          principals: { kinds: ['agent'] },
        },
      ],
    });
    const conn = f.gateway.validateConfig().connections.find((c) => c.name === 'ehr-roles');
    expect(conn).toMatchObject({
      roles: [
        {
          user: 'reader',
          password: expect.stringMatching(/^aws-secretsmanager:.+#password$/),
          principals: { kinds: ['agent'] },
        },
      ],
    });
    Template.fromStack(f.stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'secretsmanager:GetSecretValue',
            Effect: 'Allow',
            Resource: f.stack.resolve(reader.secretArn),
          },
        ]),
      },
    });
  });

  it('rejects an SSH host with both a key and a password, naming both', () => {
    const f = buildFixture();
    const s = new secretsmanager.Secret(f.stack, 'Both');
    expect(() =>
      f.gateway.addSsh('h', { host: 'h', hostKey: 'ssh-ed25519 AAAA', privateKey: s, password: s }),
    ).toThrow('connection "h": give exactly one of "privateKey" and "password"');
  });
});
