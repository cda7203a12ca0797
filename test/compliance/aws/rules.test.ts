import { type CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { PostgresTarget } from '../../../constructs/src/aws';
import { addMark } from '../../../constructs/src/aws/marks';
import {
  EC2ProtectedTargetIngressOnlyFromGateway,
  evaluateWardenRules,
  GatewayPhiConnectionsMasked,
  GatewayPhiWritesRequireApproval,
  GatewayTlsRequired,
  GatewayUpstreamRoleLeastPrivilege,
  GatewayUpstreamTlsVerified,
  IAMGatewayTaskRoleOnlyConnectionSecrets,
  LogsRetentionSixYears,
  S3AuditStorageObjectLockCompliance,
  VPCNoPublicExposure,
  WardenChecks,
  type WardenRule,
} from '../../../constructs/src/compliance/aws';
import { validateConfig } from '../../../gateway-image/src/config';
import { buildFixture } from '../../constructs/aws/fixture';

const cfn = (c: IConstruct) => c.node.defaultChild as CfnResource;
const status = (rule: WardenRule, c: IConstruct | CfnResource) =>
  rule.evaluate((c as CfnResource).cfnResourceType ? (c as CfnResource) : cfn(c)).status;

// One compliant gateway app shared by the compliant cases.
const good = buildFixture();

describe('EC2ProtectedTargetIngressOnlyFromGateway (bypass detection)', () => {
  it('passes a database that admits only the gateway', () => {
    expect(status(EC2ProtectedTargetIngressOnlyFromGateway, good.db.connections.securityGroups[0]!)).toBe(
      'compliant',
    );
  });

  it('fails a database security group with one extra ingress rule', () => {
    const f = buildFixture();
    f.db.connections.allowDefaultPortFrom(ec2.Peer.ipv4('10.0.0.0/8'), 'a side door');
    const outcome = EC2ProtectedTargetIngressOnlyFromGateway.evaluate(
      cfn(f.db.connections.securityGroups[0]!),
    );
    expect(outcome.status).toBe('non-compliant');
    expect(outcome.message).toContain('10.0.0.0/8');
  });

  it('fails a target admitting another security group', () => {
    const f = buildFixture();
    const other = new ec2.SecurityGroup(f.stack, 'Other', { vpc: f.vpc });
    f.host.connections.allowFrom(other, ec2.Port.tcp(22));
    expect(status(EC2ProtectedTargetIngressOnlyFromGateway, f.host.connections.securityGroups[0]!)).toBe(
      'non-compliant',
    );
  });

  it('reports a target outside the app as could-not-validate, never a pass', () => {
    const f = buildFixture();
    f.gateway.addHttp('api', {
      url: 'https://api.example.org',
      credential: { type: 'bearer', token: new secretsmanager.Secret(f.stack, 'T') },
    });
    expect(status(EC2ProtectedTargetIngressOnlyFromGateway, f.gateway.securityGroup)).toBe(
      'could-not-validate',
    );
  });
});

describe('S3AuditStorageObjectLockCompliance', () => {
  it('passes the gateway audit bucket', () => {
    expect(status(S3AuditStorageObjectLockCompliance, good.gateway.auditBucket)).toBe('compliant');
  });

  it.each([
    ['governance mode', s3.ObjectLockRetention.governance(Duration.days(2192))],
    ['five years', s3.ObjectLockRetention.compliance(Duration.days(1826))],
  ])('fails an audit bucket with %s', (_name, retention) => {
    const stack = new Stack();
    const b = new s3.Bucket(stack, 'B', { versioned: true, objectLockDefaultRetention: retention });
    addMark(cfn(b), { role: 'audit-storage', gateway: 'g' });
    expect(status(S3AuditStorageObjectLockCompliance, b)).toBe('non-compliant');
  });
});

describe('LogsRetentionSixYears', () => {
  it('passes the gateway log group', () => {
    expect(status(LogsRetentionSixYears, good.gateway.logGroup)).toBe('compliant');
  });
  it('fails a log group kept one year', () => {
    const lg = new logs.LogGroup(new Stack(), 'L', { retention: logs.RetentionDays.ONE_YEAR });
    expect(status(LogsRetentionSixYears, lg)).toBe('non-compliant');
  });
});

/** A task definition marked as a gateway task with a hand-written config. */
// biome-ignore lint/suspicious/noExplicitAny: tests edit the parsed config freely to break it
function taskWithConfig(edit: (c: any) => void): CfnResource {
  const stack = new Stack();
  const td = new ecs.FargateTaskDefinition(stack, 'Td');
  const copy = JSON.parse(JSON.stringify(good.gateway.validateConfig()));
  edit(copy);
  addMark(cfn(td), { role: 'gateway-task', gateway: 'g', config: () => validateConfig(copy) });
  return cfn(td);
}

describe('config rules on the gateway task', () => {
  const task = cfn(good.gateway.taskDefinition);

  it.each([GatewayTlsRequired, GatewayPhiConnectionsMasked, GatewayPhiWritesRequireApproval])(
    '$id passes the default gateway',
    (rule) => expect(rule.evaluate(task).status).toBe('compliant'),
  );

  it('GatewayUpstreamTlsVerified fails an upstream without certificate verification', () => {
    const node = taskWithConfig((c) => {
      c.connections[0].upstream.tls.mode = 'disable';
    });
    expect(GatewayUpstreamTlsVerified.evaluate(node)).toMatchObject({
      status: 'non-compliant',
      message: expect.stringContaining('"ehr"'),
    });
  });

  it('GatewayPhiConnectionsMasked fails a PHI database with no classified columns', () => {
    const node = taskWithConfig((c) => {
      c.connections[0].classification = {};
    });
    expect(GatewayPhiConnectionsMasked.evaluate(node).status).toBe('non-compliant');
  });

  it('GatewayPhiConnectionsMasked fails a profile showing agents raw PHI', () => {
    const f = buildFixture({ masking: { profiles: [{ name: 'open', principals: {}, default: 'raw' }] } });
    expect(status(GatewayPhiConnectionsMasked, f.gateway.taskDefinition)).toBe('non-compliant');
  });

  it('GatewayPhiWritesRequireApproval fails without the PHI safeguards', () => {
    const f = buildFixture({ phiSafeguards: false });
    expect(status(GatewayPhiWritesRequireApproval, f.gateway.taskDefinition)).toBe('non-compliant');
  });

  it('GatewayPhiWritesRequireApproval fails a hold on INSERT, UPDATE and DELETE only (MERGE, COPY … FROM and DDL would run unheld)', () => {
    const node = taskWithConfig((c) => {
      const rule = c.policy.rules.find((r: { name: string }) => r.name === 'warden.phi-sql-writes');
      rule.sql = { kinds: ['insert', 'update', 'delete'] };
    });
    expect(GatewayPhiWritesRequireApproval.evaluate(node)).toMatchObject({
      status: 'non-compliant',
      message: expect.stringContaining('use sql.write: true'),
    });
  });

  it('GatewayPhiWritesRequireApproval fails an SSH hold that leaves sftp unheld', () => {
    const node = taskWithConfig((c) => {
      const rule = c.policy.rules.find((r: { name: string }) => r.name === 'warden.phi-ssh-commands');
      rule.ssh = { modes: ['exec', 'shell'] };
    });
    expect(GatewayPhiWritesRequireApproval.evaluate(node).status).toBe('non-compliant');
  });

  it('GatewayPhiWritesRequireApproval fails a hold nobody can approve', () => {
    const node = taskWithConfig((c) => {
      c.approvals.rules = [];
    });
    expect(GatewayPhiWritesRequireApproval.evaluate(node).status).toBe('non-compliant');
  });

  it('reports an invalid config as could-not-validate', () => {
    const node = taskWithConfig((c) => {
      c.version = 2;
    });
    expect(GatewayTlsRequired.evaluate(node).status).toBe('could-not-validate');
  });
});

describe('acceptPrivilegedRole on addPostgres', () => {
  const reason = 'Vendor-managed RDS: only the master role exists until the vendor ships role separation.';

  it('is acknowledged with its reason under 164.312(a)(1), and cdk-nag lets the synth pass', () => {
    const f = buildFixture();
    f.gateway.addPostgres('billing', {
      target: PostgresTarget.fromInstance(f.db),
      secret: f.db.secret!,
      databaseName: 'billing',
      classification: { 'public.invoices.card': 'custom:CARD' },
      acceptPrivilegedRole: { reason },
    });
    expect(f.gateway.validateConfig().connections.find((c) => c.name === 'billing')).toMatchObject({
      acceptPrivilegedRole: { reason },
    });
    const finding = evaluateWardenRules(f.app).find(
      (x) => x.ruleId === 'Warden-GatewayUpstreamRoleLeastPrivilege',
    );
    expect(finding).toMatchObject({
      status: 'acknowledged',
      hipaaControl: '164.312(a)(1)',
      acknowledgement: `connection "billing": ${reason}`,
      message: expect.stringContaining('"billing"'),
    });
    expect(new WardenChecks().validateScope(f.app).violations).toEqual([]);
  });

  it('is compliant without it: the gateway refuses privileged roles at connect', () => {
    expect(status(GatewayUpstreamRoleLeastPrivilege, good.gateway.taskDefinition)).toBe('compliant');
  });

  it('fails the synth when the reason is too short to judge', () => {
    const f = buildFixture();
    f.gateway.addPostgres('billing', {
      target: PostgresTarget.fromInstance(f.db),
      secret: f.db.secret!,
      databaseName: 'billing',
      acceptPrivilegedRole: { reason: 'because' },
    });
    expect(() => f.gateway.validateConfig()).toThrow(/connection "billing".*acceptPrivilegedRole/s);
  });
});

describe('load balancer listener acknowledgements', () => {
  it('each listener states its own reason', () => {
    const reasons = good.gateway.listeners.map((l) => {
      const entry = l.node.metadata.find((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
      return Object.values(entry?.data as Record<string, string>)[0];
    });
    expect(new Set(reasons).size).toBe(good.gateway.listeners.length);
    expect(reasons[1]).toMatch(/SSH is not TLS/);
    expect(reasons.filter((r) => r?.includes('Postgres negotiates TLS'))).toHaveLength(1);
  });
});

describe('VPCNoPublicExposure', () => {
  it('passes the internal load balancer and the private service', () => {
    expect(status(VPCNoPublicExposure, good.gateway.loadBalancer)).toBe('compliant');
    expect(status(VPCNoPublicExposure, good.gateway.service)).toBe('compliant');
  });
  it('fails an internet-facing load balancer and a subnet handing out public IPs', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'V', { maxAzs: 1 });
    const lb = new elbv2.NetworkLoadBalancer(stack, 'Lb', { vpc, internetFacing: true });
    expect(status(VPCNoPublicExposure, lb)).toBe('non-compliant');
    expect(status(VPCNoPublicExposure, vpc.publicSubnets[0]!)).toBe('non-compliant');
  });
  it('judges a Multi-AZ DB cluster by its own publiclyAccessible, an Aurora cluster by its instances', () => {
    const stack = new Stack();
    const multiAz = (id: string, publiclyAccessible?: boolean) =>
      new rds.CfnDBCluster(stack, id, {
        engine: 'postgres',
        dbClusterInstanceClass: 'db.m6gd.large',
        publiclyAccessible,
      });
    expect(status(VPCNoPublicExposure, multiAz('Private', false))).toBe('compliant');
    expect(status(VPCNoPublicExposure, multiAz('Public', true))).toBe('non-compliant');
    expect(status(VPCNoPublicExposure, multiAz('Unset'))).toBe('non-compliant');
    const aurora = new rds.CfnDBCluster(stack, 'Aurora', { engine: 'aurora-postgresql' });
    expect(status(VPCNoPublicExposure, aurora)).toBe('not-applicable');
  });
});

describe('IAMGatewayTaskRoleOnlyConnectionSecrets', () => {
  it('passes the gateway task role', () => {
    expect(status(IAMGatewayTaskRoleOnlyConnectionSecrets, good.gateway.taskDefinition.taskRole)).toBe(
      'compliant',
    );
  });
  it('fails a task role that can read another secret', () => {
    const f = buildFixture();
    new secretsmanager.Secret(f.stack, 'Unrelated').grantRead(f.gateway.taskDefinition.taskRole);
    expect(status(IAMGatewayTaskRoleOnlyConnectionSecrets, f.gateway.taskDefinition.taskRole)).toBe(
      'non-compliant',
    );
  });
  it('fails a task role allowed secretsmanager:* on everything', () => {
    const f = buildFixture();
    f.gateway.taskDefinition.addToTaskRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:*'], resources: ['*'] }),
    );
    expect(status(IAMGatewayTaskRoleOnlyConnectionSecrets, f.gateway.taskDefinition.taskRole)).toBe(
      'non-compliant',
    );
  });
});

