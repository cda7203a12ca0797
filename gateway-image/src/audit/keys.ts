/**
 * Ed25519 keys for checkpoint signatures. The gateway holds the private key (resolved from config
 * by the caller); auditors verify with the public key alone.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { AuditError } from '../errors';
import { canonicalize } from './canonical';

export interface AuditKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
  /** SPKI PEM. */
  readonly publicKeyPem: string;
  readonly keyId: string;
}

/** What a checkpoint signature covers. */
export interface CheckpointClaim {
  readonly upTo: number;
  readonly hash: string;
  readonly segment: string;
}

/** A fresh Ed25519 key pair for signing checkpoints. */
export function generateAuditKeyPair(): AuditKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    publicKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: auditKeyId(publicKey),
  };
}

/** Load the signing key from PEM (PKCS#8); anything but an Ed25519 private key is refused. */
export function loadAuditSigningKey(pem: string | Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new AuditError('audit signing key is not a PEM private key', { cause: err });
  }
  assertEd25519(key, 'private');
  return key;
}

/**
 * Load the verification key: an SPKI public PEM, or a private PEM / KeyObject from which the
 * public half is derived (convenient for a gateway verifying its own log).
 */
export function loadAuditPublicKey(key: string | Buffer | KeyObject): KeyObject {
  let pub: KeyObject;
  try {
    if (typeof key === 'string' || Buffer.isBuffer(key)) pub = createPublicKey(key);
    else pub = key.type === 'private' ? createPublicKey(key) : key;
  } catch (err) {
    throw new AuditError('audit public key is not a PEM key', { cause: err });
  }
  assertEd25519(pub, 'public');
  return pub;
}

/** A short stable id for a key: the first 16 hex digits of SHA-256 over its SPKI DER encoding. */
export function auditKeyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** Base64 Ed25519 signature over canonical({upTo, hash, segment}). */
export function signCheckpoint(claim: CheckpointClaim, key: KeyObject): string {
  return sign(null, claimBytes(claim), key).toString('base64');
}

export function verifyCheckpoint(claim: CheckpointClaim, signature: string, key: KeyObject): boolean {
  try {
    return verify(null, claimBytes(claim), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function assertEd25519(key: KeyObject, type: 'private' | 'public'): void {
  if (key.type !== type || key.asymmetricKeyType !== 'ed25519') {
    throw new AuditError(
      `audit ${type} key must be an Ed25519 ${type} key, got ${key.asymmetricKeyType ?? key.type} ${key.type}`,
    );
  }
}

function claimBytes(claim: CheckpointClaim): Buffer {
  return Buffer.from(canonicalize({ upTo: claim.upTo, hash: claim.hash, segment: claim.segment }));
}
