/**
 * Records Postgres sessions by subscribing to the adapter's `warden.postgres` channel: one JSON
 * Lines file per session (see ./format). The recorder only observes. Whatever goes wrong in here
 * (a full disk, an unwritable directory, a malformed message) is logged and ends that session's
 * recording; it never throws into the publisher, so the data path cannot notice a recorder.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { join } from 'node:path';
import { principalSummary } from '../identity/principal';
import { GATE_CHANNEL, type GateAttemptEvent } from '../protocols/gate';
import { POSTGRES_CHANNEL, type PostgresEvent, requestResultRows } from '../protocols/postgres/events';
import { resultFields } from '../protocols/postgres/results/result-audit';
import { RECORDING_FORMAT, type ResultSet, SESSION_ID } from './format';
import { decodeDataRow, decodeRowDescription } from './pg-rows';
import { RecordingFile } from './recording-file';

export interface SessionRecorderOptions {
  /** Where `<session-id>.jsonl` files go; created (mode 0700) when the first session starts. */
  readonly dir: string;
  /** Result rows kept per statement result; 0 keeps counts only. @default 100 */
  readonly maxResultRows?: number;
  /** Longest time a recorded line waits in memory before it is written. @default 200 */
  readonly flushIntervalMs?: number;
  /**
   * Called with a recording's path once its file is closed, whether the session ended, the
   * recorder closed or writing failed: the file will not change again. @default none
   */
  onFinished?(path: string): void;
  /** Where recorder failures go. @default silent */
  log?(entry: { level: 'warn' | 'error'; message: string; session?: string; err?: unknown }): void;
}

export interface SessionRecorder {
  /** Stops recording: open sessions get a `recording.stopped` line; every file is fsynced and closed. */
  close(): Promise<void>;
}

interface LiveSession {
  readonly file: RecordingFile;
  readonly startedAt: number;
  sets: ResultSet[];
  formats: number[];
  recorded: number;
}

