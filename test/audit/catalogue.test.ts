/**
 * The catalogue of audit event types (audit/bodies.ts): the log writes only what it lists, and a
 * log holding a type it does not list — written by a newer gateway — still verifies, is still
 * searchable, and is skipped by the typed readers rather than misread.
 */
import { searchAudit } from '../../gateway-image/src/admin/audit-search';
import { AUDIT_TYPES, isAuditType } from '../../gateway-image/src/audit/bodies';
import { knownEvent, parseEventLine, RESERVED_TYPES } from '../../gateway-image/src/audit/event';
import { verifyAuditLog } from '../../gateway-image/src/audit/verify';
import { AuditError } from '../../gateway-image/src/errors';
import { auditEvents } from '../../gateway-image/src/evidence/events';
import { alice, cleanup, keys, openLog, query, readLog, rewriteChain, tempDir, writeLog } from './helpers';

afterAll(cleanup);

describe('the audit event catalogue', () => {
  it('lists each type once, every one a dotted lower-case name, the log’s own among them', () => {
    expect(new Set(AUDIT_TYPES).size).toBe(AUDIT_TYPES.length);
    for (const t of AUDIT_TYPES) expect(t).toMatch(/^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/);
    for (const t of RESERVED_TYPES) expect(isAuditType(t)).toBe(true);
    expect(isAuditType('ssh.exec')).toBe(false);
  });

  it('refuses to append a type it does not list, and the refusal uses up no seq', async () => {
    const log = await openLog(await tempDir());
    const outside = { type: 'ssh.exec', principal: alice, body: { command: 'id' } } as unknown;
    await expect(log.append(outside as Parameters<typeof log.append>[0])).rejects.toThrow(AuditError);
    await expect(log.append(outside as Parameters<typeof log.append>[0])).rejects.toThrow(
      /not one Warden writes/,
    );
    expect((await log.append(query(1))).seq).toBe(2);
    await log.close();
  });

  it('verifies, searches and skips a type a newer gateway wrote', async () => {
    const dir = await tempDir();
    const log = await openLog(dir);
    await log.append(query(1));
    await log.append(query(2));
    await log.close();
    // A newer gateway's event between the two, chained and signed as that gateway would.
    const segments = await readLog(dir);
    const [name, events] = [...segments][0]!;
    const newer = { ...events[1]!, type: 'future.event', body: { novel: ['field'] } };
    segments.set(name, [...events.slice(0, 2), newer, ...events.slice(2)]);
    await writeLog(dir, rewriteChain(segments, keys.privateKey));

    const verified = await verifyAuditLog(dir, { publicKey: keys.publicKey });
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);

    const found = await searchAudit(dir, { type: 'future.' });
    expect(found.events.map((e) => [e.type, e.body])).toEqual([['future.event', { novel: ['field'] }]]);

    const read: string[] = [];
    for await (const { event } of auditEvents(dir)) read.push(event.type);
    expect(read).toEqual(['audit.start', 'query.result', 'query.result', 'checkpoint']);
  });

  it('reads a line back as a recorded event, typed only when its type is catalogued', () => {
    const line = (type: string) =>
      JSON.stringify({
        seq: 1,
        time: '2026-01-01T00:00:00.000Z',
        type,
        principal: null,
        connection: null,
        session: null,
        body: { reason: 'client-closed' },
        prev: '0'.repeat(64),
        hash: 'f'.repeat(64),
      });
    const known = parseEventLine(line('session.end'));
    const unknown = parseEventLine(line('session.novel'));
    if (typeof known === 'string' || typeof unknown === 'string') throw new Error('lines should parse');
    const typed = knownEvent(known);
    expect(typed?.type === 'session.end' ? typed.body.reason : undefined).toBe('client-closed');
    expect(knownEvent(unknown)).toBeUndefined();
  });
});
