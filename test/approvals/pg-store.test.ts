/**
 * The store contract, run against the file store and the PostgreSQL store alike, then what only
 * the shared store does: changes reach other instances through LISTEN/NOTIFY, concurrent decisions
 * from two instances cannot both win, the listener reconnects and replays what it missed, and
 * without its database the store refuses (fail closed) and recovers.
 */
import { Client } from 'pg';
import type { ApprovalRecord, GrantRecord } from '../../gateway-image/src/approvals/model';
import { PgApprovalStore } from '../../gateway-image/src/approvals/pg-store';
import type { ApprovalStore, StoreChange } from '../../gateway-image/src/approvals/store';
import { createTestDatabase, type TestDatabase, testPostgres } from '../support/postgres';
import { heldDelete } from '../support/principals';
import { tempStore, until } from './support';

function approval(id: string, minutesAgo = 0, status: ApprovalRecord['status'] = 'pending'): ApprovalRecord {
  const created = Date.now() - minutesAgo * 60_000;
  return heldDelete(id, { status, createdAt: created, expiresAt: created + 600_000 });
}

function grant(id: string): GrantRecord {
  return {
    id,
    subject: 'alice',
    issuer: 'https://issuer.test',
    connection: 'clinic',
    approval: 'a-access',
    createdAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
  };
}

const decide = (status: 'approved' | 'denied') => (r: ApprovalRecord) =>
  r.status === 'pending' ? { ...r, status } : undefined;

let db: TestDatabase;
const opened: ApprovalStore[] = [];
const pgStore = async (o: Partial<Parameters<typeof PgApprovalStore.open>[0]> = {}) => {
  const s = await PgApprovalStore.open({ url: db.url, ...o });
  opened.push(s);
  return s;
};

beforeAll(async () => {
  db = await createTestDatabase('approvals_pg_store');
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await db?.drop();
});

describe.each([
  ['file', async () => (await tempStore()).store as ApprovalStore],
  ['postgres', () => pgStore() as Promise<ApprovalStore>],
])('%s store contract', (kind, open) => {
  const id = (n: string) => `${kind}-${n}`;

  it('creates, reads and lists approvals newest first, filtered by status', async () => {
    const s = await open();
    const old = approval(id('old'), 2);
    await s.createApproval(old);
    await s.createApproval(approval(id('new'), 0));
    await s.createApproval(approval(id('done'), 1, 'denied'));
    await expect(s.createApproval(approval(id('old')))).rejects.toMatchObject({
      code: 'ERR_APPROVAL_EXISTS',
    });
    expect(await s.getApproval(id('old'))).toEqual(old);
    expect(await s.getApproval(id('missing'))).toBeUndefined();
    const mine = (rs: ApprovalRecord[]) => rs.map((r) => r.id).filter((x) => x.startsWith(kind));
    expect(mine(await s.listApprovals())).toEqual([id('new'), id('done'), id('old')]);
    expect(mine(await s.listApprovals({ status: 'pending' }))).toEqual([id('new'), id('old')]);
    expect(mine(await s.listApprovals({ status: 'denied' }))).toEqual([id('done')]);
  });

  it('updates atomically, reports each change once, and leaves a refused change undone', async () => {
    const s = await open();
    const seen: StoreChange[] = [];
    const unsubscribe = s.subscribe((c) => seen.push(c));
    await s.createApproval(approval(id('u')));
    expect(await s.updateApproval(id('nope'), decide('approved'))).toBeUndefined();
    const [a, b] = await Promise.all([
      s.updateApproval(id('u'), decide('approved')),
      s.updateApproval(id('u'), decide('denied')),
    ]);
    expect(a?.status).toBe('approved');
    expect(b?.status).toBe('approved');
    await expect(
      s.updateApproval(id('u'), () => {
        throw Object.assign(new Error('refused'), { code: 'ERR_TEST' });
      }),
    ).rejects.toThrow('refused');
    expect((await s.getApproval(id('u')))?.status).toBe('approved');
    expect(await s.listApprovals({ status: 'pending' })).not.toContainEqual(
      expect.objectContaining({ id: id('u') }),
    );
    expect(seen).toEqual([
      { kind: 'approval', id: id('u') },
      { kind: 'approval', id: id('u') },
    ]);
    unsubscribe();
    await s.updateApproval(id('u'), (r) => ({ ...r, grant: 'g' }));
    expect(seen).toHaveLength(2);
  });

  it('keeps grants, replaces one put again, and updates them', async () => {
    const s = await open();
    const seen: StoreChange[] = [];
    s.subscribe((c) => seen.push(c));
    await s.putGrant(grant(id('g1')));
    await s.putGrant({ ...grant(id('g1')), reason: 'again' });
    const revoked = await s.updateGrant(id('g1'), (g) => ({ ...g, revokedAt: new Date().toISOString() }));
    expect(revoked?.reason).toBe('again');
    expect(await s.updateGrant(id('none'), (g) => g)).toBeUndefined();
    const mine = (await s.listGrants()).filter((g) => g.id.startsWith(kind));
    expect(mine).toEqual([revoked]);
    expect(seen).toEqual(Array.from({ length: 3 }, () => ({ kind: 'grant', id: id('g1') })));
  });
});

