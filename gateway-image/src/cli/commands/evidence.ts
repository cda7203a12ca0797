import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadConfigFile } from '../../config/load';
import type { WardenConfig } from '../../config/schema';
import type { WardenError } from '../../errors';
import { exportEvidence, exportSummary } from '../../evidence/export';
import { periodOf } from '../../evidence/period';
import { oneOffSigner, type PackSigner, signerFromPem, verificationKey } from '../../evidence/signer';
import { verifyPack } from '../../evidence/verify-pack';
import { createDefaultSecretResolver } from '../../secrets/default-resolver';
import { type Command, optionalString, requireString, UsageError } from '../command';

async function readKeyFile(file: string, flag: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => {
    throw new UsageError(`cannot read ${flag} file ${file}`);
  });
}

interface ExportInputs {
  readonly auditDir: string;
  readonly config?: WardenConfig;
  readonly publicKey?: KeyObject;
  readonly signer: PackSigner;
}

/** The audit directory, the keys and the config from the flags; the config's signing key when nothing else is given. */
async function inputs(values: Record<string, unknown>): Promise<ExportInputs> {
  const dirFlag = typeof values['audit-dir'] === 'string' ? values['audit-dir'] : undefined;
  const configFile = typeof values.config === 'string' ? values.config : undefined;
  if (dirFlag === undefined && configFile === undefined)
    throw new UsageError('give --audit-dir DIR or --config FILE');
  const config = configFile === undefined ? undefined : await loadConfigFile(configFile);
  // The config's own checkpoint key, resolved only when no flag says which keys to use.
  let configKey: string | undefined;
  const fromConfig = async () => {
    if (!config) return undefined;
    configKey ??= await createDefaultSecretResolver().resolve(config.audit.signingKey);
    return configKey;
  };
  const publicKeyFile = typeof values['public-key'] === 'string' ? values['public-key'] : undefined;
  const signingKeyFile = typeof values['signing-key'] === 'string' ? values['signing-key'] : undefined;
  const publicPem = publicKeyFile ? await readKeyFile(publicKeyFile, '--public-key') : await fromConfig();
  // A reviewer passes the public key and holds no private one: the config's key is left alone.
  let signer: PackSigner;
  if (signingKeyFile)
    signer = signerFromPem(await readKeyFile(signingKeyFile, '--signing-key'), 'signing-key');
  else if (config && !publicKeyFile) signer = signerFromPem((await fromConfig())!, 'audit-signing-key');
  else signer = oneOffSigner();
  return {
    auditDir: dirFlag ?? config!.audit.dir,
    ...(config ? { config } : {}),
    ...(publicPem ? { publicKey: verificationKey(publicPem) } : {}),
    signer,
  };
}

export const evidenceExport: Command = {
  path: ['evidence', 'export'],
  summary: 'Write a signed evidence pack of a period from the audit log',
  help: `Usage: warden evidence export (--audit-dir DIR | --config FILE) --out DIR [flags]

Verifies the audit log (hash chain and signed checkpoints) and writes, for the period, an evidence
pack a reviewer can check: evidence.json (for tools), evidence.md and evidence.html (tables and a
per-day activity chart), manifest.json (every file's SHA-256) and manifest.sig (its Ed25519
signature). Sections: audit log integrity with the key fingerprint, principals with their sessions,
sessions and how they ended, standing and just-in-time grants with approvers and expiry, held
commands with each decision and decider, denials and refusals by rule, masking counts per
connection and entity, recordings index, activity per day, the enforced settings; each names the
§ 164.312 / § 164.308(a)(1)(ii)(D) requirement it evidences. Counts, names and hashes only: never a
value from a protected system, a command line, SQL text or a free-text reason.
Exit status 0 only when the audit log verified (the pack is written either way).

  --audit-dir DIR        the audit log directory (a gateway's audit.dir, or a copy of the
                         write-once bucket's segments)
  --config FILE          the gateway config: audit.dir (unless --audit-dir), recording.dir, the
                         standing grants and settings, and audit.signingKey (resolved like the
                         gateway does) to verify checkpoints and sign the manifest
  --public-key FILE      Ed25519 public key (PEM) the checkpoints must be signed with
                         (default with --config: the public half of audit.signingKey)
  --signing-key FILE     Ed25519 private key (PEM) that signs the manifest (default with --config
                         and no --public-key: audit.signingKey; otherwise a key made for this
                         pack, whose fingerprint is printed for you to publish)
  --from WHEN            start of the period, inclusive: YYYY-MM-DD, an ISO-8601 time with a
                         zone, today or yesterday (UTC midnights) (default: the log's start)
  --to WHEN              end of the period, exclusive (default: now)
  --out DIR              where the pack is written; must be new or empty
  --recordings-dir DIR   index the recordings of the period's sessions (default with --config:
                         recording.dir)
  --json                 print the pack's manifest instead of a summary`,
  options: {
    'audit-dir': { type: 'string' },
    config: { type: 'string' },
    'public-key': { type: 'string' },
    'signing-key': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
    'recordings-dir': { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(args, io) {
    const out = requireString(args, 'out');
    let period: ReturnType<typeof periodOf>;
    try {
      period = periodOf(optionalString(args, 'from'), optionalString(args, 'to'));
    } catch (err) {
      throw new UsageError((err as WardenError).message);
    }
    const given = await inputs(args.values);
    const recordingsDir = optionalString(args, 'recordings-dir') ?? given.config?.recording?.dir;
    const exported = await exportEvidence({
      auditDir: given.auditDir,
      period,
      out,
      signer: given.signer,
      ...(given.publicKey ? { publicKey: given.publicKey } : {}),
      ...(given.config ? { config: given.config } : {}),
      ...(recordingsDir ? { recordingsDir } : {}),
    });
    io.stdout.write(
      args.values.json
        ? `${JSON.stringify(exported.pack.manifest, null, 2)}\n`
        : `${exportSummary(exported)}\n`,
    );
    return exported.data.integrity.ok ? 0 : 1;
  },
};

export const evidenceVerify: Command = {
  path: ['evidence', 'verify'],
  summary: 'Check that an evidence pack is exactly as it was exported',
  help: `Usage: warden evidence verify PACK [--public-key FILE] [--json]

Checks the manifest's Ed25519 signature, every file's size and SHA-256, and that the directory
holds nothing the manifest does not list. Exit status 0 only when nothing was altered.

  --public-key FILE   Ed25519 public key (PEM) the pack must be signed with: for packs a gateway
                      exported, the audit checkpoint key. Without it the signer's fingerprint is
                      printed to compare with the one published with the pack.
  --json              print the result as JSON`,
  options: { 'public-key': { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: 'PACK' },
  async run(args, io) {
    const keyFile = optionalString(args, 'public-key');
    const pinned = keyFile ? verificationKey(await readKeyFile(keyFile, '--public-key')) : undefined;
    const r = await verifyPack(args.positionals[0]!, pinned);
    if (args.values.json) {
      io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    } else {
      const head = r.ok
        ? `OK: evidence pack intact (${r.files} files, period ${r.period?.from} to ${r.period?.to})`
        : `FAILED: ${r.problems.length} problem(s)`;
      const signer = r.pinned
        ? `  signed by the given key ${r.signerKeyId}`
        : `  signed by key ${r.signerKeyId ?? 'unknown'} (${r.signerOrigin ?? 'unknown'}); not pinned: pass --public-key to require a key`;
      io.stdout.write(`${[head, signer, ...r.problems.map((p) => `  - ${p}`)].join('\n')}\n`);
    }
    return r.ok ? 0 : 1;
  },
};
