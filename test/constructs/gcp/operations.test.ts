/**
 * What WardenGcpGateway deploys to operate the gateway on Google Cloud: the metrics collector
 * beside the gateway on each VM, health checks on /readyz and /healthz, alert policies with a
 * notification channel on each operating signal, the dashboard, and the compliance rule that
 * checks them under § 164.308(a)(1)(ii)(D).
 */
import { checkStack } from '../../../constructs/src/compliance/gcp/compliance';
import { fixture, resourcesOf } from './fixture';

type Body = Record<string, unknown>;
const ruleOf = (f: ReturnType<typeof fixture>) =>
  checkStack(f.stack).filter((x) => x.ruleId === 'Warden-MonitoringGatewayActivityReviewed');
const promql = (policy: Body) =>
  String(((policy.conditions as Body[])[0]!.condition_prometheus_query_language as { query: string }).query);

describe('WardenGcpGateway operations', () => {
  const f = fixture({ holdAgeAlarmSeconds: 600, instances: 3 });
  const json = f.json();
  const policies = resourcesOf(json, 'google_monitoring_alert_policy');
  const bySignal = (signal: string) =>
    policies.find((p) => (p.user_labels as Record<string, string>).warden_signal === signal)!;

  it('runs a collector beside the gateway that scrapes /metrics on loopback into Managed Prometheus', () => {
    const template = resourcesOf(json, 'google_compute_instance_template')[0]!;
    const userData = String((template.metadata as Body)['user-data']);
    // Its own unit and container: a collector that fails never stops the gateway.
    expect(userData).toContain('  - path: /etc/systemd/system/warden-metrics.service');
    expect(userData).toContain('systemctl start warden-metrics.service');
    expect(userData).toMatch(
      /docker run --rm --name warden-metrics --network host --read-only -v \/etc\/warden-metrics:\/etc\/warden-metrics:ro us-docker\.pkg\.dev\/cloud-ops-agents-artifacts\/.*otelcol-google:[\d.]+ --config=\/etc\/warden-metrics\/collector\.yaml/,
    );
    expect(userData).toContain('  - path: /etc/warden-metrics/collector.yaml');
    for (const line of [
      "            - targets: ['127.0.0.1:8444']",
      '          metrics_path: /metrics',
      '                warden_gateway: warden',
      '        from_attribute: host.name',
      '      exporters: [googlemanagedprometheus]',
    ])
      expect(userData).toContain(`      ${line}`);
    // The gateway's service account writes the metrics.
    expect(resourcesOf(json, 'google_project_iam_member').map((m) => m.role)).toContain(
      'roles/monitoring.metricWriter',
    );
  });

  it('serves a VM from the load balancer only while /readyz is ready, and recreates it when /healthz fails', () => {
    expect(resourcesOf(json, 'google_compute_region_health_check')).toEqual([
      expect.objectContaining({ https_health_check: { port: 8444, request_path: '/readyz' } }),
    ]);
    expect(resourcesOf(json, 'google_compute_health_check')).toEqual([
      expect.objectContaining({ https_health_check: { port: 8444, request_path: '/healthz' } }),
    ]);
  });

  it('alerts on audit failures, readiness, hold age, denied spikes and restarts in PromQL, each to the channel', () => {
    expect(policies.map((p) => (p.user_labels as Body).warden_signal).sort()).toEqual([
      'audit-append-failures',
      'denied-spike',
      'hold-age',
      'not-ready',
      'task-restarts',
      'worker-restarts',
    ]);
    const sel = 'job="warden",warden_gateway="warden"';
    expect(promql(bySignal('audit-append-failures'))).toBe(
      `sum(increase(warden_audit_append_failures_total{${sel}}[5m])) > 0`,
    );
    // Not reporting is not ready either.
    expect(promql(bySignal('not-ready'))).toContain(`absent(warden_ready{${sel}})`);
    expect(promql(bySignal('hold-age'))).toBe(`max(warden_approval_oldest_hold_seconds{${sel}}) >= 600`);
    expect(promql(bySignal('denied-spike'))).toContain('decision="deny"}[5m])) >= 100');
    expect(promql(bySignal('task-restarts'))).toContain(`resets(process_cpu_seconds_total{${sel}}[10m])`);
    expect(promql(bySignal('task-restarts'))).toContain('instance_group_name="warden-gw"}) < 3');
    expect(promql(bySignal('worker-restarts'))).toContain('warden_worker_restarts_total');
    const channels = Object.keys(json.resource.google_monitoring_notification_channel ?? {});
    expect(channels).toHaveLength(1);
    for (const p of policies) {
      expect(p.notification_channels).toEqual([
        `\${google_monitoring_notification_channel.${channels[0]}.id}`,
      ]);
      expect(String((p.documentation as Body).content)).toContain('README: Operating Warden');
    }
  });

  it('sends alerts to a Pub/Sub topic that only Cloud Monitoring publishes to, by default', () => {
    const [channel] = resourcesOf(json, 'google_monitoring_notification_channel');
    expect(channel).toMatchObject({
      type: 'pubsub',
      labels: { topic: expect.stringContaining('google_pubsub_topic.') },
    });
    expect(resourcesOf(json, 'google_pubsub_topic_iam_member')).toEqual([
      expect.objectContaining({
        role: 'roles/pubsub.publisher',
        member: expect.stringMatching(
          /^serviceAccount:service-\$\{data\.google_project\..+\.number\}@gcp-sa-monitoring-notification\.iam\.gserviceaccount\.com$/,
        ),
      }),
    ]);
  });

  it('puts the signals on one dashboard labelled with the gateway', () => {
    const [dashboard] = resourcesOf(json, 'google_monitoring_dashboard');
    const body = JSON.parse(String(dashboard!.dashboard_json));
    expect(body.labels).toEqual({ warden_gateway: 'warden' });
    const text = JSON.stringify(body);
    for (const name of [
      'warden_sessions_open',
      'warden_statements_total',
      'warden_approval_holds_pending',
      'warden_gateway_added_seconds_bucket',
      'warden_audit_checkpoint_age_seconds',
      'warden_audit_upload_backlog',
      'warden_ready',
      'process_resident_memory_bytes',
    ])
      expect(text).toContain(name);
  });

  it('notifies channels of your own, and the compliance rule passes', () => {
    expect(ruleOf(f)).toEqual([
      expect.objectContaining({ status: 'compliant', hipaaControl: '164.308(a)(1)(ii)(D)' }),
    ]);
    const own = fixture({ alertNotificationChannels: ['projects/p1/notificationChannels/123'] });
    const ownJson = own.json();
    expect(ownJson.resource.google_pubsub_topic).toBeUndefined();
    expect(ownJson.resource.google_monitoring_notification_channel).toBeUndefined();
    for (const p of resourcesOf(ownJson, 'google_monitoring_alert_policy'))
      expect(p.notification_channels).toEqual(['projects/p1/notificationChannels/123']);
    expect(ruleOf(own)[0]?.status).toBe('compliant');
  });

  it('fails the compliance rule when a policy loses its channels, is disabled, or the dashboard goes', () => {
    const quiet = fixture();
    quiet.gateway.monitoring.alertPolicies['hold-age'].notificationChannels = [];
    expect(ruleOf(quiet)[0]).toMatchObject({
      status: 'non-compliant',
      message: 'no enabled alert policy with a notification channel on: hold-age',
    });
    const off = fixture();
    off.gateway.monitoring.alertPolicies['not-ready'].enabled = false;
    expect(ruleOf(off)[0]?.message).toContain('not-ready');
    const blind = fixture();
    blind.gateway.monitoring.dashboard.dashboardJson = JSON.stringify({ displayName: 'other' });
    expect(ruleOf(blind)[0]).toMatchObject({
      status: 'non-compliant',
      message: 'the gateway has no Cloud Monitoring dashboard',
    });
  });
});
