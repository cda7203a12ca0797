export { AuditStorage, type AuditStorageProps } from './audit-storage';
export { CONFIG_METADATA_KEY, CONFIG_PATH, gatewayCloudInit } from './cloud-init';
export { GatewayCompute, type GatewayComputeProps } from './compute';
export type {
  CloudSqlPostgresProps,
  GcpHttpCredential,
  HttpProps,
  SshProps,
} from './connections';
export { WardenGcpGateway } from './gateway';
export type { WardenGcpGatewayProps } from './gateway-props';
export { GatewayKeys, type GatewayKeysProps } from './kms';
export { GatewayLoadBalancer, type GatewayLoadBalancerProps, HEALTH_CHECK_RANGES } from './load-balancer';
export type { ICloudSqlInstance, INetwork, ISecret, ISubnetwork, SecretInput, SecretSelector } from './refs';
export { secretRef } from './refs';
