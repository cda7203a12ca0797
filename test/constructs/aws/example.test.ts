import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addComplianceChecks, WardenImage } from '@warden/constructs/aws';
import { App } from 'aws-cdk-lib';
import { WardenExampleStack } from '../../../examples/aws/stack';

describe('examples/aws', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'warden-aws-example-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes under the compliance packs, and addComplianceChecks writes the reviewer report', () => {
    const app = new App({ outdir: out, builtinCloudFormationValidation: false });
    // A registry image keeps this test independent of the package build (the consumer test
    // covers the packaged image context).
    new WardenExampleStack(app, 'WardenExample', { image: WardenImage.fromRegistry('warden:test') });
    const reports: number[] = [];
    addComplianceChecks(app, { onReport: (r) => reports.push(r.blocking) });
    app.synth();
    expect(reports).toEqual([0]);
    const report = JSON.parse(readFileSync(join(out, 'warden-report', 'hipaa-findings.json'), 'utf8'));
    expect(report.meta).toMatchObject({ cloud: 'aws', packs: ['HIPAA.Security', 'Warden', 'AwsSolutions'] });
    expect(report.summary.blocking).toBe(0);
    expect(report.findings.some((f: { status: string }) => f.status === 'acknowledged')).toBe(true);
    expect(report.matrix.map((r: { control: { id: string } }) => r.control.id)).not.toContain('unmapped');
    // Every § 164.312 row has at least one automated rule.
    expect(report.matrix.filter((r: { status: string }) => r.status === 'no-checks')).toEqual([]);
    expect(report.meta.notes).toContainEqual(
      expect.stringMatching(
        /^Evidence packs of WardenExample\/Gateway: s3:\/\/<bucket WardenExample\/Gateway\/AuditStorage\/Bucket>\/audit\/evidence\//,
      ),
    );
    expect(readFileSync(join(out, 'warden-report', 'hipaa-matrix.md'), 'utf8')).toContain('| 164.312(b) |');
    expect(
      report.findings.find(
        (f: { ruleId: string }) => f.ruleId === 'Warden-CloudWatchGatewayActivityReviewed',
      ),
    ).toMatchObject({ status: 'compliant', hipaaControl: '164.308(a)(1)(ii)(D)' });
    // Operating the gateway: the dashboard and an alarm per signal, each notifying the topic.
    const template = JSON.parse(readFileSync(join(out, 'WardenExample.template.json'), 'utf8'));
    const ofType = (type: string) =>
      Object.values(
        template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
      ).filter((r) => r.Type === type);
    expect(ofType('AWS::CloudWatch::Dashboard')).toHaveLength(1);
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual([
      'RunningTaskCount',
      'warden_approval_oldest_hold_seconds',
      'warden_audit_append_failures_total',
      'warden_ready',
      'warden_statements_total',
      'warden_worker_restarts_total',
    ]);
    for (const a of alarms) expect(a.Properties.AlarmActions).toHaveLength(1);
    expect(existsSync(join(out, 'warden-report', 'hipaa-matrix.html'))).toBe(true);
  });
});
