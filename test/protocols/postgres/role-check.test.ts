/**
 * Least privilege checked at connect: a PHI connection is not served through a role with
 * server-level privileges unless the config accepts it with a reason, which every session's audit
 * then carries.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testPostgres } from '../../support/postgres';
import { type MaskingStack, startMaskingStack } from './masking-stack';

async function auditEvents(dir: string): Promise<{ type: string; body: Record<string, unknown> }[]> {
  const out: { type: string; body: Record<string, unknown> }[] = [];
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort()) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n'))
      if (line) out.push(JSON.parse(line));
  }
  return out;
}

describe('the brokered role is checked at connect', () => {
  const stacks: MaskingStack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.close();
  });

  it('refuses a PHI connection through a superuser, naming the privilege in log and audit only', async () => {
    const pg = testPostgres();
    const stack = await startMaskingStack('role_check_super', '', {
      upstreamRole: { user: pg.user, password: pg.password },
    });
    stacks.push(stack);
    const err = (await stack.client('agent').catch((e: unknown) => e)) as { code: string; message: string };
    expect(err).toMatchObject({ code: '42501' });
    expect(err.message).toContain('Warden refuses to serve connection "patients"');
    expect(err.message).not.toContain(pg.user);
    const refused = (await auditEvents(stack.auditDir)).find((e) => e.type === 'session.refused');
    expect(refused?.body).toMatchObject({ reason: 'privileged-upstream-role' });
    expect(refused?.body.privileges).toEqual(expect.arrayContaining(['superuser']));
  }, 60_000);

  it('refuses a role that is only a member of pg_read_server_files', async () => {
    const stack = await startMaskingStack(
      'role_check_files',
      `DO $$ BEGIN CREATE ROLE redteam_files LOGIN PASSWORD 'files-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
       GRANT pg_read_server_files TO redteam_files; GRANT SELECT ON ALL TABLES IN SCHEMA public TO redteam_files`,
      { upstreamRole: { user: 'redteam_files', password: 'files-pw' } },
    );
    stacks.push(stack);
    const err = (await stack.client('clinician').catch((e: unknown) => e)) as { code: string };
    expect(err).toMatchObject({ code: '42501' });
    const refused = (await auditEvents(stack.auditDir)).find((e) => e.type === 'session.refused');
    expect(refused?.body.privileges).toEqual(['pg_read_server_files']);
  }, 60_000);

  // Policy vets functions by name: an overload the role can reach wins over the built-in for the
  // arguments it matches, and runs what it was written to run (here: PHI into a notification).
  it('refuses a role that can run a function named like a vetted built-in, naming it', async () => {
    const stack = await startMaskingStack(
      'role_check_shadow',
      `CREATE FUNCTION public.lower(integer) RETURNS text LANGUAGE sql
         AS $$ SELECT pg_catalog.pg_notify('leak', (SELECT string_agg(ssn, ',') FROM patients))::text $$`,
    );
    stacks.push(stack);
    const err = (await stack.client('agent').catch((e: unknown) => e)) as { code: string };
    expect(err).toMatchObject({ code: '42501' });
    const refused = (await auditEvents(stack.auditDir)).find((e) => e.type === 'session.refused');
    expect(refused?.body.privileges).toEqual(['function public.lower shadows a built-in']);
  }, 60_000);

  it('refuses a role that can use a user-defined operator or cast: each runs a function no statement names', async () => {
    const stack = await startMaskingStack(
      'role_check_operators',
      `CREATE FUNCTION public.leaks(a text, b text) RETURNS boolean LANGUAGE sql
         AS $$ SELECT pg_catalog.pg_notify('leak', a) IS NULL $$;
       CREATE OPERATOR public.=== (LEFTARG = text, RIGHTARG = text, FUNCTION = public.leaks);
       CREATE TYPE public.pair AS (a text, b text);
       CREATE FUNCTION public.to_pair(text) RETURNS public.pair LANGUAGE sql AS $$ SELECT ($1, $1)::public.pair $$;
       CREATE CAST (text AS public.pair) WITH FUNCTION public.to_pair(text);`,
    );
    stacks.push(stack);
    const err = (await stack.client('agent').catch((e: unknown) => e)) as { code: string };
    expect(err).toMatchObject({ code: '42501' });
    const refused = (await auditEvents(stack.auditDir)).find((e) => e.type === 'session.refused');
    expect(refused?.body.privileges).toEqual([
      'operator public.=== runs leaks',
      'cast text AS pair runs to_pair(text)',
    ]);
  }, 60_000);

  it('refuses a role that can use a schema others may create functions in', async () => {
    const stack = await startMaskingStack('role_check_creators', 'GRANT CREATE ON SCHEMA public TO PUBLIC');
    stacks.push(stack);
    const err = (await stack.client('agent').catch((e: unknown) => e)) as { code: string };
    expect(err).toMatchObject({ code: '42501' });
    const refused = (await auditEvents(stack.auditDir)).find((e) => e.type === 'session.refused');
    expect(refused?.body.privileges).toEqual(['CREATE on schema public for PUBLIC']);
  }, 60_000);

  it('serves it when the config accepts the role with a reason, and every session.start says so', async () => {
    const pg = testPostgres();
    const reason = 'legacy reporting database; migration to a least-privilege role tracked in OPS-123';
    const stack = await startMaskingStack('role_check_accepted', '', {
      upstreamRole: { user: pg.user, password: pg.password },
      acceptPrivilegedRole: reason,
    });
    stacks.push(stack);
    const c = await stack.client('agent');
    expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await c.end();
    const start = (await auditEvents(stack.auditDir)).find((e) => e.type === 'session.start');
    expect(start?.body.upstreamRole).toEqual({
      privileges: expect.arrayContaining(['superuser']),
      acceptedBecause: reason,
    });
  }, 60_000);
});
