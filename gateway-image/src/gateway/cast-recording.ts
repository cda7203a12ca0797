import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordingTarget, SshRecordingMeta } from '../protocols/ssh/hooks';
import { errorSummary } from './hook-log';
import type { GatewayServices } from './services';

/**
 * `<recording.dir>/<session>.cast`, and `<session>.<channel>.cast` for later channels of the
 * same connection. The file is open before the channel runs, so an unwritable directory refuses
 * the command instead of running it unrecorded. With recording off, lines go nowhere. Once closed,
 * the file is handed to `services.recordingFinished` to be copied to the write-once sinks.
 */
export async function openCast(
  services: GatewayServices,
  meta: Pick<SshRecordingMeta, 'session' | 'channel'>,
): Promise<RecordingTarget> {
  const rec = services.config.recording;
  if (!rec?.enabled) return { write: () => {}, close: async () => {} };
  // Recordings hold masked output that may still be sensitive: owner-only, never overwritten.
  await recordingDir(rec.dir);
  const name = meta.channel === 0 ? `${meta.session}.cast` : `${meta.session}.${meta.channel}.cast`;
  const path = join(rec.dir, name);
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', (err) => {
      // The directory may have gone since it was made: the next command makes it again.
      madeDirs.delete(rec.dir);
      reject(err);
    });
  });
  file.on('error', (err) =>
    services.logger.error({ session: meta.session, err: errorSummary(err) }, 'ssh recording write failed'),
  );
  return {
    write: (line) => {
      if (!file.destroyed) file.write(line);
    },
    // Closed, the cast is finished: it is copied to write-once storage (recording-sinks.ts).
    close: () =>
      new Promise<void>((resolve) => file.end(() => resolve())).then(() => services.recordingFinished(path)),
  };
}

/** Recording directories made by this process: a command opens its file without a mkdir first. */
const madeDirs = new Map<string, Promise<unknown>>();

function recordingDir(dir: string): Promise<unknown> {
  let made = madeDirs.get(dir);
  if (!made) {
    made = mkdir(dir, { recursive: true, mode: 0o700 });
    madeDirs.set(dir, made);
    made.catch(() => madeDirs.delete(dir));
  }
  return made;
}
