/**
 * Operating the gateway on AWS: a CloudWatch agent beside the gateway in each task scrapes its
 * /metrics over the task's loopback (the gateway serves metrics to loopback only by default) and
 * writes them to CloudWatch as embedded-metric-format logs in the gateway's log group; alarms on
 * the signals an operator must act on notify an SNS topic; one dashboard shows them all. The
 * agent is not essential: if it fails, the gateway goes on and the missing data raises the
 * readiness alarm.
 */
import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DEFAULT_PORTS } from '../core';
import { addMark } from './marks';

/** Where the agent publishes: every metric carries the `Gateway` dimension. */
export const METRICS_NAMESPACE = 'Warden';

/** The signals an alarm must watch (the compliance rule checks each has one with an action). */
export const ALARM_SIGNALS = [
  'audit-append-failures',
  'not-ready',
  'hold-age',
  'denied-spike',
  'task-restarts',
] as const;
export type AlarmSignal = (typeof ALARM_SIGNALS)[number];

/** The public CloudWatch agent image; pin a digest with `metricsAgentImage`. */
export const DEFAULT_AGENT_IMAGE = 'public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest';

export interface GatewayOperationsProps {
  /** The gateway construct's path (marks tie alarms to it). */
  readonly gateway: string;
  readonly cluster: ecs.ICluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly logGroup: logs.ILogGroup;
  readonly key: kms.IKey;
  /** The admin listener's target group: its health check is /readyz. */
  readonly adminTargetGroup: elbv2.NetworkTargetGroup;
  readonly desiredCount: number;
  /** @default - a topic encrypted with `key` */
  readonly alarmTopic?: sns.ITopic;
  /** @default 300 */
  readonly holdAgeAlarmSeconds?: number;
  /** @default 100 */
  readonly deniedStatementsAlarmThreshold?: number;
  /** @default DEFAULT_AGENT_IMAGE */
  readonly agentImage?: ecs.ContainerImage;
}

export class GatewayOperations extends Construct {
  readonly alarmTopic: sns.ITopic;
  readonly alarms: Readonly<Record<AlarmSignal | 'worker-restarts', cloudwatch.Alarm>>;
  readonly dashboard: cloudwatch.Dashboard;
  /** The `Gateway` dimension value of this gateway's metrics. */
  readonly dimension: string;

  constructor(scope: Construct, id: string, props: GatewayOperationsProps) {
    super(scope, id);
    const holdAge = props.holdAgeAlarmSeconds ?? 300;
    const deniedThreshold = props.deniedStatementsAlarmThreshold ?? 100;
    this.dimension = Names.uniqueId(scope);
    addMetricsAgent(this, props, this.dimension);

    this.alarmTopic = props.alarmTopic ?? this.encryptedTopic(props.key);
    const metric = (name: string, statistic: string, dimensions: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { Gateway: this.dimension, ...dimensions },
        statistic,
        period: Duration.minutes(1),
      });
    const runningTasks = new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: props.service.serviceName },
      statistic: 'Minimum',
      period: Duration.minutes(1),
    });
    const denied = metric('warden_statements_total', 'Sum', { decision: 'deny' }).with({
      period: Duration.minutes(5),
    });

    const alarm = (
      id: string,
      signal: AlarmSignal | 'worker-restarts',
      description: string,
      m: cloudwatch.IMetric,
      threshold: number,
      comparison: cloudwatch.ComparisonOperator,
      evaluationPeriods: number,
      missing = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) => {
      const a = new cloudwatch.Alarm(this, id, {
        alarmDescription: `${description} (README: Operating Warden)`,
        metric: m,
        threshold,
        comparisonOperator: comparison,
        evaluationPeriods,
        treatMissingData: missing,
      });
      a.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      if (signal !== 'hold-age' && signal !== 'denied-spike')
        a.addOkAction(new actions.SnsAction(this.alarmTopic));
      addMark(a.node.defaultChild as Construct, { role: 'gateway-alarm', gateway: props.gateway, signal });
      return a;
    };
    const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: atLeast, LESS_THAN_THRESHOLD: below } =
      cloudwatch.ComparisonOperator;
    this.alarms = {
      'audit-append-failures': alarm(
        'AuditAppendFailures',
        'audit-append-failures',
        'The audit log refused appends: commands are being refused',
        metric('warden_audit_append_failures_total', 'Sum'),
        1,
        atLeast,
        1,
      ),
      // No data is not ready either: the gateway or its agent is not reporting.
      'not-ready': alarm(
        'NotReady',
        'not-ready',
        'A gateway task answers /readyz not ready (audit, approvals store or secrets)',
        metric('warden_ready', 'Minimum'),
        1,
        below,
        3,
        cloudwatch.TreatMissingData.BREACHING,
      ),
      'hold-age': alarm(
        'HoldAge',
        'hold-age',
        `A held command has waited over ${holdAge} s for an approver`,
        metric('warden_approval_oldest_hold_seconds', 'Maximum'),
        holdAge,
        atLeast,
        1,
      ),
      'denied-spike': alarm(
        'DeniedSpike',
        'denied-spike',
        `Over ${deniedThreshold} statements, commands or requests denied in 5 minutes`,
        denied,
        deniedThreshold,
        atLeast,
        1,
      ),
      'task-restarts': alarm(
        'TasksBelowDesired',
        'task-restarts',
        `Fewer than ${props.desiredCount} gateway tasks running: tasks are stopping or restarting`,
        runningTasks,
        props.desiredCount,
        below,
        3,
      ),
      'worker-restarts': alarm(
        'WorkerRestarts',
        'worker-restarts',
        'A gateway worker process exited and was restarted',
        metric('warden_worker_restarts_total', 'Sum'),
        1,
        atLeast,
        1,
      ),
    };

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `Warden-${this.dimension}`.slice(0, 255),
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    const decisions = ['allow', 'deny', 'held', 'refused'].map((d) =>
      metric('warden_statements_total', 'Sum', { decision: d }).with({ label: d }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(this.alarms),
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Sessions open',
        [metric('warden_sessions_open', 'Sum')],
        [metric('warden_sessions_refused_total', 'Sum')],
      ),
      graph('Statements by decision', decisions),
      graph(
        'Approval queue',
        [metric('warden_approval_holds_pending', 'Maximum')],
        [metric('warden_approval_oldest_hold_seconds', 'Maximum')],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Audit log',
        [
          metric('warden_audit_append_failures_total', 'Sum'),
          metric('warden_audit_upload_backlog', 'Maximum'),
        ],
        [
          metric('warden_audit_checkpoint_age_seconds', 'Maximum'),
          metric('warden_audit_unsealed_bytes', 'Maximum'),
        ],
      ),
      graph(
        'Readiness and tasks',
        [metric('warden_ready', 'Minimum'), props.adminTargetGroup.metrics.unHealthyHostCount()],
        [runningTasks, metric('warden_worker_restarts_total', 'Sum')],
      ),
      graph(
        'Process',
        [metric('process_cpu_seconds_total', 'Sum'), metric('nodejs_eventloop_lag_p99_seconds', 'Maximum')],
        [metric('process_resident_memory_bytes', 'Maximum')],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Masking and upstreams',
        [metric('warden_masked_values_total', 'Sum')],
        [metric('warden_upstream_errors_total', 'Sum')],
      ),
    );
    addMark(this.dashboard.node.defaultChild as Construct, {
      role: 'gateway-dashboard',
      gateway: props.gateway,
    });
  }

  /** An SNS topic under the gateway's key; CloudWatch alarms may use the key to publish to it. */
  private encryptedTopic(key: kms.IKey): sns.Topic {
    const topic = new sns.Topic(this, 'Alarms', { masterKey: key, enforceSSL: true });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    return topic;
  }
}

