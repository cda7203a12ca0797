/**
 * Operating the gateway on Google Cloud: on each VM a collector container scrapes the gateway's
 * /metrics over loopback into Managed Service for Prometheus (the Ops Agent does not run on
 * Container-Optimized OS); alert policies in PromQL on the signals an operator must act on notify
 * the given channels; one Cloud Monitoring dashboard shows them all. The collector is not
 * essential: if it stops, the gateway goes on and the missing data raises the readiness alert.
 */
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringDashboard } from '@cdktf/provider-google/lib/monitoring-dashboard';
import { Construct } from 'constructs';
// The signals an alert policy must watch and their labels belong to the rule that checks them.
import {
  GATEWAY_LABEL,
  type GcpAlertSignal,
  SIGNAL_LABEL,
} from '../compliance/gcp/rules/monitoring-gateway-activity-reviewed';

export { GCP_ALERT_SIGNALS } from '../compliance/gcp/rules/monitoring-gateway-activity-reviewed';

/** Google's build of the OpenTelemetry Collector, from Artifact Registry (reached over Private Google Access). */
export const DEFAULT_COLLECTOR_IMAGE =
  'us-docker.pkg.dev/cloud-ops-agents-artifacts/google-cloud-opentelemetry-collector/otelcol-google:0.121.0';

/** The collector's configuration: scrape the gateway on loopback, export to Managed Prometheus. */
export function collectorConfig(adminPort: number, gateway: string): string {
  return [
    'receivers:',
    '  prometheus:',
    '    config:',
    '      scrape_configs:',
    '        - job_name: warden',
    '          scrape_interval: 30s',
    '          scheme: https',
    // The gateway's own certificate on the VM's loopback: nothing in between to verify.
    '          tls_config:',
    '            insecure_skip_verify: true',
    '          metrics_path: /metrics',
    '          static_configs:',
    `            - targets: ['127.0.0.1:${adminPort}']`,
    '              labels:',
    `                warden_gateway: ${gateway}`,
    'processors:',
    '  resourcedetection:',
    '    detectors: [gcp]',
    // Every VM scrapes 127.0.0.1: the VM's name keeps their series apart (the `instance` label).
    '  resource/instance:',
    '    attributes:',
    '      - key: service.instance.id',
    '        from_attribute: host.name',
    '        action: upsert',
    '  batch: {}',
    'exporters:',
    '  googlemanagedprometheus: {}',
    'service:',
    '  pipelines:',
    '    metrics:',
    '      receivers: [prometheus]',
    '      processors: [resourcedetection, resource/instance, batch]',
    '      exporters: [googlemanagedprometheus]',
    '',
  ].join('\n');
}

export interface GatewayMonitoringProps {
  readonly project: string;
  /** The gateway's name prefix: the `warden_gateway` label of its metrics. */
  readonly gateway: string;
  /** Notification channel ids (`google_monitoring_notification_channel.x.id`). */
  readonly notificationChannels: readonly string[];
  /** The managed instance group's name and size: fewer VMs in it than this is an alert. */
  readonly instanceGroupName: string;
  readonly instances: number;
  readonly holdAgeAlarmSeconds: number;
  readonly deniedStatementsAlarmThreshold: number;
}

export class GatewayMonitoring extends Construct {
  readonly alertPolicies: Readonly<Record<GcpAlertSignal | 'worker-restarts', MonitoringAlertPolicy>>;
  readonly dashboard: MonitoringDashboard;

