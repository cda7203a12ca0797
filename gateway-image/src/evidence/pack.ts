/**
 * Writes an evidence pack directory: evidence.json (for tools), evidence.md and evidence.html (for
 * people), manifest.json listing every file with its SHA-256, and manifest.sig over the manifest.
 * The directory must be new or empty, so a pack never mixes with files it does not list.
 */
import type { KeyObject } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WardenError } from '../errors';
import {
  keyIdOf,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type Manifest,
  publicPem,
  SIGNATURE_FILE,
  type SignerOrigin,
  sha256Hex,
  signManifest,
} from './manifest';
import type { EvidenceData } from './model';
import { renderHtml } from './render/html';
import { renderMarkdown } from './render/markdown';

export interface WrittenPack {
  readonly dir: string;
  readonly files: readonly string[];
  readonly manifest: Manifest;
}

export async function writePack(
  data: EvidenceData,
  dir: string,
  signer: { readonly key: KeyObject; readonly origin: SignerOrigin },
): Promise<WrittenPack> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0)
    throw new WardenError(
      'ERR_EVIDENCE_OUT',
      `${dir} is not empty: an evidence pack is written to a new directory`,
    );
  const contents: [string, string][] = [
    ['evidence.json', `${JSON.stringify(data, null, 2)}\n`],
    ['evidence.md', renderMarkdown(data)],
    ['evidence.html', renderHtml(data)],
  ];
  for (const [name, text] of contents) await writeFile(join(dir, name), text, { flag: 'wx' });
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    generator: data.generator,
    generatedAt: data.generatedAt,
    period: data.period,
    auditKeyId: data.integrity.keyId,
    signer: { keyId: keyIdOf(signer.key), publicKey: publicPem(signer.key), origin: signer.origin },
    files: contents.map(([name, text]) => ({
      name,
      bytes: Buffer.byteLength(text),
      sha256: sha256Hex(text),
    })),
  };
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(dir, MANIFEST_FILE), bytes, { flag: 'wx' });
  await writeFile(join(dir, SIGNATURE_FILE), `${signManifest(bytes, signer.key)}\n`, { flag: 'wx' });
  return { dir, files: [...contents.map(([n]) => n), MANIFEST_FILE, SIGNATURE_FILE], manifest };
}
