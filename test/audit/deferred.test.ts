import { verifyAuditLog } from '../../gateway-image/src/audit';
import { type AuditFileSystem, nodeAuditFileSystem } from '../../gateway-image/src/audit/segments';
import { AuditError } from '../../gateway-image/src/errors';
import { cleanup, keys, openLog, query, readLog, tempDir } from './helpers';

afterAll(cleanup);

/** Deferred events are results; `query(n)` is one, and serves as the durable append too. */
const result = query;

describe('AuditLog.appendDeferred', () => {
  it('rides with the next durable append: one fsync for both, in call order', async () => {
    const dir = await tempDir();
    const log = await openLog(dir, { deferredFlushMs: 60_000 });
    const before = log.stats().syncs;
    const deferred = log.appendDeferred(result(1));
    // Nothing asked for a write yet: the deferred event waits.
    await new Promise((r) => setTimeout(r, 20));
    expect(log.stats().syncs).toBe(before);
    const attempt = await log.append(query(2));
    const res = await deferred;
    expect(log.stats().syncs).toBe(before + 1);
    expect(res.seq).toBe(attempt.seq - 1);
    await log.close();
    const onDisk = [...(await readLog(dir)).values()].flat();
    expect(onDisk.map((e) => e.type)).toEqual(['audit.start', 'query.result', 'query.result', 'checkpoint']);
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('is written on its own within deferredFlushMs when no durable append comes', async () => {
    const dir = await tempDir();
    const log = await openLog(dir, { deferredFlushMs: 30 });
    const started = performance.now();
    const ev = await log.appendDeferred(result(1));
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(ev.type).toBe('query.result');
    expect([...(await readLog(dir)).values()].flat().map((e) => e.seq)).toContain(ev.seq);
    await log.close();
  });

  it('is flushed by close', async () => {
    const dir = await tempDir();
    const log = await openLog(dir, { deferredFlushMs: 60_000 });
    const deferred = log.appendDeferred(result(1));
    await log.close();
    await expect(deferred).resolves.toMatchObject({ seq: 2 });
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('fails closed with the batch that carried it', async () => {
    const dir = await tempDir();
    let broken = false;
    const fs: AuditFileSystem = {
      async openSegment(path) {
        const file = await nodeAuditFileSystem.openSegment(path);
        return { ...file, sync: () => (broken ? Promise.reject(new Error('EIO')) : file.sync()) };
      },
    };
    const log = await openLog(dir, { fileSystem: fs, deferredFlushMs: 60_000 });
    broken = true;
    const deferred = log.appendDeferred(result(1));
    await expect(log.append(query(2))).rejects.toBeInstanceOf(AuditError);
    await expect(deferred).rejects.toBeInstanceOf(AuditError);
    await expect(log.appendDeferred(result(3))).rejects.toBeInstanceOf(AuditError);
    await expect(log.close()).rejects.toBeInstanceOf(AuditError);
  });
});
