/**
 * 164.312(e)(1): every gateway listener presents TLS, plaintext passwords are refused, and every
 * upstream leg verifies the server certificate and host name.
 */
import type { WardenConfig } from '../../core';
import { fromProblems, type RuleOutcome } from './outcome';

export function checkGatewayTls(config: WardenConfig): RuleOutcome {
  const problems: string[] = [];
  const l = config.listeners;
  if (l.postgres && !l.postgres.tls) problems.push('listeners.postgres has no TLS');
  if (l.postgres?.allowPlaintextPassword) problems.push('listeners.postgres.allowPlaintextPassword is true');
  if (l.http && !l.http.tls) problems.push('listeners.http has no TLS');
  if (!l.admin.tls) problems.push('listeners.admin has no TLS');
  for (const c of config.connections) {
    if (c.kind === 'ssh') continue; // SSH is encrypted by the protocol; the host key is pinned.
    if (c.upstream.tls.mode !== 'verify-full')
      problems.push(`connection "${c.name}" upstream TLS is ${c.upstream.tls.mode}`);
    if (c.kind === 'http' && !c.upstream.url.startsWith('https:')) {
      problems.push(`connection "${c.name}" upstream URL is not https`);
    }
  }
  return fromProblems(problems, 'every listener presents TLS and every upstream is verified');
}
