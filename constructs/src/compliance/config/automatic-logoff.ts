/**
 * 164.312(a)(2)(iii): sessions end on their own. A session lives as long as its credential and
 * grant: the gateway ends it when the token or just-in-time grant expires (session.end reasons
 * credential-expired, grant-expired). Warden session tokens last at most one hour; the lifetime
 * of an issuer's own access tokens is set by the issuer and cannot be known at synth.
 */
import type { WardenConfig } from '../../core';
import { MAX_JUST_IN_TIME_MS } from './emergency-access';
import { compliant, couldNotValidate, fromProblems, type RuleOutcome } from './outcome';
import type { GatewayConfigRule } from './rule';

export const MAX_SESSION_TOKEN_SEC = 3600;

export function checkAutomaticLogoff(config: WardenConfig): RuleOutcome {
  const tokens = config.identity.sessionTokens;
  if (!tokens)
    return couldNotValidate(
      "identity.sessionTokens is not configured: sessions last as long as the issuer's access tokens, whose lifetime is not known at synth",
    );
  const problems: string[] = [];
  if (tokens.lifetimeSec > MAX_SESSION_TOKEN_SEC)
    problems.push(`session tokens live ${tokens.lifetimeSec} s, above ${MAX_SESSION_TOKEN_SEC}`);
  const jit = config.access.justInTime;
  if (jit && jit.maxDurationMs > MAX_JUST_IN_TIME_MS)
    problems.push(`just-in-time grants may last ${jit.maxDurationMs / 3600_000} h`);
  if (problems.length > 0) return fromProblems(problems, '');
  return compliant(
    `session tokens expire after ${tokens.lifetimeSec / 60} min${jit ? `, just-in-time grants within ${jit.maxDurationMs / 3600_000} h` : ''}; sessions end when either expires`,
  );
}

export const GatewaySessionsExpire: GatewayConfigRule = {
  id: 'GatewaySessionsExpire',
  level: 'error',
  hipaaControl: '164.312(a)(2)(iii)',
  info: 'Session tokens live at most one hour and grants expire, so sessions end on their own.',
  explanation:
    'An unattended session is an open door to PHI; ending it with its credential is automatic logoff for agents and people alike.',
  check: checkAutomaticLogoff,
};
