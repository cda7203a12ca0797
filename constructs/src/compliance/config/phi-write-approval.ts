/**
 * 164.312(c)(1): a write on a PHI connection waits for a second person (or is denied). A rule
 * counts only if it applies to every principal on the connection and matches every write of its
 * protocol without narrowing matchers, and, when it holds, some approval rule names approvers.
 *
 * "Every write" is the gateway's own definition: for SQL that is `sql.write: true` (DML, TRUNCATE,
 * MERGE, COPY … FROM, DDL, GRANT, data-modifying WITH, procedural code, unvetted functions), the
 * matcher the construct library renders. A list of statement kinds never counts: kinds miss
 * writes hidden under other kinds (a DELETE inside WITH is a SELECT, PREPARE … AS INSERT is a
 * PREPARE), so a rule holding INSERT, UPDATE and DELETE leaves MERGE, COPY … FROM and DDL unheld.
 * For SSH every exec, shell and subsystem (sftp) session is a potential write; for HTTP every
 * state-changing method. A rule with no protocol block matches every command.
 */
import type { WardenConfig } from '../../core';
import { fromProblems, notApplicable, type RuleOutcome } from './outcome';
import type { GatewayConfigRule } from './rule';

type PolicyRuleConfig = WardenConfig['policy']['rules'][number];
type Conn = WardenConfig['connections'][number];

const SSH_MODES = ['exec', 'shell', 'subsystem'] as const;
const HTTP_WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];
const KUBERNETES_WRITES = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;

const appliesToEveryone = (r: PolicyRuleConfig) =>
  Object.values(r.principals).every((v) => v === undefined || (Array.isArray(v) && v.length === 0));

/** Fields other than `allowed` that are set narrow the matcher. */
const onlyKeys = (o: object, allowed: readonly string[]) =>
  Object.entries(o).every(([k, v]) => v === undefined || allowed.includes(k));

const hasProtocolBlock = (r: PolicyRuleConfig) => !!(r.sql || r.ssh || r.http || r.kubernetes);

function reachesConnection(r: PolicyRuleConfig, c: Conn): boolean {
  if (r.connections && !r.connections.includes(c.name) && !r.connections.includes('*')) return false;
  return r.phi !== false && appliesToEveryone(r);
}

function coversWrites(r: PolicyRuleConfig, c: Conn): boolean {
  if (!reachesConnection(r, c)) return false;
  if (!hasProtocolBlock(r)) return true;
  switch (c.kind) {
    case 'postgres':
      return !!r.sql && r.sql.write === true && onlyKeys(r.sql, ['write']);
    case 'http':
      return (
        !!r.http && onlyKeys(r.http, ['methods']) && HTTP_WRITES.every((m) => r.http?.methods?.includes(m))
      );
    case 'ssh':
      return !!r.ssh && onlyKeys(r.ssh, ['modes']) && SSH_MODES.every((m) => r.ssh?.modes?.includes(m));
    case 'kubernetes':
      // Every write verb (exec is create on pods/exec), in every namespace or every PHI namespace.
      return (
        !!r.kubernetes &&
        onlyKeys(r.kubernetes, ['verbs', 'phiNamespace']) &&
        r.kubernetes.phiNamespace !== false &&
        KUBERNETES_WRITES.every((v) => r.kubernetes?.verbs?.includes(v))
      );
  }
}

/** A rule that holds only some SQL writes: named in the problem so the author sees why it does not count. */
function partialSqlGuard(r: PolicyRuleConfig, c: Conn): boolean {
  return c.kind === 'postgres' && reachesConnection(r, c) && !!r.sql?.kinds && !coversWrites(r, c);
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
    const restrictive = config.policy.rules.filter(
      (r) => r.decision === 'deny' || r.decision === 'require-approval',
    );
    const guards = restrictive.filter((r) => coversWrites(r, c));
    if (guards.length === 0) {
      const partial = restrictive.filter((r) => partialSqlGuard(r, c)).map((r) => `"${r.name}"`);
      const hint =
        partial.length > 0
          ? `: rule(s) ${partial.join(', ')} match statement kinds, which miss MERGE, COPY … FROM, DDL and writes inside WITH or PREPARE; use sql.write: true`
          : '';
      problems.push(`PHI connection "${c.name}" has no rule holding or denying every write${hint}`);
    } else if (guards.every((r) => r.decision === 'require-approval' && !hasApprovers(config, r.name))) {
      problems.push(
        `PHI connection "${c.name}": rule(s) ${guards.map((r) => `"${r.name}"`).join(', ')} hold writes but no approval rule names approvers`,
      );
    }
  }
  return fromProblems(problems, `writes on ${phi.length} PHI connection(s) need approval`);
}

export const GatewayPhiWritesRequireApproval: GatewayConfigRule = {
  id: 'GatewayPhiWritesRequireApproval',
  level: 'error',
  hipaaControl: '164.312(c)(1)',
  info: "Every write on a PHI connection (the gateway's sql.write, SSH sessions, state-changing HTTP) is held for a second person or denied.",
  explanation: "A second person before any change to PHI protects its integrity against an agent's mistake.",
  check: checkPhiWriteApproval,
};
