/**
 * Label values are allow-listed, never copied: a connection or rule name must be one the config
 * declares, an entity or reason must look like an identifier the gateway itself writes. Anything
 * else (a database name a client made up, a free-text reason) becomes "other", so a scrape can
 * never carry a subject, PHI, SQL text or a token, and series stay bounded.
 */
import type { WardenConfig } from '../config/schema';

export const OTHER = 'other';
/** Codes the gateway writes (reasons, entities, sinks): short, no spaces, no quotes. */
const CODE = /^[A-Za-z][A-Za-z0-9_.:-]{0,47}$/;

export interface LabelGuard {
  connection(name: unknown): string;
  rule(name: unknown): string;
  /** A code the gateway writes (reason, entity, strategy, sink). */
  code(value: unknown): string;
  principalKind(kind: unknown): string;
}

export function labelGuard(config: WardenConfig): LabelGuard {
  const connections = new Set(config.connections.map((c) => c.name));
  const rules = new Set(config.policy.rules.map((r) => r.name));
  const code = (value: unknown) => (typeof value === 'string' && CODE.test(value) ? value : OTHER);
  return {
    connection: (name) => (typeof name === 'string' && connections.has(name) ? name : OTHER),
    // Built-in rules are named `warden:…`; the policy default decision has no rule.
    rule: (name) =>
      typeof name === 'string' && (rules.has(name) || (name.startsWith('warden:') && CODE.test(name)))
        ? name
        : name === undefined
          ? 'default'
          : OTHER,
    code,
    principalKind: (kind) => (kind === 'human' || kind === 'agent' ? kind : OTHER),
  };
}
