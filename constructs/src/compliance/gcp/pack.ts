/**
 * The Warden GCP pack: metadata only (level, § 164.312 control, explanation) around the rules,
 * which stay pure functions in rules/. A pack test pins this list.
 */
import type { FindingLevel } from '../report';
import type { GcpRule } from './rule';
import { ComputeDiskCmek } from './rules/compute-disk-cmek';
import { ComputeNoExternalIp } from './rules/compute-no-external-ip';
import { ComputeOsLogin } from './rules/compute-os-login';
import { ComputeShieldedVm } from './rules/compute-shielded-vm';
import { FirewallTargetOnlyFromGateway } from './rules/firewall-target-only-from-gateway';
import { GATEWAY_CONFIG_GCP_RULES } from './rules/gateway-config-rules';
import { IamNoPrimitiveRoles } from './rules/iam-no-primitive-roles';
import { KmsCryptoKeyRotation } from './rules/kms-crypto-key-rotation';
import { LoggingBucketCmek } from './rules/logging-bucket-cmek';
import { LoggingBucketRetention } from './rules/logging-bucket-retention';
import { MonitoringGatewayActivityReviewed } from './rules/monitoring-gateway-activity-reviewed';
import { SecretAccessScopedToGateway } from './rules/secret-access-scoped-to-gateway';
import { SecretManagerSecretCmek } from './rules/secret-manager-secret-cmek';
import { SqlInstanceNoPublicIp } from './rules/sql-instance-no-public-ip';
import { SqlInstanceSslRequired } from './rules/sql-instance-ssl-required';
import { StorageBucketCmek } from './rules/storage-bucket-cmek';
import { StorageBucketRetention } from './rules/storage-bucket-retention';
import { StorageBucketRetentionLocked } from './rules/storage-bucket-retention-locked';

export const PACK_NAME = 'Warden-GCP';

export interface PackEntry {
  readonly rule: GcpRule;
  readonly level: FindingLevel;
  readonly hipaaControl: string;
  readonly explanation: string;
}

/** Rule ids in findings: `Warden-<RuleName>`. */
export function ruleId(entry: PackEntry): string {
  return `Warden-${entry.rule.name}`;
}

const ENCRYPTION = '164.312(a)(2)(iv)';

export const GCP_PACK: readonly PackEntry[] = [
  {
    rule: StorageBucketCmek,
    level: 'error',
    hipaaControl: ENCRYPTION,
    explanation:
      'Audit segments and recordings are encrypted under a key the customer controls and can revoke.',
  },
  {
    rule: SecretManagerSecretCmek,
    level: 'error',
    hipaaControl: ENCRYPTION,
    explanation: 'Upstream credentials are encrypted under a customer-managed key.',
  },
  {
    rule: ComputeDiskCmek,
    level: 'error',
    hipaaControl: ENCRYPTION,
    explanation: 'Gateway disks (local audit segments, recordings in flight) use a customer-managed key.',
  },
  {
    rule: LoggingBucketCmek,
    level: 'error',
    hipaaControl: ENCRYPTION,
    explanation: 'Gateway logs are encrypted under a customer-managed key.',
  },
  {
    rule: KmsCryptoKeyRotation,
    level: 'error',
    hipaaControl: ENCRYPTION,
    explanation: 'Keys rotate at least every 90 days, limiting what one key version protects.',
  },
  {
    rule: StorageBucketRetention,
    level: 'error',
    hipaaControl: '164.312(b)',
    explanation: 'Sealed audit segments are held at least six years.',
  },
  {
    rule: StorageBucketRetentionLocked,
    level: 'warning',
    hipaaControl: '164.312(c)(1)',
    explanation:
      'A locked retention policy cannot be shortened or removed, so audit evidence cannot be altered.',
  },
  {
    rule: LoggingBucketRetention,
    level: 'error',
    hipaaControl: '164.312(b)',
    explanation: 'Gateway logs are kept at least six years.',
  },
  {
    rule: ComputeNoExternalIp,
    level: 'error',
    hipaaControl: '164.312(e)(1)',
    explanation: 'Gateway VMs are not reachable from the internet.',
  },
  {
    rule: ComputeShieldedVm,
    level: 'error',
    hipaaControl: '164.312(c)(1)',
    explanation: 'Secure boot, vTPM and integrity monitoring detect a tampered gateway host.',
  },
  {
    rule: ComputeOsLogin,
    level: 'error',
    hipaaControl: '164.312(d)',
    explanation: 'Administrative SSH is tied to IAM identities; no shared keys, no serial console.',
  },
  {
    rule: SqlInstanceNoPublicIp,
    level: 'error',
    hipaaControl: '164.312(e)(1)',
    explanation: 'Target databases have no public address.',
  },
  {
    rule: SqlInstanceSslRequired,
    level: 'error',
    hipaaControl: '164.312(e)(2)(ii)',
    explanation: 'Target databases refuse unencrypted connections.',
  },
  {
    rule: FirewallTargetOnlyFromGateway,
    level: 'error',
    hipaaControl: '164.312(a)(1)',
    explanation: 'The gateway is the only network path to each protected target (bypass detection).',
  },
  {
    rule: IamNoPrimitiveRoles,
    level: 'error',
    hipaaControl: '164.312(a)(1)',
    explanation: 'No owner/editor/viewer grants: every identity holds only what it needs.',
  },
  {
    rule: SecretAccessScopedToGateway,
    level: 'error',
    hipaaControl: '164.312(a)(1)',
    explanation: 'Only the gateway can read upstream credentials.',
  },
  // The rules over the gateway config, the same on both clouds.
  ...GATEWAY_CONFIG_GCP_RULES.map(([meta, rule]) => ({
    rule,
    level: meta.level,
    hipaaControl: meta.hipaaControl,
    explanation: meta.explanation,
  })),
  {
    rule: MonitoringGatewayActivityReviewed,
    level: 'error',
    hipaaControl: '164.308(a)(1)(ii)(D)',
    explanation:
      'Someone is told when the audit log refuses appends, the gateway is not ready, approvals wait, denials spike or the gateway restarts.',
  },
];
