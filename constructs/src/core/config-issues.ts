/**
 * Validator errors → one line per problem, "path: expected …, found …", in the words the gateway
 * uses (`warden config check`), so a synth error and a start-up error read the same.
 */
import type { ErrorObject } from 'ajv/dist/2020';
import type { ConfigIssue } from './config-references';
import type { JsonSchema } from './schema-types';

/** The pattern of a secret reference: a value failing it may be the secret itself, never echoed. */
const SECRET_REF_PREFIX = '^(env:';
const SECRET_REF_EXPECTED =
  'expected a secret reference: env:NAME, file:/absolute/path, aws-secretsmanager:<arn>[#key] or gcp-secretmanager:projects/<p>/secrets/<s>/versions/<v>[#key]';

export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  return path.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k),
    '',
  );
}

/** `/policy/rules/0/decision` → ['policy', 'rules', 0, 'decision']. */
function pointerPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
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

/** What a schema accepts, in a few words. */
function describeSchema(s: JsonSchema | undefined): string {
  if (!s) return 'a value';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) return alternatives.map(describeSchema).join(' or ');
  if (s.pattern?.startsWith(SECRET_REF_PREFIX)) return 'a secret reference';
  if (s.pattern) return `a ${s.type ?? 'string'} matching ${s.pattern}`;
  if (s.type === 'integer' && s.minimum !== undefined && s.maximum !== undefined) {
    return `an integer from ${s.minimum} to ${s.maximum}`;
  }
  return s.type ?? 'a value';
}

function isSecretPattern(e: ErrorObject): boolean {
  return e.keyword === 'pattern' && String(e.params.pattern).startsWith(SECRET_REF_PREFIX);
}

function describe(e: ErrorObject, input: unknown): ConfigIssue {
  const path = pointerPath(e.instancePath);
  const value = valueAt(input, path);
  const found = describeFound(value);
  const p = e.params as Record<string, unknown>;
  const parent = e.parentSchema as JsonSchema | undefined;
  // A key of a record (propertyNames) that fails: the error names the key beside its schema.
  if (e.propertyName !== undefined) {
    return {
      path: [...path, e.propertyName],
      message: `expected a key matching ${parent?.pattern ?? describeSchema(parent)}`,
    };
  }
  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      return {
        path: [...path, missing],
        message: `expected ${describeSchema(parent?.properties?.[missing])}, found nothing`,
      };
    }
    case 'additionalProperties':
      return {
        path,
        message: `unknown key "${String(p.additionalProperty)}" (check the spelling against \`warden config schema\`)`,
      };
    case 'discriminator': {
      const tag = String(p.tag);
      const options = (parent?.oneOf ?? []).map((b) => JSON.stringify(b.properties?.[tag]?.const));
      return {
        path: [...path, tag],
        message: `expected one of ${options.join(', ')}, found ${describeFound(valueAt(value, [tag]))}`,
      };
    }
    case 'enum':
      return { path, message: `expected ${describeSchema(parent)}, found ${found}` };
    case 'const':
      return { path, message: `expected ${JSON.stringify(p.allowedValue)}, found ${found}` };
    case 'type':
      return { path, message: `expected ${String(p.type)}, found ${found}` };
    case 'pattern':
      return isSecretPattern(e)
        ? { path, message: `${SECRET_REF_EXPECTED}, found a value that is not a reference (not shown)` }
        : { path, message: `expected a string matching ${String(p.pattern)}, found ${found}` };
    case 'format':
      return { path, message: `expected a ${p.format === 'uri' ? 'URL' : String(p.format)}, found ${found}` };
    case 'anyOf':
    case 'oneOf':
      return { path, message: `expected ${describeSchema(parent)}, found ${found}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {
        path,
        message: `expected a number ${String(p.comparison)} ${String(p.limit)}, found ${found}`,
      };
    case 'minLength':
      return { path, message: `expected at least ${String(p.limit)} character(s), found ${found}` };
    case 'minItems':
      return { path, message: `expected at least ${String(p.limit)} item(s), found ${found}` };
    default:
      return { path, message: `${e.message ?? e.keyword}, found ${found}` };
  }
}

/**
 * One issue per problem. Errors inside an `anyOf`/`oneOf` are folded into the union's own error
 * (they only say which alternative failed how), and a property name error into its pattern's.
 */
export function schemaIssues(errors: readonly ErrorObject[], input: unknown): ConfigIssue[] {
  const unions = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .map((e) => e.schemaPath);
  const kept = errors.filter(
    (e) => e.keyword !== 'propertyNames' && !unions.some((u) => e.schemaPath.startsWith(`${u}/`)),
  );
  const seen = new Set<string>();
  const out: ConfigIssue[] = [];
  for (const e of kept) {
    const issue = describe(e, input);
    const line = `${formatPath(issue.path)}: ${issue.message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(issue);
  }
  return out;
}
