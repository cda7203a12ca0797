import { serialize } from 'pg-protocol';
import {
  connectUpstream,
  type UpstreamConnection,
  type UpstreamLogin,
} from '../../../gateway-image/src/protocols/postgres/session/upstream';
import {
  BackendFramer,
  decodeErrorFields,
} from '../../../gateway-image/src/protocols/postgres/wire/backend-framer';
import { UpstreamError } from '../../../gateway-image/src/protocols/postgres/wire/errors';
import { startTestPostgres, type TestPostgres } from './support';

let pg: TestPostgres;

beforeAll(async () => {
  // Private server: these tests need its pg_hba.conf (md5, cleartext over TLS) and TLS.
  pg = await startTestPostgres({ private: true });
  const admin = await pg.admin();
  try {
    await admin.query(`create role scram_user login password 'scram-pw'`);
    await admin.query(`set password_encryption = 'md5'`);
    await admin.query(`create role md5_user login password 'md5-pw'`);
    await admin.query(`reset password_encryption`);
    await admin.query(`create role plain_user login password 'plain-pw'`);
  } finally {
    await admin.end();
  }
}, 60_000);

afterAll(() => pg?.stop());

function login(over: Partial<UpstreamLogin>): UpstreamLogin {
  return {
    host: pg.host,
    port: pg.port,
    database: 'postgres',
    user: 'scram_user',
    password: 'scram-pw',
    tls: { mode: 'disable' },
    parameters: { application_name: 'warden:alice' },
    ...over,
  };
}

/** Runs one simple query on an open upstream and returns the CommandComplete tag or the SQLSTATE. */
async function roundTrip(c: UpstreamConnection, sql: string): Promise<string> {
  const framer = new BackendFramer();
  return new Promise((resolve) => {
    let outcome = '';
    c.socket.on('data', (chunk: Buffer) => {
      for (const f of framer.push(chunk)) {
        if (f.code === 0x43) outcome = f.raw.toString('utf8', 5, f.raw.length - 1);
        if (f.code === 0x45) outcome = decodeErrorFields(f.raw).code;
        if (f.code === 0x5a) resolve(outcome);
      }
    });
    c.socket.resume();
    c.socket.write(serialize.query(sql));
  });
}

describe('connectUpstream', () => {
  const tlsCases = () => (pg.ca ? [true, false] : [false]);

  it('logs in with SCRAM-SHA-256 (and -PLUS over TLS) and sets application_name', async () => {
    for (const tls of tlsCases()) {
      const c = await connectUpstream(
        login({
          tls: tls ? { mode: 'verify-full', ca: pg.ca!, serverName: 'localhost' } : { mode: 'disable' },
        }),
      );
      try {
        expect(c.parameters.get('application_name')).toBe('warden:alice');
        expect(c.parameters.get('server_version')).toMatch(/^\d+/);
        expect(c.backendKey?.secretKey.length).toBeGreaterThanOrEqual(4);
        expect(await roundTrip(c, 'select 1')).toBe('SELECT 1');
      } finally {
        c.socket.destroy();
      }
    }
  });

  it('logs in with md5', async () => {
    const c = await connectUpstream(login({ user: 'md5_user', password: 'md5-pw' }));
    c.socket.destroy();
  });

  it('sends a cleartext password only over TLS', async () => {
    if (!pg.ca) return;
    const c = await connectUpstream(
      login({ user: 'plain_user', password: 'plain-pw', tls: { mode: 'verify-full', ca: pg.ca } }),
    );
    c.socket.destroy();
  });

  it('verifies the server certificate against the CA and name', async () => {
    if (!pg.ca) return;
    await expect(connectUpstream(login({ tls: { mode: 'verify-full' } }))).rejects.toThrow(UpstreamError);
    await expect(
      connectUpstream(login({ tls: { mode: 'verify-full', ca: pg.ca, serverName: 'db.example.com' } })),
    ).rejects.toThrow(UpstreamError);
  });

  it('reports a wrong password as UpstreamError with the SQLSTATE', async () => {
    const err = await connectUpstream(login({ password: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).sqlState).toBe('28P01');
  });

  it('fails cleanly when nothing listens', async () => {
    await expect(connectUpstream(login({ port: 1 }))).rejects.toThrow(UpstreamError);
  });
});
