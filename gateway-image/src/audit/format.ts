/** The text `warden audit verify` prints. */
import type { AuditDirVerifyResult, VerifyResult } from './verify';

/** Human-readable report for the CLI; the first line says OK or FAILED and names the first bad seq. */
export function formatVerifyResult(r: VerifyResult): string {
  const count = r.problems.length + r.problemsOmitted;
  const head = r.ok
    ? 'OK: audit log verified'
    : `FAILED: ${count} problem(s); first bad seq ${r.firstBadSeq ?? 'unknown'}`;
  const lines = [
    head,
    `  ${r.segments} segment(s), ${r.events} event(s), last seq ${r.lastSeq}, ` +
      `${r.checkpoints} checkpoint(s), last good checkpoint at seq ${r.lastCheckpointSeq}`,
    r.signaturesVerified
      ? `  checkpoint signatures verified with key ${r.keyId}`
      : '  checkpoint signatures NOT verified (no public key given): checkpoints were only hash-checked',
  ];
  if (r.unsealedEvents > 0)
    lines.push(`  ${r.unsealedEvents} event(s) after the last checkpoint (unsealed tail)`);
  for (const p of r.problems) {
    const where = p.segment === null ? '' : ` ${p.segment}${p.line === null ? '' : `:${p.line}`}`;
    lines.push(`  - ${p.seq === null ? 'seq ?' : `seq ${p.seq}`}${where} ${p.kind}: ${p.message}`);
  }
  if (r.problemsOmitted > 0) lines.push(`  … and ${r.problemsOmitted} more`);
  return lines.join('\n');
}

/**
 * The report for a whole audit directory. One chain (a single-process gateway): exactly the
 * single-chain report. Several: a first line over all of them, then each chain's report under its
 * name, so the broken one is named.
 */
export function formatDirVerifyResult(r: AuditDirVerifyResult): string {
  if (r.chains.length === 1 && r.chains[0]!.id === '') return formatVerifyResult(r.chains[0]!.result);
  const broken = r.chains.filter((c) => !c.result.ok).map((c) => chainName(c.id));
  const head = r.ok
    ? `OK: ${r.chains.length} audit chains verified`
    : `FAILED: chain(s) ${broken.join(', ')} did not verify`;
  const parts = r.chains.map(
    (c) =>
      `chain ${chainName(c.id)}:\n${formatVerifyResult(c.result)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}`,
  );
  return [head, ...parts].join('\n');
}

function chainName(id: string): string {
  return id === '' ? 'main' : id;
}
