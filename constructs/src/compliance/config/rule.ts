/**
 * A compliance rule over the rendered gateway config, written once for both clouds: the AWS pack
 * evaluates it on the gateway's task definition, the GCP pack on the instance template that
 * carries the config. Metadata (level, § 164.312 control, explanation) sits beside the check.
 */
import type { WardenConfig } from '../../core';
import type { RuleOutcome } from './outcome';

export interface GatewayConfigRule {
  /** `Gateway<Condition>`; findings name it `Warden-<id>` on both clouds. */
  readonly id: string;
  readonly level: 'error' | 'warning';
  /** The § 164.312 control the rule supports. */
  readonly hipaaControl: string;
  /** One line: the compliant state. */
  readonly info: string;
  /** Why the rule exists. */
  readonly explanation: string;
  /** Pure: the validated config (defaults filled in) in, an outcome out. */
  check(config: WardenConfig): RuleOutcome;
}

/** A secret reference into a cloud secret store, which audits every read and can rotate. */
export function inSecretStore(ref: string | undefined): boolean {
  return ref !== undefined && /^(aws-secretsmanager|gcp-secretmanager):/.test(ref);
}
