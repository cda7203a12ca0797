/**
 * Cloud-neutral core shared by the AWS and GCP constructs: prop types derived from the gateway
 * config contract, the renderer, and synth-time validation. Internal barrel: the package's public
 * surface is src/index.ts and each entry point's index.
 */
export type { WardenConfig, WardenConfigInput } from './config-contract';
export * from './connections';
export { CONFIG_SCHEMA_FILE, IMAGE_CONTEXT_DIR, PACKAGE_ROOT } from './package-files';
export {
  DEFAULT_AUDIT_DIR,
  DEFAULT_PORTS,
  DEFAULT_RECORDING_DIR,
  PHI_RULE_NAMES,
  phiSafeguardRules,
  renderGatewayConfig,
  SIX_YEARS_DAYS,
} from './render';
export type * from './types';
export {
  GatewayConfigError,
  type Substitute,
  substituteStrings,
  type ValidateOptions,
  validateGatewayConfig,
  validateWardenConfig,
} from './validate';
