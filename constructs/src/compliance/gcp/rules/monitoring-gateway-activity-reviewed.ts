import { fail, type GcpRule, ok, type RuleResult, unknown } from '../rule';
import { flag, type GatewayManifest, isObject, strings, type TerraformView } from '../terraform-view';

/** The signals an alert policy must watch; the GCP constructs label each policy with its signal. */
export const GCP_ALERT_SIGNALS = [
  'audit-append-failures',
  'not-ready',
  'hold-age',
  'denied-spike',
  'task-restarts',
] as const;
export type GcpAlertSignal = (typeof GCP_ALERT_SIGNALS)[number];

/** User labels on alert policies (and dashboard labels) naming the gateway and the signal. */
export const GATEWAY_LABEL = 'warden_gateway';
export const SIGNAL_LABEL = 'warden_signal';

/**
 * 164.308(a)(1)(ii)(D). Compliant: the gateway has a Cloud Monitoring dashboard and an enabled
 * alert policy with a notification channel on each operating signal (audit append failures,
 * readiness, hold age, denied-statement spikes, restarts), so its activity is reviewed as it
 * happens, not only from the audit log after the fact. Judged on the gateway's service account,
 * which carries the gateway's manifest.
 */
export const MonitoringGatewayActivityReviewed: GcpRule = {
  name: 'MonitoringGatewayActivityReviewed',
  check: (view) =>
    view.gateways.flatMap((g): RuleResult[] => {
      const resource = view.byAddress(g.address);
      return resource ? [{ resource, ...judge(view, g) }] : [];
    }),
};

function judge(view: TerraformView, g: GatewayManifest) {
  if (!g.name) return unknown('the gateway names no monitoring label; its alert policies cannot be matched');
  const covered = new Set<string>();
  for (const policy of view.resources('google_monitoring_alert_policy')) {
    const labels = isObject(policy.body.user_labels) ? policy.body.user_labels : {};
    if (labels[GATEWAY_LABEL] !== g.name) continue;
    const enabled = flag(policy.body.enabled);
    if (enabled === 'unresolved') return unknown(`${policy.path}: enabled is only known at apply`);
    if (enabled !== false && strings(policy.body.notification_channels).length > 0)
      covered.add(String(labels[SIGNAL_LABEL]));
  }
  const missing = GCP_ALERT_SIGNALS.filter((s) => !covered.has(s));
  if (missing.length > 0)
    return fail(`no enabled alert policy with a notification channel on: ${missing.join(', ')}`);
  const dashboard = view.resources('google_monitoring_dashboard').some((d) => dashboardOf(d.body) === g.name);
  if (!dashboard) return fail('the gateway has no Cloud Monitoring dashboard');
  return ok(`dashboard and alert policies with channels on ${GCP_ALERT_SIGNALS.join(', ')}`);
}

/** The gateway a dashboard is labelled with (dashboard_json is a JSON string). */
function dashboardOf(body: Readonly<Record<string, unknown>>): unknown {
  try {
    const json = JSON.parse(String(body.dashboard_json));
    return isObject(json) && isObject(json.labels) ? json.labels[GATEWAY_LABEL] : undefined;
  } catch {
    return undefined;
  }
}
