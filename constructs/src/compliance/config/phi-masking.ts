/**
 * 164.312(a)(1): nothing raw reaches an agent that policy says must be masked. Every PHI
 * connection has masking rules: content detectors on, Postgres PHI columns classified, and no
 * masking profile that lets agents see PHI raw by default.
 */
import type { WardenConfig } from '../../core';
import { fromProblems, notApplicable, type RuleOutcome } from './outcome';
import type { GatewayConfigRule } from './rule';

export function checkPhiMasking(config: WardenConfig): RuleOutcome {
  const phi = config.connections.filter((c) => c.phi);
  if (phi.length === 0) return notApplicable('no PHI connections');
  const problems: string[] = [];
  if (!config.masking.detectors.enabled) problems.push('masking.detectors.enabled is false');
  for (const c of phi) {
    if (c.kind === 'postgres' && Object.keys(c.classification).length === 0) {
      problems.push(`PHI connection "${c.name}" classifies no columns`);
    }
  }
  for (const p of config.masking.profiles) {
    const reachesAgents = !p.principals.kinds || p.principals.kinds.includes('agent');
    if (reachesAgents && p.default === 'raw')
      problems.push(`masking profile "${p.name}" shows agents raw PHI`);
  }
  return fromProblems(problems, `${phi.length} PHI connection(s) masked`);
}

export const GatewayPhiConnectionsMasked: GatewayConfigRule = {
  id: 'GatewayPhiConnectionsMasked',
  level: 'error',
  hipaaControl: '164.312(a)(1)',
  info: 'Every PHI connection has masking rules (classified columns, detectors on, no raw profile for agents).',
  explanation:
    'Nothing raw reaches an agent that policy says must be masked: the minimum necessary standard applied to AI agents.',
  check: checkPhiMasking,
};
