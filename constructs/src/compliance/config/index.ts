/** Cloud-neutral checks on a validated gateway config; the AWS and GCP packs wrap them. */

import { GatewayAuditCheckpointsSigned } from './audit-signing';
import { GatewayOidcAuthentication } from './authentication';
import { GatewaySessionsExpire } from './automatic-logoff';
import { GatewayEmergencyAccessJustInTime } from './emergency-access';
import { GatewayEvidenceExportDaily } from './evidence-export';
import { GatewayPhiConnectionsMasked } from './phi-masking';
import { GatewayPhiWritesRequireApproval } from './phi-write-approval';
import { GatewayPrincipalsIdentified } from './principal-identification';
import type { GatewayConfigRule } from './rule';
import { GatewayTlsRequired } from './tls-required';
import { GatewayUpstreamRoleLeastPrivilege } from './upstream-role';
import { GatewayUpstreamTlsVerified } from './upstream-tls-verified';

export { checkAuditCheckpointSigning } from './audit-signing';
export { checkAuthentication } from './authentication';
export { checkAutomaticLogoff } from './automatic-logoff';
export { checkEmergencyAccess } from './emergency-access';
export { checkEvidenceExport, evidenceLocation } from './evidence-export';
export * from './outcome';
export { checkPhiMasking } from './phi-masking';
export { checkPhiWriteApproval } from './phi-write-approval';
export { checkPrincipalIdentification } from './principal-identification';
export type { GatewayConfigRule } from './rule';
export { checkGatewayTls } from './tls-required';
export { checkUpstreamRoleLeastPrivilege } from './upstream-role';
export { checkUpstreamTlsVerified } from './upstream-tls-verified';
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
};

/** Every rule over the gateway config, in § 164.312 order; both cloud packs run exactly these. */
export const GATEWAY_CONFIG_RULES: readonly GatewayConfigRule[] = [
  GatewayPhiConnectionsMasked,
  GatewayUpstreamRoleLeastPrivilege,
  GatewayPrincipalsIdentified,
  GatewayEmergencyAccessJustInTime,
  GatewaySessionsExpire,
  GatewayEvidenceExportDaily,
  GatewayPhiWritesRequireApproval,
  GatewayAuditCheckpointsSigned,
  GatewayOidcAuthentication,
  GatewayUpstreamTlsVerified,
  GatewayTlsRequired,
];
