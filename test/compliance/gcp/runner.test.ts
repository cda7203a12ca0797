import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { App, TerraformStack } from 'cdktf';
import { acknowledge } from '../../../constructs/src/compliance/gcp/acknowledge';
import { addComplianceChecks, checkStack } from '../../../constructs/src/compliance/gcp/compliance';
import { GCP_PACK, ruleId } from '../../../constructs/src/compliance/gcp/pack';
import { stack } from './helpers';

describe('GCP compliance runner', () => {
  it('pins the pack: rule ids, levels and controls', () => {
    expect(GCP_PACK.map((e) => [ruleId(e), e.level, e.hipaaControl])).toEqual([
      ['Warden-StorageBucketCmek', 'error', '164.312(a)(2)(iv)'],
      ['Warden-SecretManagerSecretCmek', 'error', '164.312(a)(2)(iv)'],
      ['Warden-ComputeDiskCmek', 'error', '164.312(a)(2)(iv)'],
      ['Warden-LoggingBucketCmek', 'error', '164.312(a)(2)(iv)'],
      ['Warden-KmsCryptoKeyRotation', 'error', '164.312(a)(2)(iv)'],
      ['Warden-StorageBucketRetention', 'error', '164.312(b)'],
      ['Warden-StorageBucketRetentionLocked', 'warning', '164.312(c)(1)'],
      ['Warden-LoggingBucketRetention', 'error', '164.312(b)'],
      ['Warden-ComputeNoExternalIp', 'error', '164.312(e)(1)'],
      ['Warden-ComputeShieldedVm', 'error', '164.312(c)(1)'],
      ['Warden-ComputeOsLogin', 'error', '164.312(d)'],
      ['Warden-SqlInstanceNoPublicIp', 'error', '164.312(e)(1)'],
      ['Warden-SqlInstanceSslRequired', 'error', '164.312(e)(2)(ii)'],
      ['Warden-FirewallTargetOnlyFromGateway', 'error', '164.312(a)(1)'],
      ['Warden-IamNoPrimitiveRoles', 'error', '164.312(a)(1)'],
      ['Warden-SecretAccessScopedToGateway', 'error', '164.312(a)(1)'],
      ['Warden-GatewayPhiConnectionsMasked', 'error', '164.312(a)(1)'],
      ['Warden-GatewayUpstreamRoleLeastPrivilege', 'error', '164.312(a)(1)'],
      ['Warden-GatewayPrincipalsIdentified', 'error', '164.312(a)(2)(i)'],
      ['Warden-GatewayEmergencyAccessJustInTime', 'error', '164.312(a)(2)(ii)'],
      ['Warden-GatewaySessionsExpire', 'error', '164.312(a)(2)(iii)'],
      ['Warden-GatewayEvidenceExportDaily', 'error', '164.312(b)'],
      ['Warden-GatewayPhiWritesRequireApproval', 'error', '164.312(c)(1)'],
      ['Warden-GatewayAuditCheckpointsSigned', 'error', '164.312(c)(2)'],
      ['Warden-GatewayOidcAuthentication', 'error', '164.312(d)'],
      ['Warden-GatewayUpstreamTlsVerified', 'error', '164.312(e)(2)(i)'],
      ['Warden-GatewayTlsRequired', 'error', '164.312(e)(2)(ii)'],
      ['Warden-MonitoringGatewayActivityReviewed', 'error', '164.308(a)(1)(ii)(D)'],
    ]);
  });

  it('turns an acknowledged error into "acknowledged" with its reason', () => {
    const s = stack();
    const b = new StorageBucket(s, 'b', { name: 'b', location: 'EU' });
    acknowledge(b, 'Warden-StorageBucketCmek', 'Holds only public build artefacts, never PHI.');
    const f = checkStack(s).find((x) => x.ruleId === 'Warden-StorageBucketCmek');
    expect(f).toMatchObject({
      status: 'acknowledged',
      acknowledgement: 'Holds only public build artefacts, never PHI.',
    });
  });

  it('refuses an acknowledgement without a reason', () => {
    const s = stack();
    const b = new StorageBucket(s, 'b', { name: 'b', location: 'EU' });
    expect(() => acknowledge(b, 'Warden-StorageBucketCmek', 'ok')).toThrow(/needs a reason/);
  });

  it('fails synth on unacknowledged errors and still writes the report', () => {
    const out = mkdtempSync(join(tmpdir(), 'warden-gcp-report-'));
    try {
      const app = new App({ outdir: join(out, 'synth') });
      const st = new TerraformStack(app, 'gcp');
      new GoogleProvider(st, 'google', { project: 'p1' });
      new StorageBucket(st, 'b', { name: 'b', location: 'EU' });
      addComplianceChecks(st, { reportDir: join(out, 'report') });
      expect(() => app.synth()).toThrow(/Warden-StorageBucketCmek \[non-compliant\] gcp\/b/);
      const json = JSON.parse(readFileSync(join(out, 'report', 'hipaa-findings.json'), 'utf8'));
      expect(json.summary.blocking).toBeGreaterThan(0);
      expect(existsSync(join(out, 'report', 'hipaa-matrix.html'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