describe('WardenChecks pack', () => {
  it('pins its exact rule list', () => {
    expect(new WardenChecks().ruleIds).toEqual([
      'Warden-EC2ProtectedTargetIngressOnlyFromGateway',
      'Warden-S3AuditStorageObjectLockCompliance',
      'Warden-LogsRetentionSixYears',
      'Warden-VPCNoPublicExposure',
      'Warden-IAMGatewayTaskRoleOnlyConnectionSecrets',
      'Warden-GatewayPhiConnectionsMasked',
      'Warden-GatewayUpstreamRoleLeastPrivilege',
      'Warden-GatewayPrincipalsIdentified',
      'Warden-GatewayEmergencyAccessJustInTime',
      'Warden-GatewaySessionsExpire',
      'Warden-GatewayEvidenceExportDaily',
      'Warden-GatewayPhiWritesRequireApproval',
      'Warden-GatewayAuditCheckpointsSigned',
      'Warden-GatewayOidcAuthentication',
      'Warden-GatewayUpstreamTlsVerified',
      'Warden-GatewayTlsRequired',
      'Warden-CloudWatchGatewayActivityReviewed',
    ]);
  });

  it('reports the bypass as a cdk-nag violation, and honours an acknowledgement with its reason', () => {
    const f = buildFixture();
    const dbSg = f.db.connections.securityGroups[0]!;
    f.db.connections.allowDefaultPortFrom(ec2.Peer.ipv4('10.0.0.0/8'));
    const report = new WardenChecks().validateScope(f.app);
    expect(report.violations.map((v) => v.ruleName)).toContain(
      'Warden-EC2ProtectedTargetIngressOnlyFromGateway',
    );
    Validations.of(dbSg).acknowledge({
      id: 'Warden-EC2ProtectedTargetIngressOnlyFromGateway',
      reason: 'test reason',
    });
    expect(new WardenChecks().validateScope(f.app).violations).toEqual([]);
    const finding = evaluateWardenRules(f.app).find((x) => x.resource === cfn(dbSg).node.path);
    expect(finding).toMatchObject({
      status: 'acknowledged',
      acknowledgement: 'test reason',
      hipaaControl: '164.312(a)(1)',
    });
  });

  it('finds nothing to report on the compliant fixture', () => {
    expect(new WardenChecks().validateScope(good.app).violations).toEqual([]);
  });
});
