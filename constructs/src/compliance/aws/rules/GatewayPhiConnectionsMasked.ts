/**
 * 164.312(a)(1). Compliant: Every PHI connection has masking rules (classified columns, detectors on, no raw profile for agents).
 * Checks the gateway config (validated at synth) through the cloud-neutral check `checkPhiMasking`.
 */
import { CfnTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { checkPhiMasking } from '../../config';
import { notApplicable } from '../../config/outcome';
import { gatewayConfig, isOutcome, type WardenRule } from '../rule';

export const GatewayPhiConnectionsMasked: WardenRule = {
  id: 'GatewayPhiConnectionsMasked',
  level: 'error',
  hipaaControl: '164.312(a)(1)',
  info: 'Every PHI connection has masking rules (classified columns, detectors on, no raw profile for agents).',
  explanation:
    'Nothing raw reaches an agent that policy says must be masked: the minimum necessary standard applied to AI agents.',
  evaluate(node) {
    if (!(node instanceof CfnTaskDefinition)) return notApplicable();
    const config = gatewayConfig(node);
    if (config === undefined) return notApplicable();
    return isOutcome(config) ? config : checkPhiMasking(config);
  },
};
