/**
 * The signed manifest that makes a pack self-verifying: every file's size and SHA-256, the period,
 * the key the audit log was verified with, and the key that signs the manifest. manifest.sig is
 * the base64 Ed25519 signature over the exact bytes of manifest.json.
 */
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { auditKeyId } from '../audit/keys';
import type { Period } from './model';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const MANIFEST_FORMAT = 'warden-evidence-manifest/1';

/** Where the manifest's signing key came from. */
export type SignerOrigin =
  /** audit.signingKey of the config: the key that signs the checkpoints (pin it with the same public key). */
  | 'audit-signing-key'
  /** A key given with --signing-key. */
  | 'signing-key'
  /** Generated for this pack alone: publish its fingerprint with the pack, or the signature proves little. */
  | 'one-off';

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly generator: string;
  readonly generatedAt: string;
  readonly period: Period;
  /** Fingerprint of the key the audit checkpoints were verified with, null when none was given. */
  readonly auditKeyId: string | null;
  readonly signer: { readonly keyId: string; readonly publicKey: string; readonly origin: SignerOrigin };
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly sha256: string }[];
}

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function publicPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'pem' }).toString();
}

export function signManifest(bytes: Buffer, key: KeyObject): string {
  return sign(null, bytes, key).toString('base64');
}

export function manifestSignatureValid(bytes: Buffer, signature: string, key: KeyObject): boolean {
  try {
    return verify(null, bytes, key, Buffer.from(signature.trim(), 'base64'));
  } catch {
    return false;
  }
}

export { auditKeyId as keyIdOf };
