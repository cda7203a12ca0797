/**
 * The audit events of a log directory — every chain of it, one after the other (audit/chains.ts) —
 * streamed in order through the audit module's own segment reader and line parser, so the pack
 * reads exactly what `warden audit verify` checks. Lines that do not parse are skipped here: the
 * verifier reports them, and the pack says the log is damaged. Events come typed (audit/bodies.ts):
 * collectors narrow on `type` and read bodies as the gateway wrote them.
 */
import { listChains } from '../audit/chains';
import { type AuditEvent, knownEvent, parseEventLine } from '../audit/event';
import { listSegments, readSegmentLines } from '../audit/segments';

export async function* auditEvents(dir: string): AsyncGenerator<{ chain: string; event: AuditEvent }> {
  for (const chain of await listChains(dir)) {
    for (const segment of await listSegments(chain.dir)) {
      for await (const line of readSegmentLines(segment.path)) {
        if (!line.complete) continue;
        const parsed = parseEventLine(line.text);
        // A type this gateway does not write (a newer one did) has nothing to say to this pack.
        const event = typeof parsed === 'string' ? undefined : knownEvent(parsed);
        if (event) yield { chain: chain.id, event };
      }
    }
  }
}

/** Adds `n` to `counts[key]`. */
export function bump(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}
