/**
 * @warden/constructs — the cloud-neutral part: the gateway config contract (types, the JSON Schema
 * the gateway uses, validation) and the props both clouds share. Cloud constructs are in
 * `@warden/constructs/aws` and `@warden/constructs/gcp`; the reviewer report in
 * `@warden/constructs/compliance`.
 */

export {
  CONFIG_SCHEMA_FILE,
  DEFAULT_PORTS,
  GatewayConfigError,
  IMAGE_CONTEXT_DIR,
  PHI_RULE_NAMES,
  SIX_YEARS_DAYS,
  validateWardenConfig,
} from './core';
export type * from './core/public-types';
