/** @warden/constructs/gcp — the Warden gateway on Google Cloud (CDK for Terraform), and its compliance checks. */
export { acknowledge } from '../compliance/gcp/acknowledge';
export { addComplianceChecks, type ComplianceChecksOptions } from '../compliance/gcp/compliance';
export { GCP_PACK, PACK_NAME, type PackEntry } from '../compliance/gcp/pack';
export type { GcpRule, RuleResult } from '../compliance/gcp/rule';
export type * from '../core/public-types';
export type { AlertTopic } from './alert-channel';
export type { AuditStorage } from './audit-storage';
export type { GatewayCompute } from './compute';
export type {
  HttpConnectionProps,
  KubernetesConnectionProps,
  PostgresConnectionProps,
  SshConnectionProps,
} from './connections';
export { WardenGcpGateway } from './gateway';
export type { WardenGcpGatewayProps } from './gateway-props';
export type { GatewayKeys } from './kms';
export type { GatewayLoadBalancer } from './load-balancer';
export { DEFAULT_COLLECTOR_IMAGE, type GatewayMonitoring, GCP_ALERT_SIGNALS } from './operations';
export { GcpPeer } from './peers';
export type { ICloudSqlInstance, INetwork, ISecret, ISubnetwork, SecretInput, SecretSelector } from './refs';
export type { GatewayRegistry } from './registry';
export { type CloudSqlTargetOptions, PostgresTarget } from './targets';
