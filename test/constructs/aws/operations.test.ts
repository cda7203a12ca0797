/**
 * What WardenGateway deploys to operate the gateway on AWS: the CloudWatch agent beside the
 * gateway in each task, load balancer health checks on /readyz, alarms with SNS actions on each
 * operating signal, the dashboard, and the compliance rule that checks them under
 * § 164.308(a)(1)(ii)(D).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { WardenGateway } from '../../../constructs/src/aws';
import { evaluateWardenRules } from '../../../constructs/src/compliance/aws';
import { buildFixture, identity } from './fixture';

const statusOf = (f: ReturnType<typeof buildFixture>) =>
  evaluateWardenRules(f.app).find((x) => x.ruleId === 'Warden-CloudWatchGatewayActivityReviewed');

describe('WardenGateway operations', () => {
  const f = buildFixture({ holdAgeAlarmSeconds: 600 });
  const t = Template.fromStack(f.stack);

  it('runs a non-essential CloudWatch agent that scrapes /metrics on the task loopback into the log group', () => {
    const agent = t.findResources('AWS::ECS::TaskDefinition');
    const containers = Object.values(agent)[0]!.Properties.ContainerDefinitions as {
      Name: string;
      Essential: boolean;
      Environment: { Name: string; Value: unknown }[];
    }[];
    const sidecar = containers.find((c) => c.Name === 'metrics-agent')!;
    expect(sidecar.Essential).toBe(false);
    const env = Object.fromEntries(sidecar.Environment.map((e) => [e.Name, e.Value]));
    expect(env.PROMETHEUS_CONFIG_CONTENT).toContain("targets: ['127.0.0.1:8444']");
    expect(env.PROMETHEUS_CONFIG_CONTENT).toContain('metrics_path: /metrics');
    expect(JSON.stringify(env.CW_CONFIG_CONTENT)).toContain('warden_statements_total');
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          }),
        ]),
      },
    });
  });

  it('takes a task out of every target group while /readyz says not ready', () => {
    const groups = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    // Postgres, SSH, HTTPS, Kubernetes and admin.
    expect(groups).toHaveLength(5);
    for (const g of groups) {
      expect(g.Properties).toMatchObject({
        HealthCheckProtocol: 'HTTPS',
        HealthCheckPort: '8444',
        HealthCheckPath: '/readyz',
        Matcher: { HttpCode: '200' },
      });
    }
  });

  it('alarms on audit failures, readiness, hold age, denied spikes and restarts, each notifying the topic', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const byMetric = (name: string) => alarms.find((a) => a.MetricName === name);
    expect(byMetric('warden_audit_append_failures_total')).toMatchObject({
      Namespace: 'Warden',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(byMetric('warden_ready')).toMatchObject({ Statistic: 'Minimum', TreatMissingData: 'breaching' });
    expect(byMetric('warden_approval_oldest_hold_seconds')).toMatchObject({ Threshold: 600 });
    expect(byMetric('warden_statements_total')).toMatchObject({
      Dimensions: [
        { Name: 'Gateway', Value: Match.anyValue() },
        { Name: 'decision', Value: 'deny' },
      ].map((d) => expect.objectContaining({ Name: d.Name })),
      Period: 300,
      Threshold: 100,
    });
    expect(byMetric('RunningTaskCount')).toMatchObject({ Namespace: 'ECS/ContainerInsights', Threshold: 2 });
    expect(byMetric('warden_worker_restarts_total')).toBeDefined();
    const topic = Object.keys(t.findResources('AWS::SNS::Topic'))[0]!;
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topic }]);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('puts the signals on one dashboard', () => {
    const body = JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties);
    for (const name of [
      'warden_sessions_open',
      'warden_statements_total',
      'warden_approval_holds_pending',
      'warden_audit_checkpoint_age_seconds',
      'warden_audit_upload_backlog',
      'process_resident_memory_bytes',
      'UnHealthyHostCount',
    ])
      expect(body).toContain(name);
  });

  it('notifies a topic of your own, and the compliance rule passes', () => {
    expect(statusOf(f)?.status).toBe('compliant');
    const stack = new Stack(new App(), 'Own');
    const pager = new sns.Topic(stack, 'Pager');
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const gw = new WardenGateway(stack, 'Gw', {
      vpc,
      identity,
      image: ecs.ContainerImage.fromRegistry('warden:test'),
      alarmTopic: pager,
    });
    expect(gw.operations.alarmTopic).toBe(pager);
    const own = Template.fromStack(stack);
    own.resourceCountIs('AWS::SNS::Topic', 1);
    for (const a of Object.values(own.findResources('AWS::CloudWatch::Alarm')))
      expect(a.Properties.AlarmActions).toEqual([
        { Ref: stack.getLogicalId(pager.node.defaultChild as never) },
      ]);
  });

  it('fails the compliance rule when an alarm loses its action', () => {
    const g = buildFixture();
    const alarm = g.gateway.operations.alarms['hold-age'].node.defaultChild as { alarmActions?: string[] };
    alarm.alarmActions = [];
    expect(statusOf(g)).toMatchObject({
      status: 'non-compliant',
      hipaaControl: '164.308(a)(1)(ii)(D)',
      message: expect.stringContaining('hold-age'),
    });
  });
});
