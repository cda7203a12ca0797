/** @warden/constructs/aws — the Warden gateway on AWS (CDK), and its compliance checks. */
export { NAG_HIPAA_CONTROLS } from '../compliance/aws/nag-hipaa-controls';
export { WARDEN_PACK_NAME, WardenChecks } from '../compliance/aws/pack';
export { addComplianceChecks, type ComplianceChecksOptions } from '../compliance/aws/register';
export type * from '../core/public-types';
export type {
  HttpConnectionProps,
  KubernetesConnectionProps,
  PostgresConnectionProps,
  SshConnectionProps,
} from './connections';
export { WardenGateway, type WardenGatewayProps } from './gateway';
export type { GatewaySecrets } from './gateway-secrets';
export { WardenImage } from './image';
export { WardenNetwork, type WardenNetworkProps } from './network';
export type { SecretInput, SecretSelector } from './secrets';
export { PostgresTarget } from './targets';
