/**
 * Validates a rendered config with the gateway's own schema, at synth time, so a bad policy fails
 * the synth instead of the gateway's start in production.
 *
 * At synth some strings still hold deploy-time tokens (a secret ARN, a database host). The schema
 * would reject them for the wrong reason, so a cloud variant passes `substitute`, which replaces
 * each token with a placeholder of the right shape (a syntactically valid ARN, a host name). The
 * copy with placeholders is only validated; the config the gateway receives keeps the tokens and
 * is resolved at deploy.
 */

import type { WardenConfigInput } from '../../gateway-image/src/config';
import { validateConfig, type WardenConfig } from '../../gateway-image/src/config';

/** Rewrites one string of the config; `path` is where it sits (["connections", 0, "upstream", "host"]). */
export type Substitute = (value: string, path: readonly (string | number)[]) => string;

export interface ValidateOptions {
  /** Names the gateway in messages, e.g. the construct path. */
  readonly source: string;
  /** @default - strings are validated as they are */
  readonly substitute?: Substitute;
}

/** The rendered config is invalid. `issues` name the prop (or connection) at fault. */
export class GatewayConfigError extends Error {
  readonly issues: readonly string[];

  constructor(source: string, issues: readonly string[]) {
    super(
      `${source}: the Warden gateway config is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n  ${issues.join('\n  ')}`,
    );
    this.name = 'GatewayConfigError';
    this.issues = issues;
  }
}

/** Deep copy with every string passed through `substitute`. */
export function substituteStrings(
  value: unknown,
  substitute: Substitute,
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') return substitute(value, path);
  if (Array.isArray(value)) return value.map((v, i) => substituteStrings(v, substitute, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteStrings(v, substitute, [...path, k])]),
    );
  }
  return value;
}

/**
 * Turns a config path into the prop a construct user wrote: connections are named by their
 * connection name because users add them one by one (`addPostgres('ehr', …)`), not as an array.
 */
export function describeIssue(issue: string, config: WardenConfigInput): string {
  const m = /^connections\[(\d+)\](.*)$/s.exec(issue);
  if (!m) return `prop ${issue}`;
  const name = config.connections?.[Number(m[1])]?.name;
  return `connection "${name ?? `#${m[1]}`}"${m[2]?.startsWith(':') ? '' : ' '}${m[2]?.replace(/^\./, '') ?? ''}`;
}

/**
 * Validates `config` (after substitution) and returns the gateway's parsed view of it, or throws a
 * GatewayConfigError whose issues each read "prop policy.rules[0].decision: expected …, found …".
 */
export function validateGatewayConfig(config: WardenConfigInput, options: ValidateOptions): WardenConfig {
  const candidate = options.substitute ? substituteStrings(config, options.substitute) : config;
  try {
    return validateConfig(candidate, options.source);
  } catch (err) {
    const issues = (err as { issues?: readonly string[] }).issues;
    if (!issues || issues.length === 0) throw err;
    throw new GatewayConfigError(
      options.source,
      issues.map((i) => describeIssue(i, config)),
    );
  }
}
