/**
 * The audit log's integrity, from the audit module's own verifier: hash chain, sequence, segment
 * links and checkpoint signatures over the whole log (a period cannot be verified apart from what
 * came before it), and whether a verified checkpoint vouches for every event of the period.
 */
import type { KeyObject } from 'node:crypto';
import { verifyAuditLog } from '../audit/verify';
import type { IntegrityEvidence } from './model';

export interface PeriodSeqs {
  readonly first: number | null;
  readonly last: number | null;
}

export async function verifyIntegrity(
  dir: string,
  publicKey: KeyObject | undefined,
  period: PeriodSeqs,
  live: boolean,
): Promise<IntegrityEvidence> {
  // A live log (the gateway exporting its own) may end after its last checkpoint.
  const r = await verifyAuditLog(dir, { publicKey, allowOpenTail: live });
  return {
    ok: r.ok && r.signaturesVerified,
    events: r.events,
    segments: r.segments,
    lastSeq: r.lastSeq,
    checkpoints: r.checkpoints,
    lastCheckpointSeq: r.lastCheckpointSeq,
    signaturesVerified: r.signaturesVerified,
    keyId: r.keyId ?? null,
    unsealedEvents: r.unsealedEvents,
    problems: r.problems.map((p) => ({ kind: p.kind, seq: p.seq, message: p.message })),
    periodFirstSeq: period.first,
    periodLastSeq: period.last,
    // A checkpoint vouches for the events before it and is itself signed.
    periodVouched: r.ok && (period.last === null || period.last <= r.lastCheckpointSeq),
  };
}
