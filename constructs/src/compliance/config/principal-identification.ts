/**
 * 164.312(a)(2)(i): every session belongs to one identified principal, classed human or agent.
 * Each issuer's tokens are accepted only for named audiences and the issuer says how an agent is
 * told from a person (a claim, the client-credentials grant, or agent by default); a config in
 * which every principal is classed human would give agents people's masking and approvals.
 * The upstream credential is the gateway's alone, so the database role never stands for a person.
 */
import type { WardenConfig } from '../../core';
import { fromProblems, type RuleOutcome } from './outcome';
import type { GatewayConfigRule } from './rule';

type Issuer = WardenConfig['identity']['issuers'][number];

/** Whether anything can make a principal of this issuer an agent. */
const classesAgents = (i: Issuer) =>
  i.kind.claim !== undefined || i.kind.agentWhenSubjectIsClient || i.kind.default === 'agent';

export function checkPrincipalIdentification(config: WardenConfig): RuleOutcome {
  const problems: string[] = [];
  for (const i of config.identity.issuers) {
    if (i.audiences.length === 0) problems.push(`issuer ${i.issuer} accepts tokens for any audience`);
    if (!classesAgents(i))
      problems.push(
        `issuer ${i.issuer} classes every principal human (no kind claim, no client-credentials rule, default human)`,
      );
  }
  return fromProblems(
    problems,
    `${config.identity.issuers.length} issuer(s): every principal is a named subject classed human or agent`,
  );
}

export const GatewayPrincipalsIdentified: GatewayConfigRule = {
  id: 'GatewayPrincipalsIdentified',
  level: 'error',
  hipaaControl: '164.312(a)(2)(i)',
  info: 'Every issuer names its audiences and classes each principal human or agent.',
  explanation:
    'Every action must be attributable to one person or one agent; agents and people get different masking and approvals.',
  check: checkPrincipalIdentification,
};
