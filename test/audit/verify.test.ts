import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatVerifyResult, verifyAuditLog } from '../../gateway-image/src/audit';
import { chainDir, segmentObjectName } from '../../gateway-image/src/audit/chains';
import { signCheckpoint } from '../../gateway-image/src/audit/keys';
import { AuditLog } from '../../gateway-image/src/audit/log';
import { formatDirVerifyResult, verifyAuditDir } from '../../gateway-image/src/audit/verify';
import {
  cleanup,
  copyDir,
  findEvent,
  keys,
  openLog,
  otherKeys,
  query,
  readLog,
  rehash,
  rewriteChain,
  tempDir,
  writeLog,
} from './helpers';

/**
 * One clean fixture: three writer sessions (two reopens), several sealed segments, checkpoints every
 * 10 events. Each test tampers with its own copy.
 */
let fixture: string;
const opts = { checkpointEvery: 10, segmentMaxBytes: 6000 };

beforeAll(async () => {
  fixture = await tempDir();
  for (const [session, count] of [30, 30, 3].entries()) {
    const log = await openLog(fixture, opts);
    for (let i = 0; i < count; i++) await log.append(query(session * 100 + i));
    await log.close();
  }
  // The tests below tamper with the last segment: it must hold events and end on a plain checkpoint.
  const last = [...(await readLog(fixture)).values()].at(-1)!;
  expect(last.length).toBeGreaterThan(4);
  expect(last.at(-2)?.type).not.toBe('segment.sealed');
});
afterAll(cleanup);

const verify = (dir: string) => verifyAuditLog(dir, { publicKey: keys.publicKeyPem });
const kinds = (r: Awaited<ReturnType<typeof verify>>) => r.problems.map((p) => p.kind);
const isQuery = (seq: number) => (e: { seq: number; type: string }) =>
  e.seq >= seq && e.type === 'query.result';

