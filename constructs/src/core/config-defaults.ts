/**
 * Fills in the defaults the JSON Schema documents, the way the gateway's own parser does, so
 * compliance checks read the config the gateway will run with. Written here rather than left to
 * the validator because validators skip defaults inside `oneOf` (every connection, sink and store
 * is one), and those are the defaults the checks need most (upstream TLS mode, classification).
 */
import type { JsonSchema } from './schema-types';

/** A copy of `value` with every missing defaulted property filled in, recursively. */
export function withDefaults(schema: JsonSchema, value: unknown): unknown {
  const branch = matchingBranch(schema, value);
  if (branch) return withDefaults(branch, value);
  if (Array.isArray(value)) {
    return schema.items ? value.map((v) => withDefaults(schema.items!, v)) : value;
  }
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    if (out[name] === undefined && sub.default !== undefined) out[name] = structuredClone(sub.default);
    if (out[name] !== undefined) out[name] = withDefaults(sub, out[name]);
  }
  const values = schema.additionalProperties;
  if (typeof values === 'object') {
    for (const name of Object.keys(out)) {
      if (!(name in (schema.properties ?? {}))) out[name] = withDefaults(values, out[name]);
    }
  }
  return out;
}

/** The `oneOf`/`anyOf` branch whose constant properties (`kind`, `type`) the value carries. */
function matchingBranch(schema: JsonSchema, value: unknown): JsonSchema | undefined {
  const branches = schema.oneOf ?? schema.anyOf;
  if (!branches || !isRecord(value)) return undefined;
  return branches.find((b) => {
    const constants = Object.entries(b.properties ?? {}).filter(([, p]) => p.const !== undefined);
    return constants.length > 0 && constants.every(([k, p]) => value[k] === p.const);
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
