/**
 * 164.312(a)(2)(ii): access in an emergency goes through a procedure, not a shared password.
 * Just-in-time grants are enabled with a named approver group and a bounded expiry; each request,
 * approval, expiry and revocation is audited (the evidence pack lists them).
 */
import type { WardenConfig } from '../../core';
import { compliant, fromProblems, nonCompliant, type RuleOutcome } from './outcome';
import type { GatewayConfigRule } from './rule';

/** Longest just-in-time grant accepted: one working day. */
export const MAX_JUST_IN_TIME_MS = 12 * 3600_000;

export function checkEmergencyAccess(config: WardenConfig): RuleOutcome {
  const jit = config.access.justInTime;
  if (!jit)
    return nonCompliant(
      'access.justInTime is not configured: there is no audited way to grant access in an emergency',
    );
  const problems: string[] = [];
  if (jit.approverGroups.length === 0) problems.push('access.justInTime names no approver group');
  if (jit.maxDurationMs > MAX_JUST_IN_TIME_MS)
    problems.push(
      `just-in-time grants may last ${jit.maxDurationMs / 3600_000} h, above ${MAX_JUST_IN_TIME_MS / 3600_000} h`,
    );
  if (problems.length > 0) return fromProblems(problems, '');
  return compliant(
    `just-in-time grants approved by ${jit.approverGroups.join(', ')}, expiring within ${jit.maxDurationMs / 3600_000} h`,
  );
}

export const GatewayEmergencyAccessJustInTime: GatewayConfigRule = {
  id: 'GatewayEmergencyAccessJustInTime',
  level: 'error',
  hipaaControl: '164.312(a)(2)(ii)',
  info: 'Just-in-time grants are enabled, approved by a named group, and expire within 12 h.',
  explanation:
    'Emergency access needs a procedure that names who approved it and ends on its own, instead of a shared break-glass credential.',
  check: checkEmergencyAccess,
};