describe('verifyAuditLog', () => {
  it('accepts the intact log, across rotation and reopen', async () => {
    const r = await verify(fixture);
    expect(r).toMatchObject({ ok: true, signaturesVerified: true, keyId: keys.keyId, unsealedEvents: 0 });
    expect(r.segments).toBeGreaterThanOrEqual(3);
    expect(r.lastCheckpointSeq).toBe(r.lastSeq);
    expect(r.events).toBe(r.lastSeq);
    expect(r.firstBadSeq).toBeUndefined();
    expect(formatVerifyResult(r)).toMatch(/^OK: audit log verified\n.*signatures verified with key/s);
  });

  it('says when signatures were not checked', async () => {
    const r = await verifyAuditLog(fixture);
    expect(r).toMatchObject({ ok: true, signaturesVerified: false });
    expect(formatVerifyResult(r)).toMatch(/signatures NOT verified/);
  });

  it('detects a modified body field at its seq', async () => {
    const dir = await copyDir(fixture);
    const at = await findEvent(dir, isQuery(20));
    const log = await readLog(dir);
    log.get(at.segment)![at.index] = { ...at.event, body: { ...at.event.body, rows: 0 } };
    await writeLog(dir, log);
    const r = await verify(dir);
    expect(r.ok).toBe(false);
    expect(r.firstBadSeq).toBe(at.event.seq);
    expect(r.problems[0]).toMatchObject({ kind: 'hash-mismatch', seq: at.event.seq, segment: at.segment });
    expect(formatVerifyResult(r)).toContain(`first bad seq ${at.event.seq}`);
  });

  it('detects a deleted event at its seq', async () => {
    const dir = await copyDir(fixture);
    const at = await findEvent(dir, isQuery(25));
    const log = await readLog(dir);
    log.get(at.segment)!.splice(at.index, 1);
    await writeLog(dir, log);
    const r = await verify(dir);
    expect(r.firstBadSeq).toBe(at.event.seq);
    expect(kinds(r)).toEqual(['seq-gap']);
  });

  it('detects an inserted event even with a correct hash and link', async () => {
    const dir = await copyDir(fixture);
    const at = await findEvent(dir, isQuery(30));
    const log = await readLog(dir);
    const forged = rehash({ ...at.event, seq: at.event.seq + 1, prev: at.event.hash, body: { n: -1 } });
    log.get(at.segment)!.splice(at.index + 1, 0, forged);
    await writeLog(dir, log);
    const r = await verify(dir);
    expect(r.firstBadSeq).toBe(at.event.seq + 1);
    expect(kinds(r)).toContain('seq-out-of-order');
  });

  it('detects a rewritten chain through the checkpoint signatures', async () => {
    const dir = await copyDir(fixture);
    const at = await findEvent(dir, isQuery(12));
    const log = await readLog(dir);
    log.get(at.segment)!.splice(at.index, 1);
    await writeLog(dir, rewriteChain(log));
    const r = await verify(dir);
    expect(r.ok).toBe(false);
    const bad = r.problems[0]!;
    expect(bad.kind).toBe('bad-signature');
    // The first checkpoint after the deletion no longer vouches for what precedes it.
    expect(bad.seq).toBeGreaterThanOrEqual(at.event.seq);
    expect(bad.seq).toBeLessThanOrEqual(at.event.seq + 11);
    // Without the key only the hashes can be checked, and a full rewrite passes: the report says so.
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, signaturesVerified: false });
  });

  it('detects two swapped events at the first of them', async () => {
    const dir = await copyDir(fixture);
    const at = await findEvent(dir, isQuery(40));
    const log = await readLog(dir);
    const events = log.get(at.segment)!;
    const [a, b] = events.slice(at.index, at.index + 2);
    events.splice(at.index, 2, b!, a!);
    await writeLog(dir, log);
    const r = await verify(dir);
    expect(r.firstBadSeq).toBe(at.event.seq);
    expect(kinds(r)).toEqual(expect.arrayContaining(['seq-gap', 'seq-out-of-order']));
  });

  it('detects truncation after the last checkpoint as an unsealed tail', async () => {
    const dir = await copyDir(fixture);
    const log = await readLog(dir);
    const last = [...log.keys()].at(-1)!;
    const events = log.get(last)!;
    const cut = events.findLastIndex((e, i) => e.type === 'checkpoint' && i < events.length - 1);
    const kept = events.slice(0, cut + 4);
    log.set(last, kept);
    await writeLog(dir, log);
    const r = await verify(dir);
    expect(kinds(r)).toEqual(['unsealed-tail']);
    expect(r.unsealedEvents).toBe(3);
    expect(r.firstBadSeq).toBe(kept.at(-3)!.seq);
    // A log still being written is acceptable when the caller says so.
    expect((await verifyAuditLog(dir, { publicKey: keys.publicKey, allowOpenTail: true })).ok).toBe(true);
  });

  it('detects a line cut in the middle', async () => {
    const dir = await copyDir(fixture);
    const log = await readLog(dir);
    const last = [...log.keys()].at(-1)!;
    await truncate(join(dir, last), 100);
    const r = await verify(dir);
    expect(kinds(r)).toEqual(expect.arrayContaining(['torn-line']));
    expect(r.ok).toBe(false);
  });

  it('detects a deleted last segment and a deleted middle segment', async () => {
    const dir = await copyDir(fixture);
    const names = [...(await readLog(dir)).keys()];
    const lastFirstSeq = (await readLog(dir)).get(names.at(-1)!)![0]!.seq;
    await rm(join(dir, names.at(-1)!));
    const r = await verify(dir);
    expect(r.problems[0]).toMatchObject({
      kind: 'missing-segment',
      segment: names.at(-1),
      seq: lastFirstSeq,
    });
    expect(r.firstBadSeq).toBe(lastFirstSeq);

    const dir2 = await copyDir(fixture);
    await rm(join(dir2, names[1]!));
    const r2 = await verify(dir2);
    expect(kinds(r2)).toContain('missing-segment');
    expect(r2.ok).toBe(false);
  });

  it('detects a checkpoint forged with another key to cover a truncation', async () => {
    const dir = await copyDir(fixture);
    const log = await readLog(dir);
    const last = [...log.keys()].at(-1)!;
    const events = log.get(last)!.slice(0, -1);
    const tip = events.at(-1)!;
    const claim = { upTo: tip.seq, hash: tip.hash, segment: last };
    const body = {
      ...claim,
      signature: signCheckpoint(claim, otherKeys.privateKey),
      keyId: keys.keyId,
      reason: 'close',
    };
    const forged = rehash({
      ...tip,
      seq: tip.seq + 1,
      prev: tip.hash,
      type: 'checkpoint',
      principal: null,
      body,
    });
    log.set(last, [...events, forged]);
    await writeLog(dir, log);
    const r = await verify(dir);
    expect(kinds(r)).toEqual(['bad-signature']);
    expect(r.firstBadSeq).toBe(forged.seq);
    expect(formatVerifyResult(r)).toContain(`first bad seq ${forged.seq}`);
    // Verifying against the forger's key instead fails on every genuine checkpoint.
    const other = await verifyAuditLog(dir, { publicKey: otherKeys.publicKey });
    expect(other.problems.filter((p) => p.kind === 'bad-signature').length).toBeGreaterThan(1);
  });

  it('detects garbage lines and reports an empty directory', async () => {
    const dir = await copyDir(fixture);
    const names = [...(await readLog(dir)).keys()];
    await writeFile(join(dir, names[0]!), 'not json\n', { flag: 'r+' });
    const r = await verify(dir);
    expect(r.problems[0]).toMatchObject({ kind: 'malformed', seq: 1, line: 1 });
    expect(kinds(await verify(await tempDir()))).toEqual(['no-segments']);
  });
});

