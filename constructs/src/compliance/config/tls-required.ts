/**
 * 164.312(e)(2)(ii): PHI is encrypted on the client leg. Every gateway listener presents TLS (SSH
 * encrypts by its own protocol) and tokens are never accepted over a plaintext Postgres session.
 * The load balancer passes TCP through, so the gateway's own TLS is the only encryption there.
 */
import type { WardenConfig } from '../../core';
import { fromProblems, type RuleOutcome } from './outcome';
import type { GatewayConfigRule } from './rule';

export function checkGatewayTls(config: WardenConfig): RuleOutcome {
  const problems: string[] = [];
  const l = config.listeners;
  if (l.postgres && !l.postgres.tls) problems.push('listeners.postgres has no TLS');
  if (l.postgres?.allowPlaintextPassword) problems.push('listeners.postgres.allowPlaintextPassword is true');
  if (l.http && !l.http.tls) problems.push('listeners.http has no TLS');
  if (!l.admin.tls) problems.push('listeners.admin has no TLS');
  return fromProblems(problems, 'every listener presents TLS and plaintext passwords are refused');
}

export const GatewayTlsRequired: GatewayConfigRule = {
  id: 'GatewayTlsRequired',
  level: 'error',
  hipaaControl: '164.312(e)(2)(ii)',
  info: 'Every gateway listener presents TLS and plaintext passwords are refused.',
  explanation:
    "PHI in transit must be encrypted; the load balancer passes TCP through, so the gateway's own TLS is the only protection on the client leg.",
  check: checkGatewayTls,
};
