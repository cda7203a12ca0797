/** AuditLog options: documented defaults, validated once when the log opens. */
import type { KeyObject } from 'node:crypto';
import { AuditError } from '../errors';
import { DEFAULT_MAX_BODY_BYTES } from './event';
import { assertEd25519, auditKeyId } from './keys';
import { type AuditFileSystem, nodeAuditFileSystem } from './segments';

export interface AuditLogOptions {
  /** Ed25519 private key that signs checkpoints. */
  readonly signingKey: KeyObject;
  /** Recorded in each checkpoint. @default first 16 hex digits of SHA-256 of the public key (SPKI DER) */
  readonly keyId?: string;
  /** Write a checkpoint after this many events. @default 1000 */
  readonly checkpointEvery?: number;
  /** Write a checkpoint this often when events arrived since the last one. @default 10000 */
  readonly checkpointIntervalMs?: number;
  /** Seal a segment once it holds this many bytes. @default 64 MiB */
  readonly segmentMaxBytes?: number;
  /**
   * Seal a non-empty segment this long after its first event, so sealed segments reach write-once
   * storage promptly even when traffic is light. Checked on append and on the checkpoint timer.
   * @default 3600000 (one hour)
   */
  readonly segmentMaxAgeMs?: number;
  /**
   * Longest an `appendDeferred` event waits for a durable append to carry it before it is written
   * on its own: the window in which a crash can lose it. @default 50
   */
  readonly deferredFlushMs?: number;
  /** Largest canonical event body in bytes. @default 65536 */
  readonly maxBodyBytes?: number;
  /** Cut off an incomplete last line on open (recorded as `audit.recovered`). @default false */
  readonly repairTornTail?: boolean;
  /** File operations the writer uses; tests inject failures here. @default the real file system */
  readonly fileSystem?: AuditFileSystem;
}

export interface ResolvedOptions {
  readonly signingKey: KeyObject;
  readonly keyId: string;
  readonly checkpointEvery: number;
  readonly checkpointIntervalMs: number;
  readonly segmentMaxBytes: number;
  readonly segmentMaxAgeMs: number;
  readonly deferredFlushMs: number;
  readonly maxBodyBytes: number;
  readonly repairTornTail: boolean;
  readonly fileSystem: AuditFileSystem;
}

export function resolveOptions(o: AuditLogOptions): ResolvedOptions {
  if (!o?.signingKey) throw new AuditError('audit log needs signingKey (an Ed25519 private KeyObject)');
  assertEd25519(o.signingKey, 'private');
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new AuditError(`audit log option ${name} must be a positive integer`);
    return v;
  };
  return {
    signingKey: o.signingKey,
    keyId: o.keyId ?? auditKeyId(o.signingKey),
    checkpointEvery: positive('checkpointEvery', o.checkpointEvery, 1000),
    checkpointIntervalMs: positive('checkpointIntervalMs', o.checkpointIntervalMs, 10_000),
    segmentMaxBytes: positive('segmentMaxBytes', o.segmentMaxBytes, 64 * 1024 * 1024),
    segmentMaxAgeMs: positive('segmentMaxAgeMs', o.segmentMaxAgeMs, 3_600_000),
    deferredFlushMs: positive('deferredFlushMs', o.deferredFlushMs, 50),
    maxBodyBytes: positive('maxBodyBytes', o.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
    repairTornTail: o.repairTornTail ?? false,
    fileSystem: o.fileSystem ?? nodeAuditFileSystem,
  };
}
