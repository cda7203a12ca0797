/**
 * The approvals admin API and the `warden approvals` / `warden access` commands against a real
 * OIDC issuer: who sees what, who may decide, and the CLI's view of it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { addApprovalRoutes } from '../../gateway-image/src/admin/approvals-routes';
import { type AdminServer, startAdminServer } from '../../gateway-image/src/admin/server';
import { ApprovalService } from '../../gateway-image/src/approvals/service';
import type { Command } from '../../gateway-image/src/cli/command';
import { parseCommandArgs } from '../../gateway-image/src/cli/command';
import { accessList, accessRequest, accessRevoke } from '../../gateway-image/src/cli/commands/access';
import {
  approvalsApprove,
  approvalsDeny,
  approvalsList,
  approvalsShow,
} from '../../gateway-image/src/cli/commands/approvals';
import { createAuthenticator } from '../../gateway-image/src/identity/authenticator';
import { createOidcVerifier } from '../../gateway-image/src/identity/oidc-verifier';
import { MemoryRevocationStore } from '../../gateway-image/src/identity/revocation';
import { createSessionTokens } from '../../gateway-image/src/identity/session-tokens';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { MemoryAudit, tempStore } from '../approvals/support';

const AUDIENCE = 'https://warden.test';
let idp: LocalIssuer;
let admin: AdminServer;
let service: ApprovalService;
const audit = new MemoryAudit();
const tokens: Record<string, string> = {};

beforeAll(async () => {
  idp = await startLocalIssuer({
    audience: AUDIENCE,
    users: [
      { id: 'alice', groups: ['clinicians'] },
      { id: 'rita', groups: ['dba'] },
      { id: 'eve', groups: ['nurses'] },
    ],
  });
  const oidc = await createOidcVerifier({ issuers: [{ issuer: idp.issuer, audiences: [AUDIENCE] }] });
  const sessions = await createSessionTokens({
    signingKey: generateKeyPairSync('ed25519').privateKey,
    revocations: new MemoryRevocationStore(),
  });
  const authenticator = createAuthenticator({ oidc, sessions });
  const { store } = await tempStore();
  service = new ApprovalService({
    store,
    audit,
    justInTime: { approverGroups: ['dba'], maxDurationMs: 7_200_000 },
  });
  await service.start();
  admin = await startAdminServer({
    oidc,
    sessions,
    authenticator,
    configure: (router) => addApprovalRoutes(router, { service, authenticator, grantManagerGroups: ['dba'] }),
  });
  for (const u of ['alice', 'rita', 'eve']) tokens[u] = await idp.userToken(u);
});

afterAll(async () => {
  await Promise.all([admin?.close(), idp?.close(), service?.close()]);
});

async function cli(
  cmd: Command,
  user: string,
  argv: string[],
): Promise<{ code: number; out: string; err?: string }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c) => chunks.push(c));
  const env = { WARDEN_ADMIN_URL: admin.url, WARDEN_TOKEN: tokens[user] };
  try {
    const code = await cmd.run(parseCommandArgs(cmd, argv), { stdout, stderr: new PassThrough(), env });
    return { code, out: Buffer.concat(chunks).toString('utf8') };
  } catch (e) {
    return { code: 1, out: '', err: (e as Error).message };
  }
}

describe('approvals admin API and CLI', () => {
  it('runs an access request through request, list, show, approve, grants and revoke', async () => {
    const req = await cli(accessRequest, 'alice', ['clinic', '--for', '30m', '--reason', 'chart review']);
    expect(req.out).toMatch(/approval ([0-9a-f-]{36}) is pending/);
    const id = /approval ([0-9a-f-]{36})/.exec(req.out)![1]!;

    expect((await cli(approvalsList, 'rita', [])).out).toContain(id);
    expect((await cli(approvalsList, 'eve', [])).out).toBe('no approval requests\n');
    expect((await cli(approvalsShow, 'eve', [id])).err).toBe('no such approval');
    expect((await cli(approvalsShow, 'alice', [id])).out).toContain('reason:  chart review');

    expect((await cli(approvalsApprove, 'alice', [id, '--justification', 'me'])).err).toBe(
      'you cannot decide your own request',
    );
    expect((await cli(approvalsApprove, 'eve', [id, '--justification', 'ok'])).err).toContain('dba');
    const ok = await cli(approvalsApprove, 'rita', [id, '--justification', 'on call', '--json']);
    const decided = JSON.parse(ok.out);
    expect(decided).toMatchObject({ status: 'approved', grant: expect.any(String) });

    expect((await cli(accessList, 'alice', [])).out).toContain(decided.grant);
    expect((await cli(accessList, 'eve', [])).out).toBe('no grants\n');
    expect((await cli(accessRevoke, 'eve', [decided.grant])).err).toBe('no such grant');
    expect((await cli(accessRevoke, 'rita', [decided.grant, '--reason', 'done'])).out).toContain('revoked');
    expect(audit.types()).toEqual([
      'access.requested',
      'approval.decided',
      'access.granted',
      'access.revoked',
    ]);
    expect(audit.events[1]?.principal).toMatchObject({ subject: 'rita' });
  });

  it('denies, refuses bad bodies and unauthenticated callers', async () => {
    const r = await service.requestAccess(
      { subject: 'alice', kind: 'human', groups: [], issuer: idp.issuer, expiresAt: new Date(), via: 'oidc' },
      'clinic',
      60_000,
      'again',
    );
    expect((await cli(approvalsDeny, 'rita', [r.id])).err).toBe('--justification is required');
    expect((await cli(approvalsDeny, 'rita', [r.id, '--justification', 'not now'])).out).toContain('denied');
    expect((await cli(approvalsDeny, 'rita', [r.id, '--justification', 'again'])).err).toContain(
      'not pending',
    );
    const anon = await fetch(`${admin.url}/v1/approvals`);
    expect(anon.status).toBe(401);
    const bad = await fetch(`${admin.url}/v1/approvals/${r.id}/decision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.rita}`, 'content-type': 'application/json' },
      body: JSON.stringify({ verdict: 'maybe' }),
    });
    expect(bad.status).toBe(400);
    expect((await cli(accessRequest, 'alice', ['clinic', '--for', '5h', '--reason', 'x'])).err).toContain(
      'duration',
    );
  });
});