/** Metric names sent to CloudWatch, by the extra dimension they keep. Histograms stay in Prometheus. */
const CLOUDWATCH_METRICS: readonly { readonly dimensions: string[]; readonly selectors: string[] }[] = [
  {
    dimensions: [],
    selectors: [
      '^warden_(sessions_open|sessions_opened_total|sessions_refused_total|approval_holds_pending|approval_oldest_hold_seconds)$',
      '^warden_(audit_append_failures_total|audit_log_failed|audit_unsealed_bytes|audit_checkpoint_age_seconds|audit_upload_backlog)$',
      '^warden_(ready|worker_restarts_total|upstream_errors_total|masked_values_total)$',
      '^process_(cpu_seconds_total|resident_memory_bytes)$',
      '^nodejs_eventloop_lag_p99_seconds$',
    ],
  },
  { dimensions: ['decision'], selectors: ['^warden_statements_total$'] },
];

/** The CloudWatch agent container: scrapes the gateway on loopback, writes EMF to the log group. */
function addMetricsAgent(scope: Construct, props: GatewayOperationsProps, dimension: string): void {
  const prometheus = [
    'global:',
    '  scrape_interval: 1m',
    '  scrape_timeout: 10s',
    'scrape_configs:',
    '  - job_name: warden',
    '    scheme: https',
    // The gateway's own certificate on loopback inside the task: nothing in between to verify.
    '    tls_config:',
    '      insecure_skip_verify: true',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${DEFAULT_PORTS.admin}']`,
    '        labels:',
    `          Gateway: ${dimension}`,
  ].join('\n');
  const agentConfig = {
    logs: {
      metrics_collected: {
        prometheus: {
          log_group_name: props.logGroup.logGroupName,
          prometheus_config_path: 'env:PROMETHEUS_CONFIG_CONTENT',
          emf_processor: {
            metric_namespace: METRICS_NAMESPACE,
            metric_declaration: CLOUDWATCH_METRICS.map((d) => ({
              source_labels: ['job'],
              label_matcher: '^warden$',
              dimensions: [['Gateway', ...d.dimensions]],
              metric_selectors: d.selectors,
            })),
          },
        },
      },
      force_flush_interval: 5,
    },
  };
  props.taskDefinition.addContainer('metrics-agent', {
    image: props.agentImage ?? ecs.ContainerImage.fromRegistry(DEFAULT_AGENT_IMAGE),
    essential: false,
    memoryReservationMiB: 128,
    environment: {
      PROMETHEUS_CONFIG_CONTENT: prometheus,
      CW_CONFIG_CONTENT: Stack.of(scope).toJsonString(agentConfig),
    },
    logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'metrics-agent' }),
  });
  props.taskDefinition.taskRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [props.logGroup.logGroupArn],
    }),
  );
}
