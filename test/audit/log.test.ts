import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog, type SealedSegment, verifyAuditLog } from '../../gateway-image/src/audit';
import { type AuditEventInput, eventHash, GENESIS_HASH } from '../../gateway-image/src/audit/event';
import { verifyCheckpoint } from '../../gateway-image/src/audit/keys';
import { AuditError } from '../../gateway-image/src/errors';
import { alice, cleanup, keys, openLog, query, readLog, tempDir } from './helpers';

afterAll(cleanup);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('AuditLog', () => {
  it('starts a chain at genesis and records what the input says, durably on disk', async () => {
    const dir = await tempDir();
    const log = await openLog(dir);
    const ev = await log.append(query(1));
    expect(ev).toMatchObject({ seq: 2, type: 'query.result', connection: 'ehr-primary', session: 's-1' });
    expect(ev.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(ev.hash).toBe(eventHash(ev));
    // Only the audited principal fields: no token id, no expiry.
    expect(ev.principal).toEqual({
      subject: alice.subject,
      kind: 'agent',
      issuer: alice.issuer,
      groups: ['analysts'],
    });

    const lines = (await readFile(join(dir, 'segment-000001.jsonl'), 'utf8')).split('\n');
    const [start, second] = lines.map((l) => (l ? JSON.parse(l) : undefined));
    expect(start).toMatchObject({ seq: 1, type: 'audit.start', prev: GENESIS_HASH, principal: null });
    expect(second).toEqual(ev);
    expect(ev.prev).toBe(start.hash);
    await log.close();
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('refuses bad input with AuditError without using up a seq', async () => {
    const dir = await tempDir();
    const log = await openLog(dir, { maxBodyBytes: 1024 });
    // What the types forbid, as a caller outside them (JavaScript, a bad cast) could still send.
    const untyped = (input: unknown) => log.append(input as AuditEventInput);
    const refused = [
      untyped({ type: 'query.result', body: { rows: 'x'.repeat(2000) } }),
      untyped({ type: 'checkpoint', body: { upTo: 1 } }),
      untyped({ type: 'Not A Type', body: {} }),
      untyped({ type: 'not.catalogued', body: {} }),
      untyped({ type: 'query.result', body: { when: new Date() } }),
      untyped({ type: 'query.result', body: { rows: Number.NaN } }),
      untyped({ type: 'query.result', body: [] }),
    ];
    for (const p of refused) await expect(p).rejects.toBeInstanceOf(AuditError);
    await expect(refused[0]).rejects.toThrow(/over the 1024-byte cap/);
    expect((await log.append(query(1))).seq).toBe(2);
    await log.close();
  });

  it('keeps one event per line whatever the strings hold', async () => {
    const dir = await tempDir();
    const log = await openLog(dir);
    const ev = await log.append({
      type: 'sftp.file',
      connection: 'a\nb',
      body: { protocol: 'ssh', op: 'open', path: 'echo 1\n{"seq":1}\r\n' },
    });
    await Promise.all([log.close(), log.close()]);
    const events = [...(await readLog(dir)).values()].flat();
    expect(events.map((e) => e.type)).toEqual(['audit.start', 'sftp.file', 'checkpoint']);
    expect(events[1]).toEqual(ev);
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('writes a signed checkpoint every N events and closes on one', async () => {
    const dir = await tempDir();
    const log = await openLog(dir, { checkpointEvery: 10 });
    for (let i = 0; i < 25; i++) await log.append(query(i));
    await log.close();
    const events = [...(await readLog(dir)).values()].flat();
    const cps = events.filter((e) => e.type === 'checkpoint');
    expect(cps.map((c) => c.body.reason)).toEqual(['count', 'count', 'close']);
    for (const cp of cps) {
      const { upTo, hash, segment, signature, keyId } = cp.body as Record<string, never>;
      expect(upTo).toBe(cp.seq - 1);
      expect(hash).toBe(cp.prev);
      expect(keyId).toBe(keys.keyId);
      expect(verifyCheckpoint({ upTo, hash, segment }, signature, keys.publicKey)).toBe(true);
    }
    expect(events.at(-1)?.type).toBe('checkpoint');
  });

  it('writes a timed checkpoint only when events arrived since the last one', async () => {
    const dir = await tempDir();
    const log = await openLog(dir, { checkpointIntervalMs: 40 });
    await log.append(query(1));
    await sleep(200);
    const events = [...(await readLog(dir)).values()].flat();
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => e.body.reason)).toEqual(['interval']);
    await log.close();
  });

  it('rotates by size: seals with segment.sealed + checkpoint, chmod 0444, and tells listeners', async () => {
    const dir = await tempDir();
    const log = await openLog(dir, { segmentMaxBytes: 2048 });
    const sealed: SealedSegment[] = [];
    log.on('sealed', (s) => sealed.push(s));
    for (let i = 0; i < 40; i++) await log.append(query(i));
    await log.close();
    expect(sealed.length).toBeGreaterThanOrEqual(3);
    const segments = await readLog(dir);
    for (const s of sealed) {
      expect((await stat(s.path)).mode & 0o777).toBe(0o444);
      const events = segments.get(s.segment)!;
      const [marker, cp] = events.slice(-2);
      expect(marker?.type).toBe('segment.sealed');
      expect(cp?.type).toBe('checkpoint');
      expect(cp?.seq).toBe(s.lastSeq);
    }
    const result = await verifyAuditLog(dir, { publicKey: keys.publicKeyPem });
    expect(result).toMatchObject({ ok: true, segments: sealed.length + 1, signaturesVerified: true });
  });

  it('rotates by age even when no more events arrive', async () => {
    const dir = await tempDir();
    const log = await openLog(dir, { segmentMaxAgeMs: 60, checkpointIntervalMs: 20 });
    const sealed = new Promise<SealedSegment>((resolve) => log.once('sealed', resolve));
    await log.append(query(1));
    expect((await sealed).segment).toBe('segment-000001.jsonl');
    expect(log.stats().segment).toBe('segment-000002.jsonl');
    await log.close();
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('finishes a rotation before close returns, and reopens onto the fresh empty segment', async () => {
    const dir = await tempDir();
    // Every event is over the limit, so every append seals a segment.
    let log = await openLog(dir, { segmentMaxBytes: 100 });
    await Promise.all([log.append(query(1)), log.append(query(2))]);
    await log.close();
    const segments = await readLog(dir);
    expect([...segments.values()].at(-1)).toEqual([]);
    log = await openLog(dir, { segmentMaxBytes: 100 });
    await log.close();
    const after = await readLog(dir);
    const start = after.get([...segments.keys()].at(-1)!)![0]!;
    expect(start).toMatchObject({ type: 'audit.start', body: { cleanShutdown: true } });
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('continues seq and prev after reopening, across rotation', async () => {
    const dir = await tempDir();
    let log = await openLog(dir, { segmentMaxBytes: 4096 });
    for (let i = 0; i < 30; i++) await log.append(query(i));
    await log.close();
    const before = log.stats().lastSeq;
    log = await openLog(dir, { segmentMaxBytes: 4096 });
    const next = await log.append(query(99));
    await log.close();
    const events = [...(await readLog(dir)).values()].flat();
    const start = events.find((e) => e.seq === before + 1)!;
    expect(start).toMatchObject({
      type: 'audit.start',
      body: { resumedAfterSeq: before, cleanShutdown: true },
    });
    expect(next.seq).toBe(before + 2);
    const result = await verifyAuditLog(dir, { publicKey: keys.publicKey });
    expect(result.ok).toBe(true);
    expect(result.segments).toBeGreaterThan(1);
  });

  it('group-commits concurrent appends: fewer fsyncs than events, seq in call order', async () => {
    const dir = await tempDir();
    const log = await openLog(dir);
    const syncsBefore = log.stats().syncs;
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(query(i))));
    const syncs = log.stats().syncs - syncsBefore;
    expect(syncs).toBeLessThan(1000);
    expect(syncs).toBeGreaterThan(0);
    for (let i = 1; i < results.length; i++) expect(results[i]!.seq).toBeGreaterThan(results[i - 1]!.seq);
    expect(results.map((e) => (e.type === 'query.result' ? e.body.rows : -1))).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    );
    await log.close();
    const onDisk = [...(await readLog(dir)).values()].flat();
    expect(onDisk.map((e) => e.seq)).toEqual(onDisk.map((_, i) => i + 1));
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey })).ok).toBe(true);
  });

  it('rejects appends after close, and open refuses a bad signing key', async () => {
    const dir = await tempDir();
    const log = await openLog(dir);
    await log.close();
    await expect(log.append(query(1))).rejects.toThrow(/closed/);
    await expect(AuditLog.open(dir, { signingKey: keys.publicKey })).rejects.toBeInstanceOf(AuditError);
    await expect(openLog(dir, { checkpointEvery: 0 })).rejects.toThrow(/checkpointEvery/);
  });
});
