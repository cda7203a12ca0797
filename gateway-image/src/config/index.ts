export type {
  ConnectionConfig,
  HttpConnectionConfig,
  PostgresConnectionConfig,
  SshConnectionConfig,
} from './connections';
export { PHI_ENTITIES } from './connections';
export { configJsonSchema } from './json-schema';
export { loadConfigFile, validateConfig } from './load';
export type { PolicyRuleConfig } from './policy';
export { type WardenConfig, type WardenConfigInput, wardenConfig } from './schema';
export { type ParsedSecretRef, parseSecretRef, SECRET_REF_PATTERN, type SecretRef } from './secret-ref';
