/**
 * The reviewer console end to end in real headless Chromium: an agent's psql DELETE is held by the
 * gateway; a reviewer signs in through the OIDC issuer (authorization code + PKCE), sees the held
 * statement with its context and approves or denies it with a justification; psql completes or is
 * refused; the audit log shows request, decision, approver and use. Also timeout and self-approval,
 * and an administrator terminating a live psql session from the sessions view.
 *
 * WARDEN_SCREENSHOTS=1 also writes docs/console-pending.png and docs/console-decision.png.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { searchAudit } from '../../gateway-image/src/admin/audit-search';
import { type ConsoleStack, psql, signIn, startConsoleStack } from './console-stack';

const TIMEOUT_MS = 8000;
const SHOTS = process.env.WARDEN_SCREENSHOTS === '1' ? join(__dirname, '..', '..', 'docs') : undefined;
let stack: ConsoleStack;
let vera: Page;
let agentToken: string;

beforeAll(async () => {
  stack = await startConsoleStack({ timeoutMs: TIMEOUT_MS });
  agentToken = await stack.issuer.agentToken('claude-agent');
  ({ page: vera } = await signIn(stack, 'vera.reviewer'));
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

const approvalEvents = async (id: string) =>
  (await searchAudit(stack.auditDir, { type: 'approval.', limit: 1000 })).events
    .filter((e) => (e.body as { approval?: string }).approval === id)
    .reverse();

describe('reviewer console in Chromium', () => {
  it('shows the held statement in the pending list and approves it; psql gets its result', async () => {
    const run = psql(
      stack,
      'claude-agent',
      agentToken,
      "SET warden.reason = 'dup row, ticket 7'",
      'DELETE FROM items WHERE id = 1 RETURNING name',
    );
    const link = await run.link;
    const id = link.split('/').pop()!;
    // The list polls: the new request appears without a reload.
    const card = vera.getByRole('article').filter({ hasText: 'claude-agent' });
    await card.waitFor({ timeout: 5000 });
    await expect(card.textContent()).resolves.toContain('DELETE FROM items WHERE id = $1');
    if (SHOTS) await vera.screenshot({ path: join(SHOTS, 'console-pending.png') });

    await card.getByRole('link', { name: /Review/ }).click();
    await vera.getByRole('heading', { name: 'Held statement' }).waitFor();
    const detail = await vera.locator('main').textContent();
    expect(detail).toContain('approve-deletes — deletes need a second pair of eyes');
    expect(detail).toContain('dup row, ticket 7');
    expect(detail).toContain('public.items');
    await vera.getByRole('button', { name: 'Approve…' }).click();
    const dialog = vera.getByRole('dialog', { name: 'Approve this request' });
    await expect(dialog.isVisible()).resolves.toBe(true);
    // Focus moves into the dialog, on the required justification.
    await expect(
      dialog.getByLabel(/Justification/).evaluate((el) => el === el.ownerDocument.activeElement),
    ).resolves.toBe(true);
    await dialog.getByLabel(/Justification/).fill('Duplicate confirmed in ticket 7');
    if (SHOTS) await vera.screenshot({ path: join(SHOTS, 'console-decision.png') });
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await vera.getByRole('status').filter({ hasText: 'Request approved.' }).waitFor();

    const result = await run.done;
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout.split('\n')).toContain('item 1');
    const events = await approvalEvents(id);
    expect(events.map((e) => e.type)).toEqual(['approval.requested', 'approval.decided', 'approval.used']);
    expect(events[0]).toMatchObject({ principal: { subject: 'claude-agent', kind: 'agent' } });
    expect(events[1]).toMatchObject({
      principal: { subject: 'vera.reviewer' },
      body: { verdict: 'approve', justification: 'Duplicate confirmed in ticket 7', status: 'approved' },
    });
    // The timeline shows the same record to the reviewer.
    await vera.goto(`${stack.adminUrl}/console/#/audit?type=approval.`);
    await vera.getByRole('heading', { name: 'Audit timeline' }).waitFor();
    await expect(vera.locator('table').textContent()).resolves.toContain('approval.decided');
  });

  it('denies with a justification; psql is refused with the approver and reason', async () => {
    const run = psql(stack, 'claude-agent', agentToken, 'DELETE FROM items WHERE id = 2');
    await vera.goto(await run.link);
    await vera.getByRole('button', { name: 'Deny…' }).click();
    const dialog = vera.getByRole('dialog', { name: 'Deny this request' });
    // The justification is required: an empty one is refused in the page, not sent.
    await dialog.getByRole('button', { name: 'Deny' }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toContain('required');
    await dialog.getByLabel(/Justification/).fill('No ticket for this');
    await dialog.getByRole('button', { name: 'Deny' }).click();
    const result = await run.done;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('denied by vera.reviewer: No ticket for this');
  });

  it('refuses on timeout and shows the request as expired', async () => {
    const started = Date.now();
    const run = psql(stack, 'claude-agent', agentToken, 'DELETE FROM items WHERE id = 3');
    const id = (await run.link).split('/').pop()!;
    const result = await run.done;
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 500);
    expect(result.stderr).toContain('timed out');
    expect((await approvalEvents(id)).map((e) => e.type)).toEqual(['approval.requested', 'approval.expired']);
    await vera.goto(`${stack.adminUrl}/console/#/approvals/${id}`);
    // The page was showing another request: wait for the hash route to render this one.
    await vera.locator(`main h2[id="t-${id}"]`).waitFor({ timeout: 5_000 });
    await expect(vera.locator('main h2 .badge').textContent()).resolves.toBe('expired');
  }, 20_000);

  it('lets an administrator terminate a live psql session; approvers see it without the button', async () => {
    const run = psql(stack, 'claude-agent', agentToken, 'SELECT pg_sleep(60)');
    await vera.goto(`${stack.adminUrl}/console/#/sessions`);
    await vera.getByRole('heading', { name: 'Live sessions' }).waitFor();
    const row = () => vera.getByRole('row').filter({ hasText: 'claude-agent' });
    // psql may still be logging in: reload the view until its session is listed.
    for (let i = 0; i < 50 && (await row().count()) === 0; i++) {
      await vera.reload();
      await vera.getByRole('heading', { name: 'Live sessions' }).waitFor();
    }
    await row().waitFor();
    expect(await vera.getByRole('button', { name: /Terminate/ }).count()).toBe(0);

    const { context, page: ada } = await signIn(stack, 'ada.admin');
    await ada.goto(`${stack.adminUrl}/console/#/sessions`);
    const adaRow = ada.getByRole('row').filter({ hasText: 'claude-agent' });
    await adaRow.getByRole('button', { name: /Terminate session of claude-agent on app/ }).click();
    const dialog = ada.getByRole('dialog', { name: 'Terminate this session' });
    await dialog.getByLabel(/Reason/).fill('runaway query');
    await dialog.getByRole('button', { name: 'Terminate', exact: true }).click();
    await ada.getByRole('status').filter({ hasText: 'terminated' }).waitFor();
    await ada.getByText('No live sessions.').waitFor();

    const result = await run.done;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'FATAL:  Warden session terminated by an administrator (ada.admin): runaway query',
    );
    const ends = (await searchAudit(stack.auditDir, { type: 'session.', limit: 100 })).events;
    expect(ends.find((e) => e.type === 'session.terminated')).toMatchObject({
      principal: { subject: 'ada.admin' },
      body: { subject: 'claude-agent', reason: 'runaway query' },
    });
    await context.close();
  });

  it('never lets the requester decide: no buttons in the page, 403 from the API', async () => {
    const { context, page } = await signIn(stack, 'rita.dba');
    const ritaToken = await stack.issuer.userToken('rita.dba');
    const run = psql(stack, 'rita.dba', ritaToken, 'DELETE FROM items WHERE id = 4');
    const link = await run.link;
    const id = link.split('/').pop()!;
    await page.goto(link);
    await page.getByText('You made this request').waitFor();
    expect(await page.getByRole('button', { name: 'Approve…' }).count()).toBe(0);
    const tried = await page.evaluate(async (approval) => {
      const { csrf } = (await (await fetch('/console/session')).json()) as { csrf: string };
      const post = (headers: Record<string, string>) =>
        fetch(`/v1/approvals/${approval}/decision`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ verdict: 'approve', justification: 'mine' }),
        }).then(async (r) => ({ status: r.status, code: ((await r.json()) as { code: string }).code }));
      return { withCsrf: await post({ 'x-warden-csrf': csrf }), without: await post({}) };
    }, id);
    expect(tried.withCsrf).toEqual({ status: 403, code: 'ERR_APPROVAL_SELF' });
    expect(tried.without).toEqual({ status: 403, code: 'ERR_CSRF' });
    await context.close();
    run.child.kill('SIGTERM');
    await run.done;
  });
});
