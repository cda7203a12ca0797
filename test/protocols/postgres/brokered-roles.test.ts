/**
 * User names and brokered roles: a connection declaring roles lets the startup user name pick one
 * (each checked for least privilege, each named in session.start); any other name is refused with
 * FATAL 28000 naming the names the principal may use. Real gateway, real pg client, real Postgres.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chooseBrokeredRole } from '../../../gateway-image/src/access/brokered-roles';
import type { PostgresConnectionConfig } from '../../../gateway-image/src/config/connections';
import type { Principal } from '../../../gateway-image/src/identity/principal';
import { testPostgres } from '../../support/postgres';
import { type MaskingStack, startMaskingStack } from './masking-stack';

interface AuditEvent {
  type: string;
  principal: { subject: string } | null;
  body: Record<string, unknown>;
}

async function auditEvents(dir: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort()) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n'))
      if (line) out.push(JSON.parse(line));
  }
  return out;
}

const principal = (subject: string, kind: 'human' | 'agent', groups: string[] = []): Principal => ({
  subject,
  kind,
  groups,
  issuer: 'https://issuer.test',
  expiresAt: new Date(Date.now() + 60_000),
  via: 'oidc',
});

describe('chooseBrokeredRole', () => {
  const base = {
    name: 'ehr',
    kind: 'postgres',
    phi: true,
    classification: {},
    upstream: {
      host: 'db',
      port: 5432,
      database: 'ehr',
      user: 'app',
      password: 'env:APP',
      tls: { mode: 'disable' },
    },
  } as const;
  const withRoles: PostgresConnectionConfig = {
    ...base,
    roles: [
      { user: 'reader', password: 'env:READER' },
      { user: 'dba', password: 'env:DBA', principals: { groups: ['dba'] } },
    ],
  };

  it('without declared roles, any user name logs in as upstream.user', () => {
    const choice = chooseBrokeredRole({ ...base, roles: [] }, principal('ada', 'human'), 'anything');
    expect(choice).toEqual({ ok: true, role: { user: 'app', password: 'env:APP' } });
  });

  it('a declared role by its name, upstream.user by its name or by the principal’s own name', () => {
    const ada = principal('ada', 'human', ['dba']);
    expect(chooseBrokeredRole(withRoles, ada, 'reader')).toMatchObject({
      ok: true,
      role: { user: 'reader' },
    });
    expect(chooseBrokeredRole(withRoles, ada, 'dba')).toMatchObject({ ok: true, role: { user: 'dba' } });
    expect(chooseBrokeredRole(withRoles, ada, 'app')).toMatchObject({ ok: true, role: { user: 'app' } });
    expect(chooseBrokeredRole(withRoles, ada, 'ada')).toMatchObject({ ok: true, role: { user: 'app' } });
  });

  it('refuses any other name, and a role whose principals do not match, listing only usable names', () => {
    const bot = principal('bot-7', 'agent', ['agents']);
    expect(chooseBrokeredRole(withRoles, bot, 'dba')).toEqual({
      ok: false,
      allowed: ['bot-7', 'app', 'reader'],
    });
    expect(chooseBrokeredRole(withRoles, bot, 'postgres')).toEqual({
      ok: false,
      allowed: ['bot-7', 'app', 'reader'],
    });
  });
});

describe('brokered roles through the gateway', () => {
  let stack: MaskingStack;
  const pg = testPostgres();

  beforeAll(async () => {
    stack = await startMaskingStack(
      'brokered_roles',
      `DO $$ BEGIN CREATE ROLE warden_reader LOGIN PASSWORD 'reader-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
       DO $$ BEGIN CREATE ROLE warden_clinicians LOGIN PASSWORD 'clinicians-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
       GRANT SELECT ON ALL TABLES IN SCHEMA public TO warden_reader, warden_clinicians;`,
      {
        roles: [
          { user: 'warden_reader', password: 'env:READER_PW' },
          { user: 'warden_clinicians', password: 'env:CLINICIANS_PW', principals: { kinds: ['human'] } },
          // A superuser, declared without acceptPrivilegedRole: refused on this PHI connection.
          { user: pg.user, password: 'env:SUPER_PW', principals: { kinds: ['human'] } },
        ],
        env: { READER_PW: 'reader-pw', CLINICIANS_PW: 'clinicians-pw', SUPER_PW: pg.password },
      },
    );
  }, 120_000);
  afterAll(() => stack?.close());

  async function currentUser(who: 'agent' | 'clinician', user: string): Promise<string> {
    const c = await stack.client(who, { user, application_name: `roles-${user}` });
    try {
      return (await c.query<{ u: string }>('select current_user as u')).rows[0]!.u;
    } finally {
      await c.end();
    }
  }

  it('the user name picks the role: a declared one, or the default by its name or the principal’s', async () => {
    expect(await currentUser('agent', 'warden_reader')).toBe('warden_reader');
    expect(await currentUser('agent', 'warden_gateway')).toBe('warden_gateway');
    expect(await currentUser('agent', 'agent')).toBe('warden_gateway');
    const starts = (await auditEvents(stack.auditDir)).filter((e) => e.type === 'session.start');
    expect(starts.map((e) => [e.body.clientUser, e.body.brokeredRole])).toEqual([
      ['warden_reader', 'warden_reader'],
      ['warden_gateway', 'warden_gateway'],
      ['agent', 'warden_gateway'],
    ]);
  }, 60_000);

  it('any other name is FATAL 28000 naming the names this principal may use', async () => {
    const err = (await stack.client('agent', { user: 'nobody-in-particular' }).catch((e: unknown) => e)) as {
      code: string;
      message: string;
      hint?: string;
    };
    expect(err).toMatchObject({ code: '28000' });
    expect(err.message).toBe(
      'user name "nobody-in-particular" is not a role Warden brokers for you on connection "patients"',
    );
    // The human-only roles are not offered to an agent.
    expect(err.hint).toBe(
      'Connect with one of these user names: "agent", "warden_gateway", "warden_reader".',
    );
    const refused = (await auditEvents(stack.auditDir)).find(
      (e) => e.type === 'session.refused' && e.body.clientUser === 'nobody-in-particular',
    );
    expect(refused?.body).toMatchObject({
      reason: 'user-not-brokered',
      allowedUsers: ['agent', 'warden_gateway', 'warden_reader'],
    });
  }, 60_000);

  it('a role restricted by principals is refused to others and served to those it names', async () => {
    const err = (await stack.client('agent', { user: 'warden_clinicians' }).catch((e: unknown) => e)) as {
      code: string;
    };
    expect(err).toMatchObject({ code: '28000' });
    expect(await currentUser('clinician', 'warden_clinicians')).toBe('warden_clinicians');
  }, 60_000);

  it('each declared role passes the least-privilege check on its own', async () => {
    const err = (await stack.client('clinician', { user: pg.user }).catch((e: unknown) => e)) as {
      code: string;
    };
    expect(err).toMatchObject({ code: '42501' });
    const refused = (await auditEvents(stack.auditDir)).find(
      (e) => e.type === 'session.refused' && e.body.reason === 'privileged-upstream-role',
    );
    expect(refused?.body.privileges).toEqual(expect.arrayContaining(['superuser']));
    // The connection's own role is still served to the same principal.
    expect(await currentUser('clinician', 'warden_gateway')).toBe('warden_gateway');
  }, 60_000);
});
