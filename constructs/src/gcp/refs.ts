/**
 * The GCP resources the constructs accept, as the few attributes they read: any resource with these
 * attributes fits (the provider's classes, or objects of your own for resources made elsewhere).
 */

/** A VPC network, e.g. `ComputeNetwork`. */
export interface INetwork {
  /** `projects/<p>/global/networks/<name>`. */
  readonly id: string;
  readonly name: string;
}

/** A subnetwork in the gateway's region, e.g. `ComputeSubnetwork`. */
export interface ISubnetwork {
  readonly id: string;
}

/** A Secret Manager secret, e.g. `SecretManagerSecret`. */
export interface ISecret {
  /** `projects/<p>/secrets/<secret id>`. */
  readonly id: string;
  readonly project: string;
  readonly secretId: string;
}

/** A Cloud SQL instance, e.g. `SqlDatabaseInstance`. */
export interface ICloudSqlInstance {
  readonly name: string;
  /** Private IP address on the VPC (the instance has no public one). */
  readonly privateIpAddress: string;
}

/** Which version of a secret, and which field of a JSON payload, a reference points at. */
export interface SecretSelector {
  readonly secret: ISecret;
  /** @default 'latest' — resolved at every new upstream connection, so rotation needs no restart */
  readonly version?: string;
  /** Field of a JSON payload holding the value. @default - the whole payload */
  readonly jsonKey?: string;
}

/** A secret, or a secret with a version and JSON field. */
export type SecretInput = ISecret | SecretSelector;

export function selectorOf(input: SecretInput): SecretSelector {
  return 'secret' in input ? input : { secret: input };
}

/**
 * The gateway's reference for a secret. Built from the project and secret id (not the `id`
 * attribute), so that the placeholder substitution at synth sees each token in a slot of its own.
 */
export function secretRef(input: SecretInput): string {
  const s = selectorOf(input);
  const key = s.jsonKey ? `#${s.jsonKey}` : '';
  return `gcp-secretmanager:projects/${s.secret.project}/secrets/${s.secret.secretId}/versions/${s.version ?? 'latest'}${key}`;
}
