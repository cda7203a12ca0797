/**
 * The gateway config as a GCP gateway's VMs receive it: the `warden-config` metadata of an
 * instance template (or instance), read back from the synthesized Terraform so the config rules
 * also run over a cdk.tf.json produced anywhere. References to other resources are resolved to
 * their literal attributes where the stack has them (a bucket's name), otherwise replaced by a
 * placeholder of a valid shape; the copy is validated with the gateway's own schema.
 */
import { validateGatewayConfig, type WardenConfig } from '../../core';
import { couldNotValidate, type RuleOutcome } from '../config/outcome';
import { isObject, isUnresolved, type TerraformView, type TfResource } from './terraform-view';

/** Metadata key the gateway construct puts the rendered config under (gcp/cloud-init.ts). */
export const CONFIG_METADATA_KEY = 'warden-config';

/** Resource types whose metadata can carry a gateway config. */
export const CONFIG_CARRIERS = [
  'google_compute_instance_template',
  'google_compute_region_instance_template',
  'google_compute_instance',
];

const cache = new WeakMap<TerraformView, Map<string, WardenConfig | RuleOutcome | undefined>>();

/** The validated config a resource carries, why it cannot be had, or undefined when it has none. */
export function gatewayConfigOf(r: TfResource, view: TerraformView): WardenConfig | RuleOutcome | undefined {
  const byAddress = cache.get(view) ?? new Map<string, WardenConfig | RuleOutcome | undefined>();
  cache.set(view, byAddress);
  if (!byAddress.has(r.address)) byAddress.set(r.address, read(r, view));
  return byAddress.get(r.address);
}

function read(r: TfResource, view: TerraformView): WardenConfig | RuleOutcome | undefined {
  const raw = isObject(r.body.metadata) ? r.body.metadata[CONFIG_METADATA_KEY] : undefined;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') return couldNotValidate(`metadata ${CONFIG_METADATA_KEY} is not a string`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return couldNotValidate(`metadata ${CONFIG_METADATA_KEY} is not JSON`);
  }
  try {
    return validateGatewayConfig(parsed, { source: r.path, substitute: (v) => resolveTemplate(v, view) });
  } catch (err) {
    return couldNotValidate(`the gateway config does not validate: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * A Terraform template string made literal: `$${` and `%%{` are escaped text (tokens.ts writes
 * them), `${type.name.attribute}` is a reference, resolved when the resource holds a literal value.
 */
export function resolveTemplate(value: string, view: TerraformView): string {
  return value.replace(/\$\$\{|%%\{|\$\{([^}]*)\}/g, (whole, ref: string | undefined) => {
    if (ref === undefined) return whole.slice(1);
    const [type, name, attribute] = ref.split('.');
    const literal = view.byAddress(`${type}.${name}`)?.body[attribute ?? ''];
    return typeof literal === 'string' && !isUnresolved(literal) ? literal : 'placeholder';
  });
}

/** Every resource carrying a gateway config, with what it carries. */
export function gatewayConfigs(view: TerraformView): [TfResource, WardenConfig | RuleOutcome][] {
  const out: [TfResource, WardenConfig | RuleOutcome][] = [];
  for (const r of view.resources(...CONFIG_CARRIERS)) {
    const c = gatewayConfigOf(r, view);
    if (c !== undefined) out.push([r, c]);
  }
  return out;
}

export function isOutcome(v: unknown): v is RuleOutcome {
  return typeof v === 'object' && v !== null && 'status' in v && 'message' in v;
}
