/**
 * Cloud-neutral core shared by the AWS and GCP constructs: prop types derived from the gateway
 * config contract, the renderer, and synth-time validation.
 */
export {
  connectionBasics,
  connectionEntry,
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
  describeIssue,
  GatewayConfigError,
  type Substitute,
  substituteStrings,
  type ValidateOptions,
  validateGatewayConfig,
} from './validate';
