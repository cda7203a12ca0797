/**
 * The hold point end to end with a real PostgreSQL and node-postgres: a DELETE (rule
 * approve-deletes in the harness policy) waits in its session, the client gets a NoticeResponse
 * with the approval id, and an approver's decision releases it (or the timeout refuses it).
 */
import { Client, type ClientConfig } from 'pg';
import type { FileApprovalStore } from '../../gateway-image/src/approvals/file-store';
import { ApprovalService } from '../../gateway-image/src/approvals/service';
import { type Harness, startHarness } from '../protocols/postgres/harness';
import { MemoryAudit, person, tempStore, until } from './support';

let h: Harness;
let store: FileApprovalStore;
let service: ApprovalService;
const audit = new MemoryAudit();
const reviewer = person('rita', ['dba']);
const RULE = {
  policyRules: ['approve-deletes'],
  approverGroups: ['dba'],
  minApprovers: 1,
  maxWindowMs: 60_000,
};

beforeAll(async () => {
  ({ store } = await tempStore());
  service = new ApprovalService({
    store,
    audit,
    timeoutMs: 1500,
    rules: [RULE],
    consoleUrl: 'https://warden.test',
  });
  await service.start();
  h = await startHarness({ hooks: { awaitApproval: (r) => service.awaitApproval(r) } });
  const c = await h.direct();
  await c.query('create table visits (id int primary key, note text)');
  await c.query(`insert into visits select g, 'visit ' || g from generate_series(1, 20) g`);
  await c.end();
}, 60_000);

afterAll(async () => {
  await h?.close();
  await service?.close();
});

async function connect(): Promise<{ c: Client; notices: string[] }> {
  const c = new Client(h.clientConfig() as ClientConfig);
  const notices: string[] = [];
  c.on('notice', (n) => notices.push(`${n.message} | ${(n as { detail?: string }).detail ?? ''}`));
  await c.connect();
  return { c, notices };
}

const pendingId = () =>
  until(async () => (await service.list('pending')).find((r) => r.kind === 'command')?.id);

describe('approval hold on Postgres', () => {
  it('holds a statement, tells the client the id and link, and runs it once approved', async () => {
    const { c, notices } = await connect();
    await c.query(`set warden.reason = 'duplicate visit, ticket 42'`);
    const held = c.query('delete from visits where id = 1');
    const id = await pendingId();
    await until(() => notices.length > 0 || undefined);
    expect(notices[0]).toContain(id);
    expect(notices[0]).toContain(`https://warden.test/console/#/approvals/${id}`);
    const record = await service.get(id);
    expect(record).toMatchObject({ reason: 'duplicate visit, ticket 42', rule: 'approve-deletes' });
    expect(record?.command).toBe('delete from visits where id = 1');

    await expect(
      service.decide(person('alice', ['dba'], 'agent'), id, { verdict: 'approve', justification: 'mine' }),
    ).rejects.toMatchObject({ code: 'ERR_APPROVAL_SELF' });
    await expect(
      service.decide(person('bob', ['nurses']), id, { verdict: 'approve', justification: 'ok' }),
    ).rejects.toMatchObject({ code: 'ERR_APPROVAL_NOT_APPROVER' });
    await expect(
      service.decide(reviewer, id, { verdict: 'approve', justification: ' ' }),
    ).rejects.toMatchObject({
      code: 'ERR_APPROVAL_INVALID',
    });

    await service.decide(reviewer, id, { verdict: 'approve', justification: 'checked the ticket' });
    expect((await held).rowCount).toBe(1);
    expect((await c.query('select count(*)::int as n from visits')).rows[0].n).toBe(19);
    const mine = audit.events.filter((e) => (e.body as { approval?: string }).approval === id);
    expect(mine.map((e) => e.type)).toEqual(['approval.requested', 'approval.decided', 'approval.used']);
    expect(mine[1]).toMatchObject({
      principal: { subject: 'rita' },
      body: { verdict: 'approve', justification: 'checked the ticket' },
    });
    const attempt = h.audit.find((e) => e.type === 'query.attempt' && 'approvalRule' in e.body);
    expect(attempt?.body).toMatchObject({ decision: { outcome: 'allow' }, approvalRule: 'approve-deletes' });
    await c.end();
  });

  it('refuses a denied statement with the approver and justification, and keeps the transaction', async () => {
    const { c } = await connect();
    await c.query('begin');
    await c.query(`insert into visits values (100, 'new')`);
    const held = c.query('delete from visits where id = 2');
    const id = await pendingId();
    await service.decide(reviewer, id, { verdict: 'deny', justification: 'not without a ticket' });
    await expect(held).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('denied by rita: not without a ticket'),
    });
    await c.query('rollback');
    expect((await c.query('select count(*)::int as n from visits where id in (2, 100)')).rows[0].n).toBe(1);
    await c.end();
  });

  it('refuses on timeout and audits the expiry', async () => {
    const { c } = await connect();
    const started = Date.now();
    await expect(c.query('delete from visits where id = 3')).rejects.toMatchObject({
      message: expect.stringContaining('timed out'),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(audit.types()).toContain('approval.expired');
    await c.query('select 1');
    await c.end();
  });

  it('withdraws a held statement when the client cancels it', async () => {
    const { c } = await connect();
    const held = c.query('delete from visits where id = 6');
    const id = await pendingId();
    const canceller = new Client(h.clientConfig() as ClientConfig) as unknown as {
      cancel(c: Client, q: unknown): void;
    };
    canceller.cancel(c, (c as unknown as { activeQuery: unknown }).activeQuery);
    await expect(held).rejects.toMatchObject({ message: expect.stringContaining('abandoned') });
    expect((await service.get(id))?.status).toBe('abandoned');
    expect(audit.types()).toContain('approval.abandoned');
    expect((await c.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await c.end();
  });

  it('lets a window approval cover later statements of the same rule', async () => {
    const { c } = await connect();
    const held = c.query('delete from visits where id = 4');
    const id = await pendingId();
    await service.decide(reviewer, id, {
      verdict: 'approve',
      justification: 'cleanup hour',
      scope: 'window',
    });
    await held;
    await c.query('delete from visits where id = 5');
    expect(audit.events.at(-1)).toMatchObject({
      type: 'approval.used',
      body: { approval: id, scope: 'window' },
    });
    await c.end();
  });
});
