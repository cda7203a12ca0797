/** Collect a period's evidence and write it as a signed pack: what the CLI and the daily export run. */

import type { KeyObject } from 'node:crypto';
import { type CollectOptions, collectEvidence } from './collect';
import type { SignerOrigin } from './manifest';
import type { EvidenceData } from './model';
import { type WrittenPack, writePack } from './pack';

export interface ExportOptions extends CollectOptions {
  readonly out: string;
  readonly signer: { readonly key: KeyObject; readonly origin: SignerOrigin };
}

export interface ExportedPack {
  readonly data: EvidenceData;
  readonly pack: WrittenPack;
}

export async function exportEvidence(o: ExportOptions): Promise<ExportedPack> {
  const data = await collectEvidence(o);
  const pack = await writePack(data, o.out, o.signer);
  return { data, pack };
}

/** One line per fact a person running the export needs: where, what period, verified or not, signer. */
export function exportSummary({ data, pack }: ExportedPack): string {
  const i = data.integrity;
  const lines = [
    `${i.ok ? 'OK' : 'FAILED'}: evidence pack written to ${pack.dir}`,
    `  period ${data.period.from} to ${data.period.to}; ${data.principals.length} principal(s), ${data.approvals.length} held command(s), ${data.refusals.byRule.reduce((n, r) => n + r.count, 0)} denial(s)`,
    i.ok
      ? `  audit log verified: ${i.events} event(s), checkpoints signed by key ${i.keyId}`
      : `  audit log NOT verified: ${i.signaturesVerified ? `${i.problems.length} problem(s), first: ${i.problems[0]?.kind} at seq ${i.problems[0]?.seq}` : 'no public key was given (--public-key)'}`,
    `  manifest signed by key ${pack.manifest.signer.keyId} (${pack.manifest.signer.origin})`,
  ];
  if (pack.manifest.signer.origin === 'one-off')
    lines.push(
      '  the signing key was made for this pack alone: publish its fingerprint with the pack, or pass --signing-key',
    );
  return lines.join('\n');
}
