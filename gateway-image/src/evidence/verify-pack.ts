/**
 * `warden evidence verify PACK`: the manifest's signature, every listed file's size and SHA-256,
 * and nothing in the directory the manifest does not list. With a public key the signer is pinned
 * (a pack re-signed with another key fails); without one the signer's fingerprint is reported for
 * the reviewer to compare.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  keyIdOf,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type Manifest,
  manifestSignatureValid,
  SIGNATURE_FILE,
  sha256Hex,
} from './manifest';

export interface PackVerification {
  readonly ok: boolean;
  /** The signer was the pinned key (a public key was given and matched). */
  readonly pinned: boolean;
  readonly signerKeyId: string | null;
  readonly signerOrigin: string | null;
  readonly period: Manifest['period'] | null;
  readonly files: number;
  readonly problems: readonly string[];
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch {
    return null;
  }
}

export async function verifyPack(dir: string, pinnedKey?: KeyObject): Promise<PackVerification> {
  const problems: string[] = [];
  const fail = (problem: string): PackVerification => ({
    ok: false,
    pinned: false,
    signerKeyId: null,
    signerOrigin: null,
    period: null,
    files: 0,
    problems: [...problems, problem],
  });
  const bytes = await readOrNull(join(dir, MANIFEST_FILE));
  const signature = await readOrNull(join(dir, SIGNATURE_FILE));
  if (!bytes) return fail(`${MANIFEST_FILE} is missing`);
  if (!signature) problems.push(`${SIGNATURE_FILE} is missing`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
    if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.files)) throw new Error('format');
  } catch {
    return fail(`${MANIFEST_FILE} is not a Warden evidence manifest`);
  }
  let signer: KeyObject | undefined;
  try {
    signer = pinnedKey ?? createPublicKey(manifest.signer.publicKey);
  } catch {
    problems.push('the manifest names no usable signer key');
  }
  const signerKeyId = signer ? keyIdOf(signer) : null;
  if (pinnedKey && manifest.signer?.keyId !== signerKeyId)
    problems.push(`signed by key ${String(manifest.signer?.keyId)}, not the given key ${signerKeyId}`);
  if (signer && signature && !manifestSignatureValid(bytes, signature.toString('utf8'), signer))
    problems.push(`${SIGNATURE_FILE} is not a valid signature of ${MANIFEST_FILE}`);
  const listed = new Set<string>([MANIFEST_FILE, SIGNATURE_FILE]);
  for (const f of manifest.files) {
    listed.add(f.name);
    const content = await readOrNull(join(dir, f.name));
    if (!content) problems.push(`${f.name} is missing`);
    else if (content.length !== f.bytes || sha256Hex(content) !== f.sha256)
      problems.push(`${f.name} was altered`);
  }
  for (const name of await readdir(dir)) {
    if (!listed.has(name)) problems.push(`${name} is not listed in the manifest`);
  }
  return {
    ok: problems.length === 0,
    pinned: pinnedKey !== undefined && problems.length === 0,
    signerKeyId,
    signerOrigin: manifest.signer?.origin ?? null,
    period: manifest.period ?? null,
    files: manifest.files.length,
    problems,
  };
}
