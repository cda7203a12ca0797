/**
 * 164.312(c)(1): a write on a PHI connection waits for a second person (or is denied). A rule
 * counts only if it applies to every principal, covers every write of its protocol without
 * narrowing matchers, and, when it holds, some approval rule names approvers for it.
 */
import type { WardenConfig } from '../../core';

type PolicyRuleConfig = WardenConfig['policy']['rules'][number];

import { fromProblems, notApplicable, type RuleOutcome } from './outcome';

type Conn = WardenConfig['connections'][number];

const SQL_WRITES = ['insert', 'update', 'delete'];
const HTTP_WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

const appliesToEveryone = (r: PolicyRuleConfig) =>
  Object.values(r.principals).every((v) => v === undefined || (Array.isArray(v) && v.length === 0));

const onlyKeys = (o: object, allowed: string[]) =>
  Object.entries(o).every(([k, v]) => v === undefined || allowed.includes(k));

function coversWrites(r: PolicyRuleConfig, c: Conn): boolean {
  if (r.connections && !r.connections.includes(c.name) && !r.connections.includes('*')) return false;
  if (!appliesToEveryone(r)) return false;
  switch (c.kind) {
    case 'postgres':
      return (
        !!r.sql && onlyKeys(r.sql, ['kinds']) && SQL_WRITES.every((k) => r.sql?.kinds?.includes(k as never))
      );
    case 'http':
      return (
        !!r.http && onlyKeys(r.http, ['methods']) && HTTP_WRITES.every((m) => r.http?.methods?.includes(m))
      );
    case 'ssh':
      return (
        !!r.ssh &&
        onlyKeys(r.ssh, ['modes']) &&
        ['exec', 'shell'].every((m) => r.ssh?.modes?.includes(m as never))
      );
  }
}

function hasApprovers(config: WardenConfig, rule: string): boolean {
  return config.approvals.rules.some(
    (a) => a.approverGroups.length > 0 && (a.policyRules.includes(rule) || a.policyRules.includes('*')),
  );
}

export function checkPhiWriteApproval(config: WardenConfig): RuleOutcome {
  const phi = config.connections.filter((c) => c.phi);
  if (phi.length === 0) return notApplicable('no PHI connections');
  const problems: string[] = [];
  for (const c of phi) {
    const guards = config.policy.rules.filter(
      (r) => (r.decision === 'deny' || r.decision === 'require-approval') && coversWrites(r, c),
    );
    if (guards.length === 0) {
      problems.push(`PHI connection "${c.name}" has no rule holding or denying every write`);
    } else if (guards.every((r) => r.decision === 'require-approval' && !hasApprovers(config, r.name))) {
      problems.push(
        `PHI connection "${c.name}": rule(s) ${guards.map((r) => `"${r.name}"`).join(', ')} hold writes but no approval rule names approvers`,
      );
    }
  }
  return fromProblems(problems, `writes on ${phi.length} PHI connection(s) need approval`);
}
