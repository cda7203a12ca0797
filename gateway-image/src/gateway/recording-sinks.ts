import { appendFile, readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { AuditEventInput } from '../audit/event';
import type { Sink } from '../audit/sink-uploaders';
import type { Logger } from '../logging/logger';
import { type RetryOptions, type SinkQueue, sinkQueues } from './sinks';

/** Where finished recordings are told to the shipper, and how shutdown waits for their copies. */
export interface RecordingShipper {
  /** A recording file this process wrote is closed and will not change: copy it. */
  finished(path: string): void;
  /** Waits up to `timeoutMs` for the queued copies, then stops; what is left is copied on the next start. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface RecordingShipOptions extends RetryOptions {
  /** `recording.dir`: where recordings are written and `shipped-recordings.ndjson` is kept. */
  readonly dir: string;
  /**
   * Whether to queue, on start, every recording in `dir` not yet recorded as copied. Only a process
   * started while no other process can be writing there may: see `shipRecordings`.
   */
  readonly scan: boolean;
}

/** The append-only list of copies made, one `{"sink","recording"}` line per recording and sink. */
export const SHIPPED_RECORDINGS = 'shipped-recordings.ndjson';
/** How long shutdown waits for queued copies by default. */
const STOP_WAIT_MS = 5_000;

/**
 * Copies every finished session recording (Postgres `<session>.jsonl`, SSH and Kubernetes exec
 * `<session>[.<channel>].cast`, HTTP `http/<pid>-<start>.jsonl`) to every bucket sink it is given
 * (`recording.sinks`, else `audit.sinks`: services.ts), as `recordings/<host>/<name>` (audit/chains.ts). Write-once objects cannot
 * be completed later, so only a closed file is copied: the process that closed it calls
 * `finished(path)`. Each sink has its own queue with the segment shipper's retries (sinks.ts): a
 * sink that is down delays copies, never sessions, and every failure is logged and audited.
 * The local file stays.
 *
 * Each copy is appended to `<dir>/shipped-recordings.ndjson`. Every process of a gateway (the
 * primary and its workers, gateway/cluster.ts) copies its own recordings and appends to that one
 * file: appends of one short line never overwrite another process's progress, as rewriting a
 * JSON map would.
 *
 * Recordings finished but not copied when the gateway stopped are copied on the next start by the
 * `scan`: it lists the directory and queues every recording without a line for that sink. A file
 * found there is finished only if no process can still write it, so the scan runs in the process
 * that starts first and alone — the single process, or the cluster primary before it forks any
 * worker — and the listing completes before this function returns, that is before any listener
 * opens and before any worker exists. A file a stopped process left open (a crash) is as complete
 * as it will ever be and is copied too. A worker restarted by the primary does not scan (its
 * siblings are writing); what its predecessor left is copied on the gateway's next start.
 */
export async function shipRecordings(
  audit: { append(input: AuditEventInput): Promise<unknown> },
  sinks: readonly Sink[],
  logger: Logger,
  opts: RecordingShipOptions,
): Promise<RecordingShipper> {
  const marker = join(opts.dir, SHIPPED_RECORDINGS);
  const queues = sinkQueues(sinks, audit, logger, opts, {
    noun: 'session recording',
    copy: (uploader, name) => uploader.uploadRecording(join(opts.dir, name), name, hostname()),
    copied: (key, name) =>
      appendFile(marker, `${JSON.stringify({ sink: key, recording: name })}\n`, { mode: 0o600 }).catch(
        (err: unknown) =>
          logger.warn(
            { err: String(err) },
            'cannot record which recordings were copied; the next start copies them again',
          ),
      ),
    subject: (recording) => ({ recording }),
  });
  if (queues.length === 0) return { finished: () => {}, stop: async () => {} };
  const pending = new Map<SinkQueue, string[]>();
  if (opts.scan) {
    try {
      const [names, shipped] = await Promise.all([listRecordings(opts.dir), readShipped(marker)]);
      for (const q of queues)
        pending.set(
          q,
          names.filter((name) => !shipped.has(`${q.key} ${name}`)),
        );
      // Only what some sink still lacks is opened: an empty file holds nothing to keep (the HTTP
      // file of a process that served no request).
      const empty = await emptyFiles(opts.dir, new Set([...pending.values()].flat()));
      for (const [q, names] of pending)
        pending.set(
          q,
          names.filter((name) => !empty.has(name)),
        );
    } catch (err) {
      logger.error({ err: String(err) }, 'cannot list session recordings to copy');
      pending.clear();
    }
  }
  for (const q of queues) q.resume(pending.get(q) ?? []);
  return {
    finished(path) {
      const name = relative(opts.dir, path);
      if (name.startsWith('..') || isAbsolute(name)) {
        logger.error({ path }, 'a recording outside recording.dir is not copied');
        return;
      }
      for (const q of queues) q.push(name.split(sep).join('/'));
    },
    async stop(timeoutMs = STOP_WAIT_MS) {
      await waitIdle(queues, timeoutMs);
      for (const q of queues) q.stop();
    },
  };
}

/** Recordings in `dir` and its `http/` folder, by name. */
async function listRecordings(dir: string): Promise<string[]> {
  const names = async (sub: string) => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      },
    );
    return entries
      .filter((e) => e.isFile() && /\.(jsonl|cast)$/.test(e.name))
      .map((e) => (sub ? `${sub}/${e.name}` : e.name))
      .sort();
  };
  return [...(await names('')), ...(await names('http'))];
}

/** Which of `names` (under `dir`) are empty files. */
async function emptyFiles(dir: string, names: ReadonlySet<string>): Promise<Set<string>> {
  const list = [...names];
  const sizes = await Promise.all(list.map((name) => stat(join(dir, name)).then((s) => s.size)));
  return new Set(list.filter((_, i) => sizes[i] === 0));
}

/** `<sink key> <name>` for every line of the marker; a torn last line (a crash) is skipped. */
async function readShipped(marker: string): Promise<Set<string>> {
  const text = await readFile(marker, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const done = new Set<string>();
  for (const line of text.split('\n')) {
    try {
      const { sink, recording } = JSON.parse(line) as { sink?: unknown; recording?: unknown };
      if (typeof sink === 'string' && typeof recording === 'string') done.add(`${sink} ${recording}`);
    } catch {
      // an empty or torn line
    }
  }
  return done;
}

async function waitIdle(queues: readonly SinkQueue[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(queues.map((q) => q.idle())),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
