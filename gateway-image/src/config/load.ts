import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { type WardenConfig, wardenConfig } from './schema';

/**
 * Validates a configuration object with the same schema the constructs use at synth time.
 * Throws a ConfigError listing every problem, each as "path: expected …, found …".
 */
export function validateConfig(input: unknown, source = 'config'): WardenConfig {
  const result = wardenConfig.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => formatIssue(i, input));
  throw new ConfigError(
    `${source} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n  ${issues.join('\n  ')}`,
    issues,
  );
}

/** Reads a JSON config file, validates it and resolves relative directories against the file's folder. */
export async function loadConfigFile(path: string): Promise<WardenConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      [],
      { cause: err },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`, [], { cause: err });
  }
  return resolvePaths(validateConfig(raw, path), dirname(resolve(path)));
}

function resolvePaths(cfg: WardenConfig, base: string): WardenConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const store = cfg.approvals.store;
  return {
    ...cfg,
    audit: { ...cfg.audit, dir: abs(cfg.audit.dir) },
    recording: cfg.recording && { ...cfg.recording, dir: abs(cfg.recording.dir) },
    approvals: {
      ...cfg.approvals,
      store: store?.kind === 'file' ? { ...store, dir: abs(store.dir) } : store,
    },
  };
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = formatPath(issue.path);
  // A value that should have been a secret reference may be the secret itself: never echo it.
  const found = issue.message.startsWith('expected a secret reference')
    ? 'a value that is not a reference (not shown)'
    : describeFound(valueAt(input, issue.path));
  switch (issue.code) {
    case 'invalid_type':
      return `${path}: expected ${issue.expected}, found ${found}`;
    case 'invalid_value':
      return `${path}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${found}`;
    case 'unrecognized_keys':
      return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling against \`warden config schema\`)`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) {
        return `${path}: expected one of ${((issue as { options?: unknown[] }).options ?? []).map((o) => JSON.stringify(o)).join(', ')}, found ${found}`;
      }
      return `${path}: ${issue.message}, found ${found}`;
    case 'too_small':
    case 'too_big':
      return `${path}: ${issue.message.replace(/^Too (small|big): /, '')}, found ${found}`;
    case 'invalid_format':
      return `${path}: ${issue.message}, found ${found}`;
    case 'custom':
      return `${path}: ${issue.message}`;
    default:
      return `${path}: ${issue.message}, found ${found}`;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    '',
  );
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function describeFound(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…"` : s;
}
