/**
 * Warden's rules over the rendered gateway config (compliance/config, one rule per file, shared
 * with GCP), evaluated on the gateway's task definition, whose mark carries the validated config.
 * A config that does not validate is "could not validate", never a pass.
 */
import { CfnTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import * as config from '../../config';
import { notApplicable } from '../../config/outcome';
import { gatewayConfig, isOutcome, type WardenRule } from '../rule';

export function onGatewayTask(rule: config.GatewayConfigRule): WardenRule {
  const { id, level, hipaaControl, info, explanation } = rule;
  return {
    id,
    level,
    hipaaControl,
    info,
    explanation,
    evaluate(node) {
      if (!(node instanceof CfnTaskDefinition)) return notApplicable();
      const validated = gatewayConfig(node);
      if (validated === undefined) return notApplicable();
      return isOutcome(validated) ? validated : rule.check(validated);
    },
  };
}

export const GatewayPhiConnectionsMasked = onGatewayTask(config.GatewayPhiConnectionsMasked);
export const GatewayUpstreamRoleLeastPrivilege = onGatewayTask(config.GatewayUpstreamRoleLeastPrivilege);
export const GatewayPrincipalsIdentified = onGatewayTask(config.GatewayPrincipalsIdentified);
export const GatewayEmergencyAccessJustInTime = onGatewayTask(config.GatewayEmergencyAccessJustInTime);
export const GatewaySessionsExpire = onGatewayTask(config.GatewaySessionsExpire);
export const GatewayEvidenceExportDaily = onGatewayTask(config.GatewayEvidenceExportDaily);
export const GatewayPhiWritesRequireApproval = onGatewayTask(config.GatewayPhiWritesRequireApproval);
export const GatewayAuditCheckpointsSigned = onGatewayTask(config.GatewayAuditCheckpointsSigned);
export const GatewayOidcAuthentication = onGatewayTask(config.GatewayOidcAuthentication);
export const GatewayUpstreamTlsVerified = onGatewayTask(config.GatewayUpstreamTlsVerified);
export const GatewayTlsRequired = onGatewayTask(config.GatewayTlsRequired);

/** In the order of config.GATEWAY_CONFIG_RULES; a test keeps the two lists the same. */
export const GATEWAY_TASK_RULES: readonly WardenRule[] = [
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
