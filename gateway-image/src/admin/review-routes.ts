/**
 * What reviewers read besides approvals: the audit timeline and session recordings (live sessions
 * are in sessions-routes.ts). All read-only, and only for reviewers (admin groups and approver
 * groups): the audit log names every principal's commands, and recordings hold (masked) result rows.
 *
 * GET /v1/audit/events?principal=&connection=&session=&type=&since=&until=&limit=
 * GET /v1/recordings                    → {recordings: [{session, bytes, modifiedAt}]}
 * GET /v1/recordings/:session           → {session, lines: [...]}
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Principal } from '../identity/principal';
import { RecordingError, readRecording } from '../recording/replay';
import { parseAuditQuery, searchAudit } from './audit-search';
import { HttpProblem } from './problem';
import type { RouteContext, Router } from './router';

export interface ReviewRoutesOptions {
  readonly caller: (ctx: RouteContext) => Promise<Principal>;
  /** Groups allowed to read the audit log and recordings. */
  readonly reviewerGroups: readonly string[];
  readonly auditDir: string;
  /** `recording.dir`; absent when recording is off. */
  readonly recordingDir?: string;
}

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
