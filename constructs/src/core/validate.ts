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
import type { WardenConfig, WardenConfigInput } from './config-contract';
import { withDefaults } from './config-defaults';
import { formatPath, schemaIssues } from './config-issues';
import { type ConfigIssue, referenceIssues } from './config-references';
import { configSchema, schemaErrors } from './schema-validator';

export type { ConfigIssue };

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
  /** One line per problem: "prop policy.rules[0].decision: expected …, found …". */
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
function describeIssue(issue: ConfigIssue, config: unknown): string {
  const [head, index, ...rest] = issue.path;
  if (head !== 'connections' || typeof index !== 'number') {
    return `prop ${formatPath(issue.path)}: ${issue.message}`;
  }
  const name = (config as WardenConfigInput).connections?.[index]?.name;
  const where = rest.length > 0 ? ` ${formatPath(rest)}` : '';
  return `connection "${name ?? `#${index}`}"${where}: ${issue.message}`;
}

/** HTTP methods are matched upper case; the gateway upper-cases what a rule lists. */
function normalise(config: WardenConfig): WardenConfig {
  return {
    ...config,
    policy: {
      ...config.policy,
      rules: config.policy.rules.map((r) =>
        r.http?.methods
          ? { ...r, http: { ...r.http, methods: r.http.methods.map((m) => m.toUpperCase()) } }
          : r,
      ),
    },
  };
}

/**
 * The problems of a config, each with its path: schema problems, then the cross-reference checks
 * on the config with defaults filled in. Like the gateway's parser, the cross-references are
 * checked even when a value elsewhere is wrong (a misspelt connection name also breaks the grants
 * naming it), unless the config is too malformed to walk.
 */
export function configIssues(candidate: unknown): { issues: ConfigIssue[]; filled?: WardenConfig } {
  const errors = schemaErrors(candidate);
  const filled = withDefaults(configSchema(), candidate) as WardenConfig;
  if (errors.length === 0) return { issues: referenceIssues(filled), filled };
  let references: ConfigIssue[] = [];
  try {
    references = referenceIssues(filled);
  } catch {
    // A missing section or a value of the wrong type: the schema issues already say so.
  }
  return { issues: [...schemaIssues(errors, candidate), ...references] };
}

/**
 * Validates `config` (after substitution) and returns it as the gateway will run it, defaults
 * filled in, or throws a GatewayConfigError listing every problem.
 */
export function validateGatewayConfig(config: unknown, options: ValidateOptions): WardenConfig {
  const candidate = options.substitute ? substituteStrings(config, options.substitute) : config;
  const { issues, filled } = configIssues(candidate);
  if (issues.length > 0) {
    throw new GatewayConfigError(
      options.source,
      issues.map((i) => describeIssue(i, config)),
    );
  }
  return normalise(filled!);
}

/**
 * Validates a gateway config (as a construct renders it, or as a file holds it) with the schema
 * the gateway itself runs with, and returns it with every default filled in.
 * @throws GatewayConfigError naming each problem's path
 */
export function validateWardenConfig(config: unknown, source = 'config'): WardenConfig {
  return validateGatewayConfig(config, { source });
}