  constructor(scope: Construct, id: string, props: GatewayMonitoringProps) {
    super(scope, id);
    const sel = `job="warden",warden_gateway="${props.gateway}"`;
    const groupSize = `compute_googleapis_com:instance_group_size{monitored_resource="instance_group",instance_group_name="${props.instanceGroupName}"}`;
    const policy = (
      signal: GcpAlertSignal | 'worker-restarts',
      title: string,
      query: string,
      duration: string,
      whatToDo: string,
    ) =>
      new MonitoringAlertPolicy(this, signal, {
        project: props.project,
        displayName: `Warden ${props.gateway}: ${title}`,
        combiner: 'OR',
        severity: signal === 'hold-age' || signal === 'denied-spike' ? 'WARNING' : 'ERROR',
        conditions: [
          {
            displayName: title,
            conditionPrometheusQueryLanguage: { query, duration, evaluationInterval: '60s' },
          },
        ],
        notificationChannels: [...props.notificationChannels],
        documentation: { mimeType: 'text/markdown', content: `${whatToDo}\n\nREADME: Operating Warden.` },
        userLabels: { [GATEWAY_LABEL]: props.gateway, [SIGNAL_LABEL]: signal },
      });
    this.alertPolicies = {
      'audit-append-failures': policy(
        'audit-append-failures',
        'audit append failures',
        `sum(increase(warden_audit_append_failures_total{${sel}}[5m])) > 0`,
        '0s',
        'The audit log refused appends, so commands are refused. Check the audit disk (space, read-only remount) and restart the gateway on that VM.',
      ),
      'not-ready': policy(
        'not-ready',
        'gateway not ready',
        `(min(warden_ready{${sel}}) < 1) or absent(warden_ready{${sel}})`,
        '180s',
        'A gateway answers /readyz not ready: its body names the failing check (audit, approvals, secrets) and connections.',
      ),
      'hold-age': policy(
        'hold-age',
        'held command waiting',
        `max(warden_approval_oldest_hold_seconds{${sel}}) >= ${props.holdAgeAlarmSeconds}`,
        '0s',
        'A held command waits for an approver: ask the approver group to decide in the console.',
      ),
      'denied-spike': policy(
        'denied-spike',
        'denied statements spike',
        `sum(increase(warden_statements_total{${sel},decision="deny"}[5m])) >= ${props.deniedStatementsAlarmThreshold}`,
        '0s',
        'Many statements were denied: look up the rule in warden_statements_total and the principals in the audit log.',
      ),
      // A gateway container that restarts resets its CPU counter (workers' figures are kept by the
      // primary); a VM that autohealing recreates leaves the group short meanwhile.
      'task-restarts': policy(
        'task-restarts',
        'gateway restarted or instances missing',
        `(sum(resets(process_cpu_seconds_total{${sel}}[10m])) > 0) or (min(${groupSize}) < ${props.instances})`,
        '0s',
        "A gateway container restarted, or the instance group has fewer VMs than it should: read the last log lines of the gateway on that VM in Cloud Logging, and the instance group's autohealing events.",
      ),
      'worker-restarts': policy(
        'worker-restarts',
        'worker process restarted',
        `sum(increase(warden_worker_restarts_total{${sel}}[10m])) > 0`,
        '0s',
        'A gateway worker process exited and was restarted: read the gateway log for the exit.',
      ),
    };
    this.dashboard = new MonitoringDashboard(this, 'dashboard', {
      project: props.project,
      dashboardJson: JSON.stringify(dashboard(props.gateway, sel)),
    });
  }
}

/** A Cloud Monitoring dashboard of PromQL charts; `labels` ties it to its gateway. */
function dashboard(gateway: string, sel: string): object {
  const chart = (title: string, queries: string[]) => ({
    title,
    xyChart: {
      dataSets: queries.map((prometheusQuery) => ({
        timeSeriesQuery: { prometheusQuery },
        plotType: 'LINE',
      })),
    },
  });
  const widgets = [
    chart('Sessions open', [`sum by (protocol) (warden_sessions_open{${sel}})`]),
    chart('Statements by decision', [`sum by (decision) (rate(warden_statements_total{${sel}}[5m]))`]),
    chart('Approval queue', [
      `sum(warden_approval_holds_pending{${sel}})`,
      `max(warden_approval_oldest_hold_seconds{${sel}})`,
    ]),
    chart('Gateway-added latency p50 / p99', [
      `histogram_quantile(0.5, sum by (le) (rate(warden_gateway_added_seconds_bucket{${sel}}[5m])))`,
      `histogram_quantile(0.99, sum by (le) (rate(warden_gateway_added_seconds_bucket{${sel}}[5m])))`,
    ]),
    chart('Audit append p99 and checkpoint age', [
      `histogram_quantile(0.99, sum by (le) (rate(warden_audit_append_seconds_bucket{${sel}}[5m])))`,
      `max(warden_audit_checkpoint_age_seconds{${sel}})`,
    ]),
    chart('Audit failures, backlog, unsealed bytes', [
      `sum(increase(warden_audit_append_failures_total{${sel}}[5m]))`,
      `sum(warden_audit_upload_backlog{${sel}})`,
      `sum(warden_audit_unsealed_bytes{${sel}})`,
    ]),
    chart('Ready', [`min(warden_ready{${sel}})`]),
    chart('Masked values by entity', [`sum by (entity) (rate(warden_masked_values_total{${sel}}[5m]))`]),
    chart('Upstream connect p99 and errors', [
      `histogram_quantile(0.99, sum by (le) (rate(warden_upstream_connect_seconds_bucket{${sel}}[5m])))`,
      `sum(increase(warden_upstream_errors_total{${sel}}[5m]))`,
    ]),
    chart('Process CPU, RSS, event-loop p99', [
      `sum(rate(process_cpu_seconds_total{${sel}}[5m]))`,
      `sum(process_resident_memory_bytes{${sel}})`,
      `max(nodejs_eventloop_lag_p99_seconds{${sel}})`,
    ]),
  ];
  return {
    displayName: `Warden ${gateway}`,
    labels: { [GATEWAY_LABEL]: gateway },
    mosaicLayout: {
      columns: 12,
      tiles: widgets.map((widget, i) => ({
        xPos: (i % 3) * 4,
        yPos: Math.floor(i / 3) * 4,
        width: 4,
        height: 4,
        widget,
      })),
    },
  };
}
