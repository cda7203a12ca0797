/** Shared fixtures for the audit tests: temp directories, keys, and tools to tamper with segments. */
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, type AuditLogOptions } from '../../gateway-image/src/audit';
import { type AuditEventInput, eventHash, type RecordedEvent } from '../../gateway-image/src/audit/event';
import { generateAuditKeyPair, signCheckpoint } from '../../gateway-image/src/audit/keys';
import { listSegments } from '../../gateway-image/src/audit/segments';
import type { Principal } from '../../gateway-image/src/identity/principal';

export const keys = generateAuditKeyPair();
export const otherKeys = generateAuditKeyPair();

export const alice: Principal = {
  subject: 'alice@example.org',
  kind: 'agent',
  groups: ['analysts'],
  issuer: 'https://issuer.test',
  expiresAt: new Date('2030-01-01T00:00:00Z'),
  via: 'session-token',
  tokenId: 'jti-secret-ish',
};

const made: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-audit-'));
  made.push(dir);
  return dir;
}

/** Remove every directory made by `tempDir`; call from afterAll. */
export async function cleanup(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export function openLog(dir: string, opts: Partial<AuditLogOptions> = {}): Promise<AuditLog> {
  // A long interval keeps timer checkpoints out of tests that count events.
  return AuditLog.open(dir, { signingKey: keys.privateKey, checkpointIntervalMs: 600_000, ...opts });
}

/** A statement's result event; `rows` numbers it. */
export function query(n: number): AuditEventInput<'query.result'> {
  return {
    type: 'query.result',
    principal: alice,
    connection: 'ehr-primary',
    session: 's-1',
    body: {
      via: 'query',
      statement: 0,
      outcome: 'ok',
      rows: n,
      bytes: 100 + n,
      tags: ['SELECT 1'],
      durationMs: 0.25,
    },
  };
}

/** Copy a log directory (a crash-time snapshot, or a fixture to tamper with). */
export async function copyDir(from: string): Promise<string> {
  const to = await tempDir();
  await cp(from, to, { recursive: true });
  return to;
}

export interface Located {
  readonly event: RecordedEvent;
  readonly segment: string;
  readonly index: number;
}

/** Every event of a log, in file order, with where it lives. */
export async function readLog(dir: string): Promise<Map<string, RecordedEvent[]>> {
  const out = new Map<string, RecordedEvent[]>();
  for (const seg of await listSegments(dir)) {
    const text = await readFile(seg.path, 'utf8');
    const lines = text.split('\n').filter((l) => l.length > 0);
    out.set(
      seg.name,
      lines.map((l) => JSON.parse(l) as RecordedEvent),
    );
  }
  return out;
}

export async function writeLog(dir: string, log: Map<string, RecordedEvent[]>): Promise<void> {
  for (const [name, events] of log) {
    const path = join(dir, name);
    // Sealed segments are 0444; a non-root attacker would chmod first, so the test does too.
    await chmod(path, 0o644);
    await writeFile(path, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
}

export async function findEvent(dir: string, pred: (e: RecordedEvent) => boolean): Promise<Located> {
  for (const [segment, events] of await readLog(dir)) {
    const index = events.findIndex(pred);
    if (index !== -1) return { event: events[index]!, segment, index };
  }
  throw new Error('no such event');
}

/** Recompute an event's hash after a mutation, as a forger would. */
export function rehash(e: Omit<RecordedEvent, 'hash'>): RecordedEvent {
  const { seq, prev, time, principal, connection, session, type, body } = e;
  const fields = { seq, prev, time, principal, connection, session, type, body };
  return { ...fields, hash: eventHash(fields) };
}

/**
 * Rewrite the whole chain after `mutate`: renumber, relink and rehash every event, and fix each
 * checkpoint's claim. Signatures are kept unless `resignWith` is given. This is the strongest
 * forgery possible without the signing key.
 */
export function rewriteChain(
  log: Map<string, RecordedEvent[]>,
  resignWith?: Parameters<typeof signCheckpoint>[1],
): Map<string, RecordedEvent[]> {
  let prev = '0'.repeat(64);
  let seq = 0;
  const out = new Map<string, RecordedEvent[]>();
  for (const [segment, events] of log) {
    out.set(
      segment,
      events.map((e) => {
        seq++;
        let body = e.body;
        if (e.type === 'checkpoint') {
          const claim = { upTo: seq - 1, hash: prev, segment };
          const signature = resignWith ? signCheckpoint(claim, resignWith) : e.body.signature;
          body = { ...e.body, ...claim, signature: signature ?? null };
        }
        const next = rehash({ ...e, seq, prev, body });
        prev = next.hash;
        return next;
      }),
    );
  }
  return out;
}
