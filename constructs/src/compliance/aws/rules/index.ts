/** Warden's own rules on AWS, one per file. The pack test pins this exact list. */
import { CloudWatchGatewayActivityReviewed } from './CloudWatchGatewayActivityReviewed';
import { EC2ProtectedTargetIngressOnlyFromGateway } from './EC2ProtectedTargetIngressOnlyFromGateway';
import { GATEWAY_TASK_RULES } from './GatewayConfigRules';
import { IAMGatewayTaskRoleOnlyConnectionSecrets } from './IAMGatewayTaskRoleOnlyConnectionSecrets';
import { LogsRetentionSixYears } from './LogsRetentionSixYears';
import { S3AuditStorageObjectLockCompliance } from './S3AuditStorageObjectLockCompliance';
import { VPCNoPublicExposure } from './VPCNoPublicExposure';

export {
  GatewayAuditCheckpointsSigned,
  GatewayEmergencyAccessJustInTime,
  GatewayEvidenceExportDaily,
  GatewayOidcAuthentication,
  GatewayPhiConnectionsMasked,
  GatewayPhiWritesRequireApproval,
  GatewayPrincipalsIdentified,
  GatewaySessionsExpire,
  GatewayTlsRequired,
  GatewayUpstreamRoleLeastPrivilege,
  GatewayUpstreamTlsVerified,
  onGatewayTask,
} from './GatewayConfigRules';
export {
  CloudWatchGatewayActivityReviewed,
  EC2ProtectedTargetIngressOnlyFromGateway,
  IAMGatewayTaskRoleOnlyConnectionSecrets,
  LogsRetentionSixYears,
  S3AuditStorageObjectLockCompliance,
  VPCNoPublicExposure,
};

export const WARDEN_AWS_RULES = [
  EC2ProtectedTargetIngressOnlyFromGateway,
  S3AuditStorageObjectLockCompliance,
  LogsRetentionSixYears,
  VPCNoPublicExposure,
  IAMGatewayTaskRoleOnlyConnectionSecrets,
  ...GATEWAY_TASK_RULES,
  CloudWatchGatewayActivityReviewed,
] as const;
