/**
 * Masking throughput: `npm run bench:mask`.
 *
 * One embedded PostgreSQL with a table of MASK_BENCH_ROWS rows (default 1,000,000) × 8 columns,
 * four of them classified (SSN partial, EMAIL redact, DOB year, PHONE redact under the example's
 * agent profile) on a `phi: true` connection, so the four others go through the detectors when
 * they are text. The same `SELECT *` is streamed directly and through Warden; the client counts
 * DataRows without decoding them, so the figures are the servers', not a driver's.
 *
 * The gateway runs in a child process (this script with --gateway) so its peak RSS
 * (`process.resourceUsage().maxRSS`) is its own, not the client's or the database's.
 */

import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { serialize } from 'pg-protocol';
import { validateConfig } from '../../gateway-image/src/config/load';
import {
  connectUpstream,
  type UpstreamLogin,
} from '../../gateway-image/src/protocols/postgres/session/upstream';
import { startEmbeddedPostgres } from '../../gateway-image/src/sandbox/embedded-postgres';
import { startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { generateSelfSigned } from '../../gateway-image/src/tls/self-signed';
import { EXAMPLE_CONFIG, examplePostgresConfig } from '../support/example-config';
import { askBenchGateway, forkBenchGateway, runBench, serveBenchGateway } from './gateway-process';

const ROWS = Number(process.env.MASK_BENCH_ROWS ?? 1_000_000);
const BATCH = 100_000;
const AUDIENCE = 'urn:warden:mask-bench';
const TEMPLATE = EXAMPLE_CONFIG;
const QUERY = 'SELECT id, ssn, email, date_of_birth, phone, city, amount, code FROM visits';

/** Streams QUERY over one connection; counts DataRows and resolves at ReadyForQuery. */
async function stream(login: UpstreamLogin): Promise<{ rows: number; ms: number }> {
  const conn = await connectUpstream(login);
  const socket = conn.socket;
  return new Promise((resolve, reject) => {
    let rows = 0;
    let pending = Buffer.alloc(0);
    const started = performance.now();
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      let buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      while (at + 5 <= buf.length) {
        const len = buf.readInt32BE(at + 1);
        if (at + 1 + len > buf.length) break;
        const code = buf[at];
        if (code === 0x44) rows++;
        else if (code === 0x45)
          reject(new Error(`query failed: ${buf.toString('utf8', at + 5, at + 1 + len)}`));
        else if (code === 0x5a) {
          const ms = performance.now() - started;
          socket.end(serialize.end());
          resolve({ rows, ms });
          return;
        }
        at += 1 + len;
      }
      buf = buf.subarray(at);
      pending = Buffer.from(buf);
    });
    socket.write(serialize.query(QUERY));
    socket.resume();
  });
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'warden-mask-bench-'));
  const pg = await startEmbeddedPostgres();
  let child: ChildProcess | undefined;
  try {
    const admin = new Client({
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: 'postgres',
    });
    await admin.connect();
    await admin.query('CREATE DATABASE maskbench');
    await admin.end();
    const db = new Client({
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: 'maskbench',
    });
    db.on('error', (err) => console.error('bench database connection lost:', err.message));
    await db.connect();
    const loadStarted = performance.now();
    await db.query(
      'CREATE TABLE visits (id int, ssn text, email text, date_of_birth date, phone text, city text, amount int, code text)',
    );
    // In batches: one statement per 100,000 rows keeps each transaction (and its WAL) small.
    for (let from = 1; from <= ROWS; from += BATCH) {
      await db.query(
        `INSERT INTO visits SELECT
        g AS id,
        lpad((100 + g % 665)::text, 3, '0') || '-' || lpad((10 + g % 89)::text, 2, '0') || '-' || lpad((1000 + g % 8999)::text, 4, '0') AS ssn,
        'patient' || g || '@example.org' AS email,
        date '1940-01-01' + (g % 25000) AS date_of_birth,
        '(503) 555-' || lpad((g % 10000)::text, 4, '0') AS phone,
        (ARRAY['Portland','Austin','Chicago','Denver','Boston'])[1 + g % 5] AS city,
        ((g::bigint * 7919) % 100000)::int AS amount,
        'V' || (g % 977) AS code
      FROM generate_series($1::int, $2::int) g`,
        [from, Math.min(ROWS, from + BATCH - 1)],
      );
    }
    await db.query('VACUUM ANALYZE visits');
    await db.end();
    console.error(
      `mask-bench: ${ROWS} rows loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
    );

    const tls = await generateSelfSigned({ commonName: 'localhost' });
    const issuer = await startLocalIssuer({
      audience: AUDIENCE,
      accessTokenTtlSec: 3600,
      agents: [
        { clientId: 'bench-agent', clientSecret: randomBytes(16).toString('hex'), groups: ['agents'] },
      ],
    });
    const config = await benchConfig(work, pg, issuer.issuer);
    const gw = await forkBenchGateway(__filename, config, {
      env: { ...secrets(tls), WARDEN_DEV_UPSTREAM_PASSWORD: pg.password },
      profileDir: process.env.MASK_BENCH_PROF,
      logLevel: 'warn',
    });
    child = gw.child;
    const token = await issuer.agentToken('bench-agent');

    const direct = await stream({
      host: pg.host,
      port: pg.port,
      tls: { mode: 'disable' },
      database: 'maskbench',
      user: pg.user,
      password: pg.password,
      parameters: {},
    });
    const idle = await askBenchGateway<{ maxRssKiB: number; rssNowKiB: number }>(child, 'rss');
    const warden = await stream({
      host: '127.0.0.1',
      port: gw.port,
      tls: { mode: 'verify-full', ca: tls.certificate, serverName: 'localhost' },
      database: 'bench',
      user: 'bench-agent',
      password: token,
      parameters: {},
    });
    const rss = await askBenchGateway<{ maxRssKiB: number; rssNowKiB: number }>(child, 'rss');
    await issuer.close();
    const rate = (r: { rows: number; ms: number }) => r.rows / (r.ms / 1000);
    if (warden.rows !== ROWS || direct.rows !== ROWS)
      throw new Error(`row counts: direct ${direct.rows}, warden ${warden.rows}`);
    console.log(
      `rows × columns         ${ROWS} × 8 (4 masked: ssn partial, email redact, dob year, phone redact)`,
    );
    console.log(
      `direct                 ${rate(direct).toFixed(0)} rows/s (${(direct.ms / 1000).toFixed(2)} s)`,
    );
    console.log(
      `through Warden         ${rate(warden).toFixed(0)} rows/s (${(warden.ms / 1000).toFixed(2)} s)`,
    );
    console.log(`ratio Warden/direct    ${(rate(warden) / rate(direct)).toFixed(2)}×`);
    console.log(
      `gateway RSS idle       ${(idle.rssNowKiB / 1024).toFixed(0)} MB (peak before the query ${(idle.maxRssKiB / 1024).toFixed(0)} MB)`,
    );
    console.log(
      `gateway peak RSS       ${(rss.maxRssKiB / 1024).toFixed(0)} MB (now ${(rss.rssNowKiB / 1024).toFixed(0)} MB)`,
    );
    const mb = (kib: number) => Math.round(kib / 1024);
    console.log(
      JSON.stringify({
        bench: 'mask',
        rows: ROWS,
        direct_rows_s: Math.round(rate(direct)),
        warden_rows_s: Math.round(rate(warden)),
        ratio: Number((rate(warden) / rate(direct)).toFixed(3)),
        rss_mb: { idle: mb(idle.rssNowKiB), peak: mb(rss.maxRssKiB) },
      }),
    );
  } finally {
    child?.kill('SIGTERM');
    await pg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function secrets(tls: { certificate: string; key: string }): Record<string, string> {
  const key = () =>
    generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
      .privateKey as unknown as string;
  return {
    WARDEN_DEV_AUDIT_KEY: key(),
    WARDEN_DEV_SESSION_KEY: key(),
    WARDEN_DEV_TLS_CERT: tls.certificate,
    WARDEN_DEV_TLS_KEY: tls.key,
    WARDEN_DEV_TOKEN_KEY: randomBytes(32).toString('base64'),
  };
}

async function benchConfig(work: string, pg: { host: string; port: number; user: string }, issuer: string) {
  const raw = (await examplePostgresConfig()) as Record<string, unknown> & {
    identity: { issuers: object[] };
    audit: { dir: string };
  };
  raw.workers = 1;
  raw.identity.issuers = raw.identity.issuers.map((i) => ({ ...i, issuer, audiences: [AUDIENCE] }));
  raw.connections = [
    {
      name: 'bench',
      kind: 'postgres',
      phi: true,
      upstream: {
        host: pg.host,
        port: pg.port,
        database: 'maskbench',
        user: pg.user,
        password: 'env:WARDEN_DEV_UPSTREAM_PASSWORD',
        tls: { mode: 'disable' },
      },
      // The bench's own throwaway embedded server, logged into as its superuser.
      acceptPrivilegedRole: { reason: 'mask-bench: a throwaway embedded server of the bench' },
      classification: {
        'public.visits.ssn': 'SSN',
        'public.visits.email': 'EMAIL',
        'public.visits.date_of_birth': 'DOB',
        'public.visits.phone': 'PHONE',
      },
    },
  ];
  raw.access = { grants: [{ name: 'bench', connections: ['bench'], principals: { groups: ['agents'] } }] };
  raw.approvals = {};
  raw.audit.dir = join(work, 'audit');
  delete raw.recording;
  return validateConfig(raw, TEMPLATE);
}

runBench(main, () => serveBenchGateway('postgres', { admin: true }));
