/**
 * A read-only view of a synthesized cdktf stack (the JSON in cdk.tf.json, or `stack.toTerraform()`):
 * resources with their construct path, the acknowledgements recorded on them, and the gateway
 * manifests the Warden constructs leave behind. Rules read only this view, so they also run over a
 * cdk.tf.json produced anywhere else.
 */

/** Comment key Terraform ignores; cdktf already keeps construct metadata there. */
export const META_KEY = '//';
/** Where acknowledgements live inside a resource's `//` object: { [ruleId]: reason }. */
export const ACK_KEY = 'warden_acknowledgements';
/** Where a gateway records what it protects, inside its service account's `//` object. */
export const GATEWAY_KEY = 'warden_gateway';

/** A protected upstream: only the gateway may reach `port` on it. */
export interface GatewayTarget {
  readonly connection: string;
  readonly kind: 'postgres' | 'ssh' | 'http' | 'kubernetes';
  readonly port: number;
  /** Terraform address of the target resource (google_sql_database_instance.db), when in this stack. */
  readonly resource?: string;
  /** Network tags on target VMs; ingress rules aimed at them are checked. */
  readonly targetTags?: readonly string[];
  /** Address ranges of the target (the private services range of a Cloud SQL instance). */
  readonly destinationRanges?: readonly string[];
}

/** What a gateway wrote into its service account's `//.warden_gateway` at synth. */
export interface GatewayManifest {
  /** Address of the service account resource carrying the manifest. */
  readonly address: string;
  /** The gateway's name prefix: the `warden_gateway` label of its alert policies and dashboard. */
  readonly name?: string;
  readonly serviceAccountEmail: string;
  readonly tags: readonly string[];
  /** Secret resource ids (`${google_secret_manager_secret.x.id}`) the gateway reads. */
  readonly secrets: readonly string[];
  readonly targets: readonly GatewayTarget[];
}

export interface TfResource {
  readonly type: string;
  readonly name: string;
  /** `type.name`, the Terraform address. */
  readonly address: string;
  /** Construct path when cdktf recorded one, else the address. */
  readonly path: string;
  /** Attributes as synthesized (snake_case; blocks as objects or arrays). */
  readonly body: Readonly<Record<string, unknown>>;
  /** Rule id → reason, recorded with `acknowledge()`. */
  readonly acknowledgements: Readonly<Record<string, string>>;
}

type Json = Record<string, unknown>;

export class TerraformView {
  private readonly all: TfResource[] = [];
  private readonly byAddr = new Map<string, TfResource>();
  readonly gateways: readonly GatewayManifest[];

  constructor(config: unknown) {
    const resources = (isObject(config) && isObject(config.resource) ? config.resource : {}) as Json;
    const gateways: GatewayManifest[] = [];
    for (const [type, byName] of Object.entries(resources)) {
      if (!isObject(byName)) continue;
      for (const [name, raw] of Object.entries(byName)) {
        if (!isObject(raw)) continue;
        const meta = isObject(raw[META_KEY]) ? (raw[META_KEY] as Json) : {};
        const address = `${type}.${name}`;
        const path =
          isObject(meta.metadata) && typeof meta.metadata.path === 'string' ? meta.metadata.path : address;
        const r: TfResource = {
          type,
          name,
          address,
          path,
          body: raw,
          acknowledgements: stringMap(meta[ACK_KEY]),
        };
        this.all.push(r);
        this.byAddr.set(address, r);
        if (isObject(meta[GATEWAY_KEY]))
          gateways.push({ ...(meta[GATEWAY_KEY] as object), address } as GatewayManifest);
      }
    }
    this.gateways = gateways;
  }

  resources(...types: string[]): TfResource[] {
    return types.length === 0 ? [...this.all] : this.all.filter((r) => types.includes(r.type));
  }

  byAddress(address: string): TfResource | undefined {
    return this.byAddr.get(address);
  }
}

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringMap(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A value Terraform computes at apply (`${…}`): it cannot be judged at synth. */
export function isUnresolved(v: unknown): boolean {
  return typeof v === 'string' && v.includes('${');
}

/** Blocks render as an object (max one) or an array; rules see both as an array. */
export function blocks(body: unknown, key: string): Json[] {
  if (!isObject(body)) return [];
  const v = body[key];
  if (Array.isArray(v)) return v.filter(isObject);
  return isObject(v) ? [v] : [];
}

export function block(body: unknown, key: string): Json | undefined {
  return blocks(body, key)[0];
}

/** true / false / 'unresolved' for a boolean attribute that may be a string or a token. */
export function flag(v: unknown): boolean | 'unresolved' | undefined {
  if (v === undefined || v === null) return undefined;
  if (isUnresolved(v)) return 'unresolved';
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return /^(true|TRUE|True)$/.test(v);
  return Boolean(v);
}

/** A list of strings from an attribute that may be absent. */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
