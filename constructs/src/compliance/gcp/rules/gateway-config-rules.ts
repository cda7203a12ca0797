/**
 * Warden's rules over the rendered gateway config (compliance/config, one rule per file, shared
 * with AWS), judged on each instance template that carries a config. A config that cannot be read
 * or does not validate is "could not validate", never a pass.
 */
import { GATEWAY_CONFIG_RULES, type GatewayConfigRule } from '../../config';
import { gatewayConfigs, isOutcome } from '../gateway-config';
import type { GcpRule } from '../rule';

export function onGatewayConfig(rule: GatewayConfigRule): GcpRule {
  return {
    name: rule.id,
    check: (view) =>
      gatewayConfigs(view).map(([resource, config]) => ({
        resource,
        ...(isOutcome(config) ? config : rule.check(config)),
      })),
  };
}

/** Every config rule as a GCP rule, in GATEWAY_CONFIG_RULES order. */
export const GATEWAY_CONFIG_GCP_RULES: readonly [GatewayConfigRule, GcpRule][] = GATEWAY_CONFIG_RULES.map(
  (r) => [r, onGatewayConfig(r)],
);
