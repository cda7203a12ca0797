/**
 * The recordings index: one line per recording file whose session was active in the period, with
 * its size and SHA-256 (so a reviewer can tell a recording was not altered) and who and where the
 * session was. Recordings hold session content; the pack holds only their names and hashes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { RecordingEvidence } from './model';

export interface SessionInfo {
  readonly principal: string | null;
  readonly connection: string | null;
  readonly protocol: string | null;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Files under `dir` (one level of subfolders, e.g. http/), oldest name first. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile()) out.push(path);
    else if (entry.isDirectory()) {
      for (const inner of await readdir(path, { withFileTypes: true })) {
        if (inner.isFile()) out.push(join(path, inner.name));
      }
    }
  }
  return out.sort();
}

/** Recordings of the sessions in `sessions` (session id → who and where), found by file name. */
export async function indexRecordings(
  dir: string,
  sessions: ReadonlyMap<string, SessionInfo>,
): Promise<RecordingEvidence[]> {
  const out: RecordingEvidence[] = [];
  for (const path of await files(dir)) {
    const session = basename(path).replace(/\..*$/, '');
    const info = sessions.get(session);
    if (!info) continue;
    out.push({
      session,
      file: relative(dir, path),
      bytes: (await stat(path)).size,
      sha256: await sha256Of(path),
      ...info,
    });
  }
  return out;
}
