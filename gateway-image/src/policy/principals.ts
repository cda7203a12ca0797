import type { z } from 'zod';
import type { principalSelector } from '../config/policy';
import type { Principal } from '../identity/principal';

export type PrincipalSelectorConfig = z.output<typeof principalSelector>;

/**
 * Whether a selector matches a principal: every field given must match (kinds: the principal's
 * kind is listed; groups: any of the principal's groups is listed; subjects: exact subject).
 * An empty selector matches everyone.
 */
export function matchesPrincipal(selector: PrincipalSelectorConfig | undefined, p: Principal): boolean {
  if (!selector) return true;
  if (selector.kinds && !selector.kinds.includes(p.kind)) return false;
  if (selector.groups && !p.groups.some((g) => selector.groups!.includes(g))) return false;
  if (selector.subjects && !selector.subjects.includes(p.subject)) return false;
  return true;
}

/** `agent "ci-bot" (groups: agents)`: how refusals name a principal. Subjects and groups are not secret. */
export function describePrincipal(p: Principal): string {
  const groups = p.groups.length > 0 ? p.groups.join(', ') : 'none';
  return `${p.kind} "${p.subject}" (groups: ${groups})`;
}
