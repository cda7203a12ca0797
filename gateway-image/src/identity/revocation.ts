/**
 * Revoked session-token ids. An entry only needs to outlive the token it revokes, so each carries
 * an `until` after which it is dropped; the set stays as small as the tokens still alive.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WardenError } from '../errors';

export interface RevocationStore {
  /** Records that `jti` is revoked until `until` (when the token would have expired anyway). */
  revoke(jti: string, until: Date): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
}

/** Revocations for one process; lost on restart. */
export class MemoryRevocationStore implements RevocationStore {
  protected readonly entries = new Map<string, number>();

  async revoke(jti: string, until: Date): Promise<void> {
    const previous = this.entries.get(jti) ?? 0;
    this.entries.set(jti, Math.max(previous, until.getTime()));
    // Pruning after the insert also drops an entry whose token has already expired.
    this.prune();
  }

  async isRevoked(jti: string): Promise<boolean> {
    const until = this.entries.get(jti);
    return until !== undefined && until > Date.now();
  }

  protected prune(now = Date.now()): void {
    for (const [jti, until] of this.entries) if (until <= now) this.entries.delete(jti);
  }
}

interface RevocationFile {
  readonly version: 1;
  /** jti → epoch milliseconds until which it is revoked. */
  readonly revoked: Record<string, number>;
}

/**
 * Revocations kept in a JSON file so they survive a restart of a single-node gateway. Every revoke
 * rewrites the file atomically (temporary file, fsync, rename), so a crash leaves either the old or
 * the new list, never a torn one. Writes are serialised within the process; several replicas need a
 * shared store instead.
 */
export class FileRevocationStore extends MemoryRevocationStore {
  private writes: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string) {
    super();
  }

  /** Loads the file if it exists; a missing file is an empty list, an unreadable one an error. */
  static async open(path: string): Promise<FileRevocationStore> {
    const store = new FileRevocationStore(path);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new WardenError('ERR_REVOCATION_STORE', `cannot read revocation file ${path}`, { cause: err });
      }
    }
    if (text !== undefined) {
      let parsed: RevocationFile;
      try {
        parsed = JSON.parse(text) as RevocationFile;
        const { revoked } = parsed;
        if (
          parsed.version !== 1 ||
          typeof revoked !== 'object' ||
          revoked === null ||
          Array.isArray(revoked) ||
          Object.values(revoked).some((until) => typeof until !== 'number')
        )
          throw new Error('not a version 1 revocation list of jti → epoch milliseconds');
      } catch (err) {
        // Fail closed: silently starting with no revocations would re-admit revoked tokens.
        throw new WardenError('ERR_REVOCATION_STORE', `revocation file ${path} is not valid`, { cause: err });
      }
      for (const [jti, until] of Object.entries(parsed.revoked)) store.entries.set(jti, until);
      store.prune();
    }
    return store;
  }

  override async revoke(jti: string, until: Date): Promise<void> {
    await super.revoke(jti, until);
    const next = this.writes.then(() => this.persist());
    // A failed write must fail this revoke, but not poison the ones queued after it.
    this.writes = next.catch(() => undefined);
    await next;
  }

  private async persist(): Promise<void> {
    const body: RevocationFile = { version: 1, revoked: Object.fromEntries(this.entries) };
    const tmp = join(dirname(this.path), `.${randomBytes(6).toString('hex')}.revocations.tmp`);
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify(body));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new WardenError('ERR_REVOCATION_STORE', `cannot write revocation file ${this.path}`, {
        cause: err,
      });
    }
  }
}
