/**
 * 164.312(e)(1). Compliant: Every gateway listener presents TLS, plaintext passwords are refused and upstream certificates are verified.
 * Checks the gateway config (validated at synth) through the cloud-neutral check `checkGatewayTls`.
 */
import { CfnTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { checkGatewayTls } from '../../config';
import { notApplicable } from '../../config/outcome';
import { gatewayConfig, isOutcome, type WardenRule } from '../rule';

export const GatewayTlsRequired: WardenRule = {
  id: 'GatewayTlsRequired',
  level: 'error',
  hipaaControl: '164.312(e)(1)',
  info: 'Every gateway listener presents TLS, plaintext passwords are refused and upstream certificates are verified.',
  explanation:
    "PHI in transit must be encrypted on both legs; the load balancer passes TCP through, so the gateway's own TLS is the only protection.",
  evaluate(node) {
    if (!(node instanceof CfnTaskDefinition)) return notApplicable();
    const config = gatewayConfig(node);
    if (config === undefined) return notApplicable();
    return isOutcome(config) ? config : checkGatewayTls(config);
  },
};
