/**
 * The gateway config rules on GCP: read back from the instance template's `warden-config`
 * metadata in the synthesized Terraform, so they also run over a cdk.tf.json produced elsewhere.
 */
import { ComputeInstanceTemplate } from '@cdktf/provider-google/lib/compute-instance-template';
import type { TerraformStack } from 'cdktf';
import { checkStack } from '../../../constructs/src/compliance/gcp/compliance';
import { GCP_PACK } from '../../../constructs/src/compliance/gcp/pack';
import { PostgresTarget } from '../../../constructs/src/gcp';
import { fixture } from '../../constructs/gcp/fixture';
import { findingsOf, statuses } from './helpers';

const CONFIG_RULES = [
  'GatewayPhiConnectionsMasked',
  'GatewayUpstreamRoleLeastPrivilege',
  'GatewayPrincipalsIdentified',
  'GatewayEmergencyAccessJustInTime',
  'GatewaySessionsExpire',
  'GatewayEvidenceExportDaily',
  'GatewayPhiWritesRequireApproval',
  'GatewayAuditCheckpointsSigned',
  'GatewayOidcAuthentication',
  'GatewayUpstreamTlsVerified',
  'GatewayTlsRequired',
];

/** A bare instance template carrying `config` as the gateway construct would. */
function template(s: TerraformStack, config: string): void {
  new ComputeInstanceTemplate(s, 'tpl', {
    machineType: 'e2-small',
    disk: [{ sourceImage: 'cos-cloud/cos-stable', boot: true }],
    networkInterface: [{ network: 'default' }],
    metadata: { 'warden-config': config },
  });
}

describe('gateway config rules on GCP', () => {
  it('are in the pack under the same ids as on AWS', () => {
    const ids = GCP_PACK.map((e) => e.rule.name);
    for (const id of CONFIG_RULES) expect(ids).toContain(id);
  });

  it('pass the gateway construct, judged on its instance template', () => {
    const f = fixture({}, false);
    f.gateway.addPostgres('billing', {
      target: PostgresTarget.fromInstance(f.db),
      databaseName: 'billing',
      secret: f.gateway.addSecret('billing-password'),
      classification: { 'public.invoices.card': 'custom:CARD' },
    });
    const findings = checkStack(f.stack).filter((x) => CONFIG_RULES.includes(x.ruleId.slice(7)));
    expect(findings).toHaveLength(CONFIG_RULES.length);
    for (const x of findings) {
      expect(x).toMatchObject({ status: 'compliant', resource: 'test/gw/compute/template' });
    }
    const evidence = findings.find((x) => x.ruleId === 'Warden-GatewayEvidenceExportDaily');
    // The bucket reference is resolved to the bucket's name in the stack.
    expect(evidence?.message).toContain('gs://p1-warden-audit/audit/evidence/<host>/<YYYY-MM-DD>/');
  });

  it('fail a config with a problem, on the template that carries it', () => {
    const f = fixture({ phiSafeguards: false });
    const write = checkStack(f.stack).find((x) => x.ruleId === 'Warden-GatewayPhiWritesRequireApproval');
    expect(write).toMatchObject({ status: 'non-compliant', resource: 'test/gw/compute/template' });
  });

  it('could not validate metadata that is not a gateway config, never a pass', () => {
    const f = findingsOf('GatewayTlsRequired', (s) => template(s, '{"version": 2}'));
    expect(statuses(f)).toEqual(['could-not-validate']);
    const g = findingsOf('GatewayTlsRequired', (s) => template(s, 'not json'));
    expect(statuses(g)).toEqual(['could-not-validate']);
  });

  it('record acceptPrivilegedRole as acknowledged with its reason under 164.312(a)(1)', () => {
    const f = fixture({}, false);
    const reason = 'Vendor-managed Cloud SQL: the cloudsqlsuperuser role is the only one provisioned.';
    f.gateway.addPostgres('vendor', {
      target: PostgresTarget.fromInstance(f.db),
      databaseName: 'vendor',
      secret: f.gateway.addSecret('vendor-password'),
      classification: { 'public.accounts.ssn': 'SSN' },
      acceptPrivilegedRole: { reason },
    });
    const role = checkStack(f.stack).find((x) => x.ruleId === 'Warden-GatewayUpstreamRoleLeastPrivilege');
    expect(role).toMatchObject({
      status: 'acknowledged',
      hipaaControl: '164.312(a)(1)',
      acknowledgement: `connection "vendor": ${reason}`,
    });
  });
});
