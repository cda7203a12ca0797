/**
 * What reviewers read besides approvals: the audit timeline, sessions, and session recordings.
 * All read-only, and only for reviewers (admin groups and approver groups): the audit log names
 * every principal's commands, and recordings hold (masked) result rows.
 *
 * GET /v1/audit/events?principal=&connection=&session=&type=&since=&until=&limit=
 * GET /v1/sessions                      open sessions seen in the audit log, and held statements
 * GET /v1/recordings                    → {recordings: [{session, bytes, modifiedAt}]}
 * GET /v1/recordings/:session           → {session, lines: [...]}
 *
 * Terminating a session needs a registry of live sessions across gateway processes, which the
 * gateway does not have yet: the sessions route reports `terminable: false` rather than pretend.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApprovalService } from '../approvals/service';
import type { Principal } from '../identity/principal';
import { RecordingError, readRecording } from '../recording/replay';
import { parseAuditQuery, searchAudit } from './audit-search';
import { HttpProblem } from './problem';
import type { RouteContext, Router } from './router';

export interface ReviewRoutesOptions {
  readonly caller: (ctx: RouteContext) => Promise<Principal>;
  /** Groups allowed to read the audit log, sessions and recordings. */
  readonly reviewerGroups: readonly string[];
  readonly auditDir: string;
  /** `recording.dir`; absent when recording is off. */
  readonly recordingDir?: string;
  readonly approvals?: ApprovalService;
}

/** How many recent session events are scanned to find open sessions. */
const SESSION_SCAN = 1000;

export function addReviewRoutes(router: Router, o: ReviewRoutesOptions): Router {
  const reviewers = new Set(o.reviewerGroups);
  const route = (path: string, fn: (ctx: RouteContext) => Promise<unknown>) =>
    router.add('GET', path, async (ctx) => {
      const who = await o.caller(ctx);
      if (!who.groups.some((g) => reviewers.has(g))) {
        throw new HttpProblem(403, 'ERR_FORBIDDEN', 'this view is for reviewers (admin or approver groups)');
      }
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: await fn(ctx) };
    });

  route('/v1/audit/events', async (ctx) => {
    const q = parseAuditQuery(ctx.url.searchParams);
    if (typeof q === 'string') throw new HttpProblem(400, 'ERR_QUERY_INVALID', q);
    return searchAudit(o.auditDir, q);
  });

  route('/v1/sessions', async () => {
    const { events } = await searchAudit(o.auditDir, { type: 'session.', limit: SESSION_SCAN });
    const ended = new Set(events.filter((e) => e.type === 'session.end').map((e) => e.session));
    const held = o.approvals ? await o.approvals.list('pending') : [];
    const sessions = events
      .filter((e) => e.type === 'session.start' && !ended.has(e.session))
      .map((e) => ({
        session: e.session,
        connection: e.connection,
        principal: e.principal,
        startedAt: e.time,
        holding: held.filter((h) => h.session === e.session).map((h) => h.id),
        terminable: false,
      }));
    return { sessions, terminate: 'unavailable: the gateway has no live-session registry yet' };
  });

  route('/v1/recordings', async () => {
    if (!o.recordingDir) return { recordings: [], enabled: false };
    let names: string[];
    try {
      names = (await readdir(o.recordingDir)).filter((n) => n.endsWith('.jsonl'));
    } catch {
      return { recordings: [], enabled: true };
    }
    const recordings = await Promise.all(
      names.map(async (n) => {
        const s = await stat(join(o.recordingDir!, n));
        return { session: n.slice(0, -'.jsonl'.length), bytes: s.size, modifiedAt: s.mtime.toISOString() };
      }),
    );
    recordings.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
    return { recordings: recordings.slice(0, 200), enabled: true };
  });

  route('/v1/recordings/:session', async (ctx) => {
    if (!o.recordingDir) throw new HttpProblem(404, 'ERR_RECORDING_NOT_FOUND', 'recording is off');
    try {
      return { session: ctx.params.session, lines: await readRecording(o.recordingDir, ctx.params.session!) };
    } catch (err) {
      if (err instanceof RecordingError) throw new HttpProblem(404, err.code, 'no such recording');
      throw err;
    }
  });

  return router;
}
