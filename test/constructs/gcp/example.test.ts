import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { App } from 'cdktf';
import { WardenGcpExample } from '../../../examples/gcp/app';

describe('examples/gcp', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'warden-gcp-example-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes offline with zero unacknowledged errors and writes the reports', () => {
    const started = Date.now();
    const app = new App({ outdir: out });
    const reportDir = join(out, 'report');
    new WardenGcpExample(app, 'example', { project: 'p1', region: 'europe-west3', reportDir });
    app.synth();
    expect(Date.now() - started).toBeLessThan(15_000);
    const tf = JSON.parse(readFileSync(join(out, 'stacks', 'example', 'cdk.tf.json'), 'utf8'));
    // Operating the gateway: the dashboard and an alert policy per signal, all to one channel.
    expect(Object.keys(tf.resource.google_monitoring_dashboard)).toHaveLength(1);
    const policies = Object.values(tf.resource.google_monitoring_alert_policy) as {
      notification_channels: string[];
    }[];
    expect(policies).toHaveLength(6);
    for (const p of policies) expect(p.notification_channels).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(reportDir, 'hipaa-findings.json'), 'utf8'));
    expect(report.summary.blocking).toBe(0);
    expect(report.meta).toMatchObject({ cloud: 'gcp', packs: ['Warden-GCP'] });
    // Every § 164.312 row has at least one automated rule.
    expect(report.matrix.filter((r: { status: string }) => r.status === 'no-checks')).toEqual([]);
    expect(
      report.findings.find(
        (f: { ruleId: string }) => f.ruleId === 'Warden-MonitoringGatewayActivityReviewed',
      ),
    ).toMatchObject({ status: 'compliant', hipaaControl: '164.308(a)(1)(ii)(D)' });
    expect(report.meta.notes).toContain(
      'Evidence packs of example/gateway/compute/template: gs://p1-warden-audit/audit/evidence/<host>/<YYYY-MM-DD>/ (daily, signed; check with warden evidence verify)',
    );
    const ack = report.findings.find((f: { status: string }) => f.status === 'acknowledged');
    expect(ack).toMatchObject({
      ruleId: 'Warden-StorageBucketRetentionLocked',
      resource: 'example/gateway/audit/bucket',
    });
    expect(readFileSync(join(reportDir, 'hipaa-matrix.md'), 'utf8')).toContain('| 164.312(a)(1) |');
    expect(existsSync(join(reportDir, 'hipaa-matrix.html'))).toBe(true);
  });

  it('fails the synth when a firewall rule opens the database to another source', () => {
    const app = new App({ outdir: out });
    const stack = new WardenGcpExample(app, 'example', { project: 'p1', region: 'europe-west3' });
    new ComputeFirewall(stack, 'pg-from-anywhere', {
      name: 'pg-from-anywhere',
      network: 'warden-example',
      allow: [{ protocol: 'tcp', ports: ['5432'] }],
      sourceRanges: ['0.0.0.0/0'],
    });
    expect(() => app.synth()).toThrow(
      /Warden-FirewallTargetOnlyFromGateway \[non-compliant\] example\/pg-from-anywhere/,
    );
  });
});
