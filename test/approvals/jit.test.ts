/**
 * Just-in-time access end to end: a request, an approval, a grant the access checker honours, and
 * live Postgres sessions that end when the grant is revoked or expires — all audited.
 */
import { Client, type ClientConfig } from 'pg';
import { createAccessChecker } from '../../gateway-image/src/access/grants';
import type { FileApprovalStore } from '../../gateway-image/src/approvals/file-store';
import { ApprovalService } from '../../gateway-image/src/approvals/service';
import { type Harness, startHarness } from '../protocols/postgres/harness';
import { MemoryAudit, person, tempStore } from './support';

let h: Harness;
let store: FileApprovalStore;
let service: ApprovalService;
const audit = new MemoryAudit();
const alice = person('alice', ['agents'], 'agent');
const rita = person('rita', ['dba']);

beforeAll(async () => {
  ({ store } = await tempStore());
  service = new ApprovalService({
    store,
    audit,
    justInTime: { approverGroups: ['dba'], maxDurationMs: 3_600_000 },
    sweepIntervalMs: 100,
  });
  await service.start();
  const checker = createAccessChecker(
    { grants: [], justInTime: { approverGroups: ['dba'], maxDurationMs: 1 } },
    {
      sources: [service.grants],
    },
  );
  h = await startHarness({
    hooks: {
      authorize: (p, connection) => {
        const r = checker.check(p, connection);
        return r.allowed
          ? {
              allowed: true,
              ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}),
              ...(r.revoked ? { revoked: r.revoked } : {}),
            }
          : { allowed: false, reason: r.reason };
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await service?.close();
});

async function grantAlice(durationMs: number): Promise<string> {
  const req = await service.requestAccess(alice, 'clinic', durationMs, 'incident 7');
  await expect(
    service.decide(alice, req.id, { verdict: 'approve', justification: 'me' }),
  ).rejects.toMatchObject({
    code: 'ERR_APPROVAL_SELF',
  });
  const decided = await service.decide(rita, req.id, { verdict: 'approve', justification: 'on call' });
  expect(decided).toMatchObject({ status: 'approved', grant: expect.any(String) });
  return decided.grant!;
}

function refusedOrEnded(c: Client): Promise<{ code?: string; message: string }> {
  return new Promise((resolve) => c.on('error', resolve));
}

describe('just-in-time access', () => {
  it('refuses without a grant, admits with one, and ends the live session on revoke', async () => {
    const none = new Client(h.clientConfig() as ClientConfig);
    none.on('error', () => {});
    await expect(none.connect()).rejects.toMatchObject({ code: '42501' });

    const grant = await grantAlice(600_000);
    const c = new Client(h.clientConfig() as ClientConfig);
    await c.connect();
    expect((await c.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    const ended = refusedOrEnded(c);
    await service.revokeGrant(rita, grant, 'incident closed');
    expect(await ended).toMatchObject({ code: '42501', message: expect.stringContaining('revoked') });
    expect(audit.types()).toEqual(
      expect.arrayContaining(['access.requested', 'approval.decided', 'access.granted', 'access.revoked']),
    );
    expect(h.audit.filter((e) => e.type === 'session.end').at(-1)?.body).toMatchObject({
      reason: 'grant-revoked',
    });
  });

  it('ends the live session when the grant expires, and audits the expiry once', async () => {
    const grant = await grantAlice(1200);
    const c = new Client(h.clientConfig() as ClientConfig);
    await c.connect();
    const ended = await refusedOrEnded(c);
    expect(ended).toMatchObject({ code: '28000', message: expect.stringContaining('expired') });
    await new Promise((r) => setTimeout(r, 300));
    const expired = audit.events.filter((e) => e.type === 'access.expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]?.body).toMatchObject({ grant });
  });
});
