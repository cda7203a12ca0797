/**
 * The audit log's integrity, from the audit module's own verifier: hash chain, sequence, segment
 * links and checkpoint signatures over the whole log (a period cannot be verified apart from what
 * came before it), and whether a verified checkpoint vouches for every event of the period.
 */
import type { KeyObject } from 'node:crypto';
import { verifyAuditDir } from '../audit/verify';
import type { IntegrityEvidence } from './model';

export interface PeriodSeqs {
  readonly first: number | null;
  readonly last: number | null;
}

/**
 * Every chain of the directory verified (a multi-process gateway writes one per process). The
 * figures are the directory's own chain's, counts summed over all; `periodVouched` holds only when
 * every chain's checkpoints vouch for its events of the period; `chains` lists each one when there
 * are several.
 */
export async function verifyIntegrity(
  dir: string,
  publicKey: KeyObject | undefined,
  periods: ReadonlyMap<string, PeriodSeqs>,
  live: boolean,
): Promise<IntegrityEvidence> {
  // A live log (the gateway exporting its own) may end after its last checkpoint.
  const all = await verifyAuditDir(dir, { publicKey, allowOpenTail: live });
  const per = all.chains.map(({ id, result: r }) => {
    const period = periods.get(id) ?? { first: null, last: null };
    return {
      id,
      r,
      period,
      // A checkpoint vouches for the events before it and is itself signed.
      vouched: r.ok && (period.last === null || period.last <= r.lastCheckpointSeq),
    };
  });
  const main = per.find((c) => c.id === '') ?? per[0]!;
  const sum = (f: (c: (typeof per)[number]) => number) => per.reduce((n, c) => n + f(c), 0);
  return {
    ok: per.every((c) => c.r.ok && c.r.signaturesVerified),
    events: sum((c) => c.r.events),
    segments: sum((c) => c.r.segments),
    lastSeq: main.r.lastSeq,
    checkpoints: sum((c) => c.r.checkpoints),
    lastCheckpointSeq: main.r.lastCheckpointSeq,
    signaturesVerified: per.every((c) => c.r.signaturesVerified),
    keyId: main.r.keyId ?? null,
    unsealedEvents: sum((c) => c.r.unsealedEvents),
    problems: per.flatMap((c) =>
      c.r.problems.map((p) => ({
        kind: p.kind,
        seq: p.seq,
        message: c.id === '' ? p.message : `chain ${c.id}: ${p.message}`,
      })),
    ),
    periodFirstSeq: main.period.first,
    periodLastSeq: main.period.last,
    periodVouched: per.every((c) => c.vouched),
    ...(per.length > 1
      ? {
          chains: per.map((c) => ({
            id: c.id === '' ? 'main' : c.id,
            ok: c.r.ok && c.r.signaturesVerified,
            events: c.r.events,
            periodFirstSeq: c.period.first,
            periodLastSeq: c.period.last,
            periodVouched: c.vouched,
          })),
        }
      : {}),
  };
}
