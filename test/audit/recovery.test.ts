import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AuditFileSystem, nodeAuditFileSystem, verifyAuditLog } from '../../gateway-image/src/audit';
import { AuditError } from '../../gateway-image/src/errors';
import { cleanup, copyDir, keys, openLog, query, readLog, tempDir } from './helpers';

afterAll(cleanup);

const SEG1 = 'segment-000001.jsonl';

/** A crash-time snapshot: the directory as it is while the writer is still running. */
async function crashedLog(events: number): Promise<string> {
  const dir = await tempDir();
  const log = await openLog(dir);
  for (let i = 0; i < events; i++) await log.append(query(i));
  const snapshot = await copyDir(dir);
  await log.close();
  return snapshot;
}

describe('AuditLog recovery', () => {
  it('continues after a crash, recording that the shutdown was not clean', async () => {
    const dir = await crashedLog(5);
    const before = await verifyAuditLog(dir, { publicKey: keys.publicKey });
    expect(before.problems.map((p) => p.kind)).toEqual(['unsealed-tail']);
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey, allowOpenTail: true })).ok).toBe(true);

    const log = await openLog(dir);
    await log.close();
    const events = [...(await readLog(dir)).values()].flat();
    expect(events.find((e) => e.seq === 7)).toMatchObject({
      type: 'audit.start',
      body: { cleanShutdown: false },
    });
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('refuses to open over a torn last line unless told to repair it, then records the repair', async () => {
    const dir = await crashedLog(3);
    const torn = '{"seq":5,"time":"2026-01-01T00:00:00.000Z","type":"query.att';
    await appendFile(join(dir, SEG1), torn);
    await expect(openLog(dir)).rejects.toThrow(/incomplete line .*repairTornTail/);
    expect((await verifyAuditLog(dir)).problems.map((p) => p.kind)).toContain('torn-line');

    const log = await openLog(dir, { repairTornTail: true });
    await log.append(query(9));
    await log.close();
    const events = [...(await readLog(dir)).values()].flat();
    const recovered = events.find((e) => e.type === 'audit.recovered');
    expect(recovered?.body).toMatchObject({ segment: SEG1, truncatedBytes: torn.length });
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('refuses to continue a chain whose last complete line was altered', async () => {
    const dir = await crashedLog(3);
    const path = join(dir, SEG1);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/"rows":2/, '"rows":7'));
    await expect(openLog(dir, { repairTornTail: true })).rejects.toThrow(/damaged tail/);
  });
});

/** The real file system with a switch that makes fsync fail, as a dying disk would. */
function flakyFs(): { fs: AuditFileSystem; failSync: () => void } {
  let failing = false;
  return {
    failSync: () => {
      failing = true;
    },
    fs: {
      async openSegment(path) {
        const file = await nodeAuditFileSystem.openSegment(path);
        return {
          append: (data) => file.append(data),
          sync: () =>
            failing
              ? Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }))
              : file.sync(),
          close: () => file.close(),
        };
      },
    },
  };
}

describe('AuditLog fails closed', () => {
  it('rejects every append of the failed batch and every later one with AuditError', async () => {
    const dir = await tempDir();
    const { fs, failSync } = flakyFs();
    const log = await openLog(dir, { fileSystem: fs });
    await log.append(query(0));
    const failed = new Promise((resolve) => log.once('failed', resolve));
    failSync();
    const batch = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => log.append(query(i))));
    for (const r of batch) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AuditError);
    }
    const first = (batch[0] as PromiseRejectedResult).reason as AuditError;
    expect(first.code).toBe('ERR_AUDIT_UNAVAILABLE');
    expect((first.cause as Error).message).toMatch(/EIO/);
    await expect(failed).resolves.toBeInstanceOf(AuditError);
    await expect(log.append(query(99))).rejects.toBeInstanceOf(AuditError);
    expect(log.stats().failed).toBe(true);
    await expect(log.close()).rejects.toBeInstanceOf(AuditError);

    // Reopening re-reads the chain from disk and works again on a healthy disk.
    const again = await openLog(dir);
    await again.append(query(100));
    await again.close();
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('fails closed when the segment file handle is closed underneath it', async () => {
    const dir = await tempDir();
    let closeUnderneath: (() => Promise<void>) | undefined;
    const fs: AuditFileSystem = {
      async openSegment(path) {
        const file = await nodeAuditFileSystem.openSegment(path);
        closeUnderneath = () => file.close();
        return file;
      },
    };
    const log = await openLog(dir, { fileSystem: fs });
    await log.append(query(0));
    await closeUnderneath!();
    await expect(log.append(query(1))).rejects.toBeInstanceOf(AuditError);
    await expect(log.append(query(2))).rejects.toThrow(/refusing appends/);
    await expect(log.close()).rejects.toBeInstanceOf(AuditError);
  });
});
