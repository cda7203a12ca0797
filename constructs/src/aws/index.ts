export type { HttpConnectionProps, PostgresConnectionProps, SshConnectionProps } from './connections';
export { WardenGateway, type WardenGatewayProps } from './gateway';
export { GatewaySecrets, type GatewaySecretsProps, secretRef } from './gateway-secrets';
export { markOf, marksOf, type WardenMark } from './marks';
export { WardenNetwork, type WardenNetworkProps } from './network';
export { PLACEHOLDER_HOST, PLACEHOLDER_SECRET_ARN, substituteTokens } from './placeholders';
export { AuditStorage, type AuditStorageProps, SIX_YEARS_DAYS } from './storage';
