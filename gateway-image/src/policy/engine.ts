import type { PolicyRuleConfig } from '../config/policy';
import type { Principal } from '../identity/principal';
import type { Facts, HttpFacts, KubernetesFacts, ShellFacts, ShellFeature, SqlFacts } from '../inspect/facts';
import { isLineFeature } from '../inspect/ssh';
import { type Classification, ClassificationIndex } from './classification';
import type { Decision } from './decision';
import { compileHttpMatch, compileKubernetesMatch, compileSshMatch } from './match-command';
import { compileSqlMatch, type SqlMatchContext, type SqlMatcher } from './match-sql';
import { matchesPrincipal } from './principals';
import { functionVetter } from './vetted-functions';

/** What the engine needs of a connection: its name and, for Postgres, its PHI classification. */
export interface PolicyConnection {
  readonly name: string;
  /** Whether the target may hold PHI (rules with `phi` select on it). @default false */
  readonly phi?: boolean;
  readonly classification?: Classification;
}

export interface PolicyEngineOptions {
  /** The configured connections (ConnectionConfig fits); their classifications feed the PHI tests. */
  readonly connections: readonly PolicyConnection[];
  /**
   * More classified columns for a connection, e.g. found in the catalog at run time; merged over
   * the configured classification. Called on every decision, so it must be fast and pure.
   * @default none
   */
  readonly classification?: (connection: string) => Classification | undefined;
}

/** The `policy` section as the schema outputs it; `default` and `rules` may be omitted here. */
export interface PolicyInput {
  readonly default?: 'allow' | 'deny';
  readonly rules?: readonly PolicyRuleConfig[];
  /** Functions added to the vetted list (sql.unvettedFunctions). @default none */
  readonly vettedFunctions?: readonly string[];
}

export interface PolicyEngine {
  decide(principal: Principal, connection: string, facts: Facts): Decision;
}

/** Higher is more restrictive. */
const RANK = { allow: 0, 'require-approval': 1, deny: 2 } as const;

interface CompiledRule {
  readonly config: PolicyRuleConfig;
  matches(principal: Principal, connection: string, facts: Facts, phi: ClassificationIndex): boolean;
}

/**
 * The one policy engine, for every protocol. Pure and synchronous: rules are compiled once here.
 *
 * Evaluation order:
 * 1. Every rule is tested; a rule matches when its principal selector, its connection list and
 *    the match block for the command's protocol all match (a rule with no protocol block matches
 *    any command; a rule with only an `sql` block never matches SSH or HTTP).
 * 2. Of the matching rules, the most restrictive decision wins: deny, then require-approval, then
 *    allow. Between rules with the same decision, the first in the config wins (its name and
 *    reason are reported).
 * 3. No rule matches: the policy default (deny unless configured), reported as rule `default`.
 * A SQL command with several statements is decided statement by statement, and a command line
 * with several programs program by program; the most restrictive part decides the command (so
 * `SELECT 1; DROP TABLE t` cannot ride on a rule that allows SELECT, nor `ls; rm -rf /` on one that
 * allows `ls`). Within one statement an `sql` block's fields must all match it.
 */
export function createPolicyEngine(policy: PolicyInput, options: PolicyEngineOptions): PolicyEngine {
  const phiConnections = new Set(options.connections.filter((c) => c.phi === true).map((c) => c.name));
  const sqlContext: SqlMatchContext = { isVetted: functionVetter(policy.vettedFunctions ?? []) };
  const rules = (policy.rules ?? []).map((r) => compileRule(r, sqlContext, (c) => phiConnections.has(c)));
  const fallback = policy.default ?? 'deny';
  const configured = new Map(options.connections.map((c) => [c.name, c.classification ?? {}]));
  // One index per connection, rebuilt only when the extra classification object changes.
  const indexes = new Map<string, { extra: Classification | undefined; index: ClassificationIndex }>();

  const phiFor = (connection: string): ClassificationIndex => {
    const extra = options.classification?.(connection);
    const cached = indexes.get(connection);
    if (cached && cached.extra === extra) return cached.index;
    const base = configured.get(connection) ?? {};
    const index = new ClassificationIndex(extra ? { ...base, ...extra } : base);
    indexes.set(connection, { extra, index });
    return index;
  };

  const decideOne = (principal: Principal, connection: string, facts: Facts, phi: ClassificationIndex) => {
    let winner: CompiledRule | undefined;
    for (const r of rules) {
      if (winner && RANK[r.config.decision] <= RANK[winner.config.decision]) continue;
      if (r.matches(principal, connection, facts, phi)) winner = r;
    }
    if (!winner) return defaultDecision(fallback, connection);
    const d = toDecision(winner.config);
    return facts.protocol === 'ssh' && facts.commands ? aboutProgram(d, winner.config, facts) : d;
  };

  return {
    decide(principal, connection, facts) {
      const phi = phiFor(connection);
      let result: Decision | undefined;
      for (const part of parts(facts)) {
        const d = decideOne(principal, connection, part, phi);
        if (!result || RANK[d.outcome] > RANK[result.outcome]) result = d;
      }
      return result!;
    },
  };
}

