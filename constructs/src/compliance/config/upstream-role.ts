/**
 * 164.312(a)(1): every principal on a Postgres connection acts through the one role the gateway
 * logs in as, so that role must not have server-level powers (superuser, BYPASSRLS,
 * pg_read_server_files, …) that turn policy into a suggestion. The gateway checks the role at
 * every connect and refuses a PHI connection whose role is privileged; a connection that sets
 * `acceptPrivilegedRole` is served anyway, which is a finding its author acknowledges with the
 * reason (the constructs record it), never a silent pass.
 */
import type { WardenConfig } from '../../core';
import { compliant, nonCompliant, notApplicable, type RuleOutcome } from './outcome';
import type { GatewayConfigRule } from './rule';

export function checkUpstreamRoleLeastPrivilege(config: WardenConfig): RuleOutcome {
  const phi = config.connections.filter((c) => c.phi && c.kind === 'postgres');
  if (phi.length === 0) return notApplicable('no PHI Postgres connections');
  const accepted = phi.filter((c) => c.kind === 'postgres' && c.acceptPrivilegedRole !== undefined);
  if (accepted.length > 0) {
    return nonCompliant(
      `PHI connection(s) ${accepted.map((c) => `"${c.name}"`).join(', ')} are served even when their upstream role has server-level privileges (acceptPrivilegedRole); each session.start records the role's privileges`,
    );
  }
  return compliant(
    `the gateway refuses ${phi.length} PHI Postgres connection(s) at connect if the upstream role has server-level privileges (runtime evidence: session.refused privileged-upstream-role)`,
  );
}

export const GatewayUpstreamRoleLeastPrivilege: GatewayConfigRule = {
  id: 'GatewayUpstreamRoleLeastPrivilege',
  level: 'error',
  hipaaControl: '164.312(a)(1)',
  info: 'No PHI Postgres connection accepts an upstream role with server-level privileges.',
  explanation:
    'A superuser or BYPASSRLS role reads files, other databases and rows that policy and row-level security would hide.',
  check: checkUpstreamRoleLeastPrivilege,
};
