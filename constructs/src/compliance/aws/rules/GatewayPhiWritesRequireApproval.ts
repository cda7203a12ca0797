/**
 * 164.312(c)(1). Compliant: Writes on PHI connections are held for approval by a second person (or denied).
 * Checks the gateway config (validated at synth) through the cloud-neutral check `checkPhiWriteApproval`.
 */
import { CfnTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { checkPhiWriteApproval } from '../../config';
import { notApplicable } from '../../config/outcome';
import { gatewayConfig, isOutcome, type WardenRule } from '../rule';

export const GatewayPhiWritesRequireApproval: WardenRule = {
  id: 'GatewayPhiWritesRequireApproval',
  level: 'error',
  hipaaControl: '164.312(c)(1)',
  info: 'Writes on PHI connections are held for approval by a second person (or denied).',
  explanation: "A second person before any change to PHI protects its integrity against an agent's mistake.",
  evaluate(node) {
    if (!(node instanceof CfnTaskDefinition)) return notApplicable();
    const config = gatewayConfig(node);
    if (config === undefined) return notApplicable();
    return isOutcome(config) ? config : checkPhiWriteApproval(config);
  },
};
