/** Warden's own rules on AWS, one per file. The pack test pins this exact list. */
import { EC2ProtectedTargetIngressOnlyFromGateway } from './EC2ProtectedTargetIngressOnlyFromGateway';
import { GatewayPhiConnectionsMasked } from './GatewayPhiConnectionsMasked';
import { GatewayPhiWritesRequireApproval } from './GatewayPhiWritesRequireApproval';
import { GatewayTlsRequired } from './GatewayTlsRequired';
import { IAMGatewayTaskRoleOnlyConnectionSecrets } from './IAMGatewayTaskRoleOnlyConnectionSecrets';
import { LogsRetentionSixYears } from './LogsRetentionSixYears';
import { S3AuditStorageObjectLockCompliance } from './S3AuditStorageObjectLockCompliance';
import { VPCNoPublicExposure } from './VPCNoPublicExposure';

export {
  EC2ProtectedTargetIngressOnlyFromGateway,
  GatewayPhiConnectionsMasked,
  GatewayPhiWritesRequireApproval,
  GatewayTlsRequired,
  IAMGatewayTaskRoleOnlyConnectionSecrets,
  LogsRetentionSixYears,
  S3AuditStorageObjectLockCompliance,
  VPCNoPublicExposure,
};

export const WARDEN_AWS_RULES = [
  EC2ProtectedTargetIngressOnlyFromGateway,
  S3AuditStorageObjectLockCompliance,
  LogsRetentionSixYears,
  GatewayTlsRequired,
  GatewayPhiConnectionsMasked,
  GatewayPhiWritesRequireApproval,
  VPCNoPublicExposure,
  IAMGatewayTaskRoleOnlyConnectionSecrets,
] as const;