describe('postgres store across instances', () => {
  it('tells every other instance of a change within a second', async () => {
    const [a, b] = await Promise.all([pgStore(), pgStore()]);
    await a.createApproval(approval('x-notify'));
    const heard = new Promise<number>((resolve) =>
      b.subscribe((c) => {
        if (c.id === 'x-notify') resolve(performance.now());
      }),
    );
    const started = performance.now();
    await a.updateApproval('x-notify', decide('approved'));
    const ms = (await heard) - started;
    expect(ms).toBeLessThan(1000);
    expect((await b.getApproval('x-notify'))?.status).toBe('approved');
  });

  it('lets only one of two instances decide a request', async () => {
    const [a, b] = await Promise.all([pgStore(), pgStore()]);
    await a.createApproval(approval('x-race'));
    const results = await Promise.all([
      a.updateApproval('x-race', decide('approved')),
      b.updateApproval('x-race', decide('denied')),
    ]);
    const final = (await a.getApproval('x-race'))?.status;
    expect(results.map((r) => r?.status)).toEqual([final, final]);
  });

  it('reconnects its listener and replays a change it missed meanwhile', async () => {
    const logs: string[] = [];
    const a = await pgStore({ reconnectMinMs: 300, log: (m) => logs.push(m) });
    const b = await pgStore();
    await b.createApproval(approval('x-missed'));
    const seen: string[] = [];
    a.subscribe((c) => seen.push(c.id));
    const admin = new Client({ connectionString: testPostgres().url() });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'warden-approvals-listen'`,
      [db.name],
    );
    await admin.end();
    // Made while `a` (and every other listener of this database) is away.
    await b.updateApproval('x-missed', decide('denied'));
    await until(() => seen.includes('x-missed') || undefined, 5000);
    await until(() => a.listening || undefined, 5000);
    expect(logs).toContain('approvals store reconnected');
    await b.updateApproval('x-missed', (r) => ({ ...r, reason: 'later' }));
    await until(() => seen.filter((x) => x === 'x-missed').length >= 2 || undefined, 5000);
  });

  it('refuses while its database is unreachable, and recovers', async () => {
    const a = await pgStore({ reconnectMinMs: 100, reconnectMaxMs: 300, connectTimeoutMs: 1000 });
    const b = await pgStore();
    await a.createApproval(approval('x-down'));
    const admin = new Client({ connectionString: testPostgres().url() });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
        db.name,
      ]);
      await expect(a.updateApproval('x-down', decide('approved'))).rejects.toMatchObject({
        code: 'ERR_APPROVAL_STORE',
      });
      await expect(a.getApproval('x-down')).rejects.toMatchObject({ code: 'ERR_APPROVAL_STORE' });
      await until(() => !a.listening || undefined);
    } finally {
      await admin.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await until(() => a.listening || undefined, 5000);
    const seen: string[] = [];
    a.subscribe((c) => seen.push(c.id));
    expect((await b.updateApproval('x-down', decide('approved')))?.status).toBe('approved');
    await until(() => seen.includes('x-down') || undefined, 2000);
  });
});