/**
 * The units a command is decided by: each SQL statement alone, and each program of a command line
 * alone (with the line's mode and shape, and the features the inspector gave that program). A
 * rule's match block is tested against one unit, so an allow rule naming `ls` cannot carry
 * `ls; rm -rf /` — every program needs a rule of its own.
 */
function parts(facts: Facts): readonly Facts[] {
  if (facts.protocol === 'postgres' && facts.statements.length > 1) {
    return facts.statements.map((statement) => ({ ...facts, statements: [statement] }));
  }
  if (facts.protocol === 'kubernetes' && facts.command) {
    // An exec is the request (create pods/exec) and the command it runs, each decided alone.
    const { command, ...request } = facts;
    return [request, ...parts(command)];
  }
  if (facts.protocol === 'ssh' && facts.commands && facts.commands.length > 0) {
    return shellParts(facts, facts.commands);
  }
  if (facts.protocol === 'ssh' && facts.programs.length > 1) {
    return facts.programs.map((program) => ({ ...facts, programs: [program] }));
  }
  return [facts];
}

/** One unit per program: its own features (of every time it runs on the line) and the line's shape. */
function shellParts(facts: ShellFacts, commands: NonNullable<ShellFacts['commands']>): ShellFacts[] {
  const shape = facts.features.filter(isLineFeature);
  const byProgram = new Map<string, Set<ShellFeature>>();
  for (const c of commands) {
    const features = byProgram.get(c.program) ?? new Set(shape);
    for (const f of c.features) features.add(f);
    byProgram.set(c.program, features);
  }
  return [...byProgram].map(([program, features]) => ({
    ...facts,
    programs: [program],
    features: [...features],
  }));
}

function compileRule(
  config: PolicyRuleConfig,
  sqlContext: SqlMatchContext,
  isPhi: (connection: string) => boolean,
): CompiledRule {
  const sql: SqlMatcher | undefined = config.sql ? compileSqlMatch(config.sql, sqlContext) : undefined;
  const ssh = config.ssh ? compileSshMatch(config.ssh) : undefined;
  const http = config.http ? compileHttpMatch(config.http) : undefined;
  const kubernetes = config.kubernetes ? compileKubernetesMatch(config.kubernetes) : undefined;
  const anyProtocol = !sql && !ssh && !http && !kubernetes;
  const connections =
    config.connections && !config.connections.includes('*') ? config.connections : undefined;
  return {
    config,
    matches(principal, connection, facts, phi) {
      if (!matchesPrincipal(config.principals, principal)) return false;
      if (connections && !connections.includes(connection)) return false;
      if (config.phi !== undefined && isPhi(connection) !== config.phi) return false;
      if (anyProtocol) return true;
      switch (facts.protocol) {
        case 'postgres':
          return sql?.((facts as SqlFacts).statements, phi) ?? false;
        case 'ssh':
          return ssh?.(facts as ShellFacts) ?? false;
        case 'http':
          return http?.(facts as HttpFacts) ?? false;
        case 'kubernetes':
          return kubernetes?.(facts as KubernetesFacts) ?? false;
      }
    },
  };
}

/** A refusal of one program of a command line names it, and the features of it the rule matched. */
function aboutProgram(d: Decision, rule: PolicyRuleConfig, part: ShellFacts): Decision {
  if (d.outcome === 'allow' || part.programs.length !== 1) return d;
  const features = part.features.filter((f) => rule.ssh?.features?.includes(f));
  return { ...d, program: part.programs[0]!, ...(features.length > 0 ? { features } : {}) };
}

function toDecision(rule: PolicyRuleConfig): Decision {
  if (rule.decision === 'allow') return { outcome: 'allow', rule: rule.name };
  const reason = rule.reason ?? rule.description ?? `denied by rule ${rule.name}`;
  return { outcome: rule.decision, rule: rule.name, reason };
}

function defaultDecision(fallback: 'allow' | 'deny', connection: string): Decision {
  if (fallback === 'allow') return { outcome: 'allow', rule: 'default' };
  return {
    outcome: 'deny',
    rule: 'default',
    reason: `no policy rule allows this command on connection "${connection}" (the default is deny)`,
  };
}
