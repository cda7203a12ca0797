/** The key that signs a pack's manifest, and the key its audit checkpoints are verified with. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { loadAuditPublicKey, loadAuditSigningKey } from '../audit/keys';
import type { SignerOrigin } from './manifest';

export interface PackSigner {
  readonly key: KeyObject;
  readonly origin: SignerOrigin;
}

/** A key generated for one pack: the manifest still proves the pack is whole as it was published. */
export function oneOffSigner(): PackSigner {
  return { key: generateKeyPairSync('ed25519').privateKey, origin: 'one-off' };
}

/** An Ed25519 private key in PEM; anything else is refused. */
export function signerFromPem(pem: string, origin: SignerOrigin): PackSigner {
  return { key: loadAuditSigningKey(pem), origin };
}

/** The public half of a PEM key (public, or private for a gateway checking its own log). */
export function verificationKey(pem: string): KeyObject {
  return loadAuditPublicKey(pem);
}
