import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { EC2ProtectedTargetIngressOnlyFromGateway } from '../../../constructs/src/compliance/aws';
import { buildFixture } from './fixture';

/** An EKS cluster (L1) whose control plane has a security group of the app. */
function withCluster(endpointPublicAccess: boolean | undefined) {
  const f = buildFixture();
  const controlPlane = new ec2.SecurityGroup(f.stack, 'ControlPlane', {
    vpc: f.vpc,
    allowAllOutbound: false,
  });
  const role = new iam.Role(f.stack, 'ClusterRole', {
    assumedBy: new iam.ServicePrincipal('eks.amazonaws.com'),
  });
  const cluster = new eks.CfnCluster(f.stack, 'Cluster', {
    roleArn: role.roleArn,
    resourcesVpcConfig: {
      subnetIds: f.vpc.isolatedSubnets.map((s) => s.subnetId),
      securityGroupIds: [controlPlane.securityGroupId],
      endpointPrivateAccess: true,
      ...(endpointPublicAccess === undefined ? {} : { endpointPublicAccess }),
    },
  });
  const connection = f.gateway.addKubernetes('clinic', {
    endpoint: cluster.attrEndpoint,
    controlPlane,
    cluster,
    credential: { type: 'bearer', token: new secretsmanager.Secret(f.stack, 'SaToken') },
    caCertificate: new secretsmanager.Secret(f.stack, 'ClusterCa'),
    phiNamespaces: ['clinical'],
  });
  return { f, controlPlane, cluster, connection };
}

describe('WardenGateway.addKubernetes (EKS, private endpoint)', () => {
  const { f, controlPlane, cluster, connection } = withCluster(false);

  it('returns the connection on the Kubernetes listener and renders it into the validated config', () => {
    expect(connection).toEqual({ name: 'clinic', kind: 'kubernetes', phi: true, clientPort: 6443 });
    const config = f.gateway.validateConfig();
    expect(config.listeners.kubernetes).toMatchObject({ port: 6443 });
    const c = config.connections.find((x) => x.name === 'clinic');
    expect(c).toMatchObject({
      kind: 'kubernetes',
      phiNamespaces: ['clinical'],
      upstream: {
        url: 'https://deploy-time-value.invalid',
        tls: { mode: 'verify-full' },
        credential: { type: 'bearer' },
      },
    });
    // The PHI safeguard holds every write verb (exec is create on pods/exec) on the cluster.
    expect(config.policy.rules.find((r) => r.name === 'warden.phi-kubernetes-changes')).toMatchObject({
      decision: 'require-approval',
      connections: ['clinic'],
      kubernetes: { verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
    });
  });

  it('opens the control plane to the gateway on 443 and a 6443 listener on the load balancer', () => {
    const t = Template.fromStack(f.stack);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      GroupId: f.stack.resolve(controlPlane.securityGroupId),
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 6443, Protocol: 'TCP' });
  });

  it('grants the gateway read on the cluster token and CA secrets', () => {
    const policies = JSON.stringify(Template.fromStack(f.stack).findResources('AWS::IAM::Policy'));
    expect(policies).toContain('SaToken');
    expect(policies).toContain('ClusterCa');
  });

  it('passes the bypass rule for a private endpoint and a control plane admitting only the gateway (and itself)', () => {
    controlPlane.connections.allowFrom(controlPlane, ec2.Port.tcp(443), 'nodes of the cluster');
    expect(EC2ProtectedTargetIngressOnlyFromGateway.evaluate(cluster).status).toBe('compliant');
    expect(
      EC2ProtectedTargetIngressOnlyFromGateway.evaluate(
        controlPlane.node.defaultChild as ec2.CfnSecurityGroup,
      ).status,
    ).toBe('compliant');
  });
});

describe('bypass rule on Kubernetes connections', () => {
  it.each([
    [true, 'public API endpoint'],
    [undefined, 'EKS default'],
  ])('fails a cluster whose endpoint is public (endpointPublicAccess %s)', (access, why) => {
    const { cluster } = withCluster(access);
    const outcome = EC2ProtectedTargetIngressOnlyFromGateway.evaluate(cluster);
    expect(outcome.status).toBe('non-compliant');
    expect(outcome.message).toContain(why);
  });

  it('fails a control plane admitting a CIDR besides the gateway', () => {
    const { controlPlane } = withCluster(false);
    controlPlane.addIngressRule(ec2.Peer.ipv4('10.0.0.0/8'), ec2.Port.tcp(443), 'a side door');
    const outcome = EC2ProtectedTargetIngressOnlyFromGateway.evaluate(
      controlPlane.node.defaultChild as ec2.CfnSecurityGroup,
    );
    expect(outcome.status).toBe('non-compliant');
    expect(outcome.message).toContain('10.0.0.0/8');
  });

  it('reports a cluster given without its resource as could-not-validate', () => {
    const f = buildFixture();
    const controlPlane = new ec2.SecurityGroup(f.stack, 'Cp', { vpc: f.vpc });
    f.gateway.addKubernetes('imported', {
      endpoint: 'https://10.0.0.10',
      controlPlane,
      credential: { type: 'bearer', token: new secretsmanager.Secret(f.stack, 'Tok') },
      caCertificate: new secretsmanager.Secret(f.stack, 'Ca'),
    });
    expect(
      EC2ProtectedTargetIngressOnlyFromGateway.evaluate(
        f.gateway.securityGroup.node.defaultChild as ec2.CfnSecurityGroup,
      ).status,
    ).toBe('could-not-validate');
  });
});
