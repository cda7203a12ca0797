/**
 * 164.312(e)(2)(i): nothing between the gateway and a target can read or alter PHI unnoticed.
 * Every Postgres and HTTP upstream is reached over TLS with its certificate chain and host name
 * verified (`verify-full`; HTTP URLs are https), and every SSH host key is pinned.
 */
import type { WardenConfig } from '../../core';
import { fromProblems, notApplicable, type RuleOutcome } from './outcome';
import type { GatewayConfigRule } from './rule';

export function checkUpstreamTlsVerified(config: WardenConfig): RuleOutcome {
  if (config.connections.length === 0) return notApplicable('no connections');
  const problems: string[] = [];
  for (const c of config.connections) {
    if (c.kind === 'ssh') {
      // The schema requires hostKey; an empty one would accept any server.
      if (!c.upstream.hostKey.trim()) problems.push(`connection "${c.name}" pins no SSH host key`);
      continue;
    }
    if (c.upstream.tls.mode !== 'verify-full')
      problems.push(`connection "${c.name}" upstream TLS is ${c.upstream.tls.mode}`);
    if (c.kind === 'http' && !c.upstream.url.startsWith('https:'))
      problems.push(`connection "${c.name}" upstream URL is not https`);
  }
  return fromProblems(
    problems,
    `${config.connections.length} upstream(s): certificates and host names verified, SSH host keys pinned`,
  );
}

export const GatewayUpstreamTlsVerified: GatewayConfigRule = {
  id: 'GatewayUpstreamTlsVerified',
  level: 'error',
  hipaaControl: '164.312(e)(2)(i)',
  info: 'Every upstream certificate and host name is verified (verify-full, https) and every SSH host key is pinned.',
  explanation:
    'An unverified upstream can be impersonated, and whoever sits in the middle can read and alter PHI on the way.',
  check: checkUpstreamTlsVerified,
};
