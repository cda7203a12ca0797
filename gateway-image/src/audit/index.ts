/** The tamper-evident audit log: hash chain, signed checkpoints, sealed segments, verifier. */
export { CanonicalJsonError, canonicalize } from './canonical';
export {
  type AuditEvent,
  type AuditEventInput,
  type AuditJson,
  type AuditPrincipal,
  type AuditSink,
  DEFAULT_MAX_BODY_BYTES,
  eventHash,
  GENESIS_HASH,
  RESERVED_TYPES,
} from './event';
export {
  type AuditKeyPair,
  auditKeyId,
  type CheckpointClaim,
  generateAuditKeyPair,
  loadAuditPublicKey,
  loadAuditSigningKey,
  signCheckpoint,
  verifyCheckpoint,
} from './keys';
export { AuditLog, type AuditLogStats, type SealedSegment } from './log';
export type { AuditLogOptions } from './options';
export { type AuditFileSystem, nodeAuditFileSystem, type SegmentFile, segmentName } from './segments';
export {
  formatVerifyResult,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyProblemKind,
  type VerifyResult,
  verifyAuditLog,
} from './verify';
