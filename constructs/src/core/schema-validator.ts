/**
 * The gateway config JSON Schema, compiled once. Validation is strict where the gateway is: the
 * schema is the gateway's own (shipped in the package, see package-files.ts), unknown keys are
 * refused, and the checks JSON Schema cannot express live in config-references.ts.
 */
import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { CONFIG_SCHEMA_FILE } from './package-files';
import type { JsonSchema } from './schema-types';

interface Compiled {
  readonly schema: JsonSchema;
  readonly validate: ValidateFunction;
}

let compiled: Compiled | undefined;

/** The config schema as shipped, parsed. */
export function configSchema(): JsonSchema {
  return compile().schema;
}

/** Schema errors for `value`, or none. */
export function schemaErrors(value: unknown): ErrorObject[] {
  const { validate } = compile();
  return validate(value) ? [] : [...(validate.errors ?? [])];
}

function compile(): Compiled {
  if (compiled) return compiled;
  const schema = JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, 'utf8')) as JsonSchema;
  const ajv = new Ajv2020({ allErrors: true, strict: true, discriminator: true, verbose: true });
  // The gateway parses URLs with the WHATWG parser (zod's url()); the same parser decides here.
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
  // A documentation format zod emits next to the pattern that enforces it.
  ajv.addFormat('starts_with', true);
  compiled = { schema, validate: ajv.compile(withDiscriminators(schema) as object) };
  return compiled;
}

/**
 * Marks each `oneOf` whose branches are told apart by one constant property (`kind`, `type`) as a
 * discriminated union, so a bad connection is reported against its own kind's schema instead of
 * against every kind.
 */
function withDiscriminators(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withDiscriminators);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    // Property names are data, not keywords: recurse into each property's schema only.
    out[k] =
      k === 'properties' && v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, withDiscriminators(s)]))
        : withDiscriminators(v);
  }
  const tag = discriminatorOf(schema as JsonSchema);
  if (tag) {
    out.discriminator = { propertyName: tag };
    out.type ??= 'object';
  }
  return out;
}

function discriminatorOf(s: JsonSchema): string | undefined {
  const branches = s.oneOf;
  if (!branches || branches.length < 2) return undefined;
  const first = Object.entries(branches[0]!.properties ?? {}).find(([, p]) => p.const !== undefined)?.[0];
  if (!first) return undefined;
  const tagged = branches.every(
    (b) => b.properties?.[first]?.const !== undefined && b.required?.includes(first),
  );
  return tagged ? first : undefined;
}