export function createSessionRecorder(opts: SessionRecorderOptions): SessionRecorder {
  const maxRows = opts.maxResultRows ?? 100;
  if (!Number.isInteger(maxRows) || maxRows < 0) {
    throw new RangeError(`maxResultRows must be a non-negative integer, got ${maxRows}`);
  }
  const flushIntervalMs = opts.flushIntervalMs ?? 200;
  const live = new Map<string, LiveSession>();
  const closing = new Set<Promise<void>>();
  const log = (message: string, session: string | undefined, err?: unknown) => {
    try {
      opts.log?.({ level: 'error', message, session, err });
    } catch {
      // a failing logger must not turn into a throw inside the publisher either
    }
  };

  const finish = (id: string, s: LiveSession, last: object) => {
    live.delete(id);
    s.file.append(last);
    const done = s.file
      .close()
      .then(() => {
        if (s.file.created) opts.onFinished?.(s.file.path);
      })
      .catch((err: unknown) => log('recording finished callback failed', id, err))
      .finally(() => closing.delete(done));
    closing.add(done);
  };

  // Timings (round trips, upstream logins) are for metrics; a recording keeps what was said.
  type Recorded = Exclude<PostgresEvent['type'], 'round-trip' | 'upstream.connect'>;
  const handlers: { [K in Recorded]: (e: Extract<PostgresEvent, { type: K }>) => void } = {
    'session.start'(e) {
      if (!SESSION_ID.test(e.session) || live.has(e.session)) return;
      const path = join(opts.dir, `${e.session}.jsonl`);
      const file = new RecordingFile(path, {
        flushIntervalMs,
        onError: (err) => {
          log('session recording failed; the session goes on unrecorded', e.session, err);
          const s = live.get(e.session);
          // The failed file takes no more lines; closing it releases its descriptor.
          if (s?.file === file) finish(e.session, s, {});
        },
      });
      live.set(e.session, { file, startedAt: performance.now(), sets: [], formats: [], recorded: 0 });
      const application = e.parameters.application_name;
      file.append({
        type: 'session.start',
        format: RECORDING_FORMAT,
        protocol: 'postgres',
        session: e.session,
        time: new Date().toISOString(),
        connection: e.connection,
        principal: principalSummary(e.principal),
        client: { user: e.parameters.user, ...(application ? { application } : {}) },
        maxResultRows: maxRows,
      });
    },
    row(e) {
      const s = live.get(e.session);
      if (!s) return;
      const columns = decodeRowDescription(e.message);
      if (columns) {
        s.formats = columns.formats;
        // A Describe without an Execute leaves an empty set behind: the next description replaces it.
        const last = s.sets.at(-1);
        if (last && last.rows.length === 0) s.sets.pop();
        s.sets.push({ columns: columns.names, rows: [] });
        return;
      }
      if (s.recorded >= maxRows) return;
      const values = decodeDataRow(e.message, s.formats);
      if (!values) return;
      if (s.sets.length === 0) s.sets.push({ columns: [], rows: [] });
      s.sets.at(-1)!.rows.push(values);
      s.recorded++;
    },
    result(e) {
      const s = live.get(e.session);
      if (!s) return;
      const r = e.result;
      const sets = s.sets.filter((x) => x.rows.length > 0 || x.columns.length > 0);
      s.file.append({
        type: 'result',
        t: elapsed(s),
        ...resultFields(r),
        ...(r.facts ? { text: r.facts.normalized } : {}),
        sets,
        truncated: r.rows > s.recorded,
      });
      s.sets = [];
      s.recorded = 0;
    },
    'session.end'(e) {
      const s = live.get(e.session);
      if (!s) return;
      finish(e.session, s, {
        type: 'session.end',
        t: elapsed(s),
        time: new Date().toISOString(),
        reason: e.reason,
        durationMs: e.durationMs,
        statements: e.statements,
        ...(e.sqlState ? { sqlState: e.sqlState } : {}),
      });
    },
  };

  const onMessage = (message: unknown) => {
    const e = message as PostgresEvent;
    try {
      (handlers[e.type as Recorded] as ((e: PostgresEvent) => void) | undefined)?.(e);
    } catch (err) {
      // diagnostics_channel rethrows a subscriber's exception on the next tick (an uncaught
      // exception): never let one escape.
      log('session recorder event failed', e?.session, err);
    }
  };

  /** A statement's attempt as the command gate audited it (protocols/gate.ts). */
  const onAttempt = (message: unknown) => {
    const a = message as GateAttemptEvent;
    if (a.type !== 'query.attempt') return;
    const s = live.get(a.session);
    if (!s) return;
    try {
      const e = a.body;
      const d = 'decision' in e ? e.decision : undefined;
      s.file.append({
        type: 'statement',
        t: elapsed(s),
        message: e.message,
        ...(e.statement === undefined ? {} : { statement: e.statement }),
        ...('facts' in e
          ? {
              text: e.facts.normalized,
              fingerprint: e.facts.fingerprint,
              kinds: e.facts.statements.map((x) => x.kind),
            }
          : {}),
        decision: d?.outcome ?? ('outcome' in e ? e.outcome : 'unknown'),
        ...(d?.rule ? { rule: d.rule } : {}),
        ...(d && d.outcome !== 'allow' ? { reason: d.reason } : {}),
      });
    } catch (err) {
      log('session recorder event failed', a.session, err);
    }
  };

  const withdrawRows = requestResultRows(maxRows);
  diagnosticsChannel.subscribe(POSTGRES_CHANNEL, onMessage);
  diagnosticsChannel.subscribe(GATE_CHANNEL, onAttempt);
  let closed: Promise<void> | undefined;
  return {
    close() {
      closed ??= (async () => {
        diagnosticsChannel.unsubscribe(POSTGRES_CHANNEL, onMessage);
        diagnosticsChannel.unsubscribe(GATE_CHANNEL, onAttempt);
        withdrawRows();
        for (const [id, s] of [...live]) {
          finish(id, s, { type: 'recording.stopped', t: elapsed(s), time: new Date().toISOString() });
        }
        await Promise.all([...closing]);
      })();
      return closed;
    },
  };
}

function elapsed(s: LiveSession): number {
  return Math.round((performance.now() - s.startedAt) * 1000) / 1000;
}
