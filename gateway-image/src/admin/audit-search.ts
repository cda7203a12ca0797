/**
 * Read-only search over the audit directory's chains and their segments, newest first. It never opens a segment for
 * writing and never touches the chain: the writer owns the log, this only reads lines that are
 * already durable. A torn last line (a write in progress) is skipped.
 */
import { listChains } from '../audit/chains';
import { parseEventLine, type RecordedEvent } from '../audit/event';
import { listSegments, readSegmentLines } from '../audit/segments';

export interface AuditQuery {
  /** Subject of the acting principal. */
  readonly principal?: string;
  readonly connection?: string;
  readonly session?: string;
  /** An exact type (`approval.decided`) or a prefix ending in '.' (`approval.`). */
  readonly type?: string;
  /** ISO 8601 bounds on the event time, inclusive. */
  readonly since?: string;
  readonly until?: string;
  /** @default 100, at most 1000 */
  readonly limit?: number;
}

export interface AuditSearchResult {
  readonly events: RecordedEvent[];
  /** Whether older matches were left out because of the limit. */
  readonly truncated: boolean;
}

export const MAX_AUDIT_LIMIT = 1000;

export async function searchAudit(dir: string, q: AuditQuery): Promise<AuditSearchResult> {
  const limit = Math.min(q.limit ?? 100, MAX_AUDIT_LIMIT);
  const chains = await listChains(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const matches = (e: RecordedEvent): boolean => {
    const { time, type } = e;
    if (q.principal !== undefined && e.principal?.subject !== q.principal) return false;
    if (q.connection !== undefined && e.connection !== q.connection) return false;
    if (q.session !== undefined && e.session !== q.session) return false;
    if (q.type !== undefined && !(q.type.endsWith('.') ? type.startsWith(q.type) : type === q.type))
      return false;
    if (q.since !== undefined && time < q.since) return false;
    if (q.until !== undefined && time > q.until) return false;
    return true;
  };
  // Each chain's newest matches, then merged newest first (time, then chain id).
  const found: { chain: string; event: RecordedEvent }[] = [];
  let truncated = false;
  for (const chain of chains) {
    const newest = await newestMatches(chain.dir, matches, limit);
    truncated ||= newest.truncated;
    for (const event of newest.events) found.push({ chain: chain.id, event });
  }
  found.sort((a, b) => b.event.time.localeCompare(a.event.time) || a.chain.localeCompare(b.chain));
  return { events: found.slice(0, limit).map((f) => f.event), truncated: truncated || found.length > limit };
}

/** Up to `limit` matching events of one chain, newest first; `truncated` when older ones matched too. */
async function newestMatches(
  dir: string,
  matches: (e: RecordedEvent) => boolean,
  limit: number,
): Promise<AuditSearchResult> {
  const segments = await listSegments(dir);
  const found: RecordedEvent[] = [];
  // Newest segment first; within a segment lines are oldest first, so collect then reverse.
  for (const seg of segments.reverse()) {
    const inSegment: RecordedEvent[] = [];
    for await (const line of readSegmentLines(seg.path)) {
      if (!line.complete || line.text === '') continue;
      // The verifier reports damage; search shows what it can read.
      const event = parseEventLine(line.text);
      if (typeof event !== 'string' && matches(event)) inSegment.push(event);
    }
    found.push(...inSegment.reverse());
    if (found.length > limit) return { events: found.slice(0, limit), truncated: true };
  }
  return { events: found, truncated: false };
}

/** Validates the query string of `GET /v1/audit/events`; returns an error message or the query. */
export function parseAuditQuery(params: URLSearchParams): AuditQuery | string {
  const q: Record<string, string | number> = {};
  for (const key of ['principal', 'connection', 'session', 'type'] as const) {
    const v = params.get(key);
    if (v !== null && v !== '') {
      if (v.length > 256) return `${key} is too long`;
      q[key] = v;
    }
  }
  for (const key of ['since', 'until'] as const) {
    const v = params.get(key);
    if (v === null || v === '') continue;
    const t = Date.parse(v);
    if (Number.isNaN(t)) return `${key} must be an ISO 8601 time`;
    q[key] = new Date(t).toISOString();
  }
  const limit = params.get('limit');
  if (limit !== null && limit !== '') {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_AUDIT_LIMIT) return `limit must be 1..${MAX_AUDIT_LIMIT}`;
    q.limit = n;
  }
  return q as AuditQuery;
}