describe('verifyAuditDir: every chain of a directory', () => {
  it('verifies the directory chain and each worker chain, and names the one that broke', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-chains-'));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    for (const chain of ['', 'worker-1', 'worker-2']) {
      const log = await AuditLog.open(chainDir(dir, chain), { signingKey: privateKey });
      for (let i = 0; i < 5; i++)
        await log.append({
          type: 'evidence.export-failed',
          body: { day: '2026-01-01', host: `host${chain}`, code: `E${i}` },
        });
      await log.close();
    }
    const ok = await verifyAuditDir(dir, { publicKey });
    expect(ok.ok).toBe(true);
    expect(ok.chains.map((c) => c.id)).toEqual(['', 'worker-1', 'worker-2']);
    expect(formatDirVerifyResult(ok)).toMatch(/^OK: 3 audit chains verified/);
    const w2 = chainDir(dir, 'worker-2');
    const segment = join(w2, (await readdir(w2)).find((f) => f.endsWith('.jsonl'))!);
    const text = await readFile(segment, 'utf8');
    await writeFile(segment, text.replace('"code":"E3"', '"code":"E4"'));
    const bad = await verifyAuditDir(dir, { publicKey });
    expect(bad.ok).toBe(false);
    expect(bad.chains.find((c) => c.id === 'worker-2')!.result.problems[0]!.kind).toBe('hash-mismatch');
    expect(formatDirVerifyResult(bad)).toMatch(/^FAILED: chain\(s\) worker-2 did not verify/);
  });
});

describe('segmentObjectName', () => {
  it('gives each host and each worker chain its own folder in write-once storage', () => {
    expect(
      segmentObjectName('/var/lib/warden/audit/segment-000001.jsonl', '', 'ip-10-0-0-1.ec2.internal'),
    ).toBe('segments/ip-10-0-0-1.ec2.internal/segment-000001.jsonl');
    expect(segmentObjectName('/a/chains/worker-2/segment-000003.jsonl', 'worker-2', 'gw b/1')).toBe(
      'segments/gw_b_1/chains/worker-2/segment-000003.jsonl',
    );
  });
});
