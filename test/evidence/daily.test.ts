/**
 * The gateway's daily evidence export (audit.evidence.daily): a real audit log, the real S3
 * uploader against a fake S3 at its HTTP boundary, and the scheduler's timer run on a fake clock.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { S3Uploader } from '../../gateway-image/src/audit/s3-uploader';
import { validateConfig } from '../../gateway-image/src/config';
import { scheduleDailyEvidence } from '../../gateway-image/src/evidence/daily';
import { auditEvents } from '../../gateway-image/src/evidence/events';
import { verifyPack } from '../../gateway-image/src/evidence/verify-pack';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { envProvider } from '../../gateway-image/src/secrets/local-providers';
import { SecretResolver } from '../../gateway-image/src/secrets/resolver';
import { alice, cleanup, keys, openLog, tempDir } from '../audit/helpers';
import { FakeAws, STATIC_KEYS } from '../runtime/aws/fake-aws';

const DAY = '2026-03-02';
const ACTIVE = Date.parse(`${DAY}T09:00:00Z`);

let aws: FakeAws;
let dir: string;

beforeAll(async () => {
  aws = await new FakeAws().start();
  dir = await tempDir();
  jest.useFakeTimers({
    now: ACTIVE,
    doNotFake: [
      'nextTick',
      'setImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'queueMicrotask',
    ],
  });
  const log = await openLog(dir);
  await log.append({
    type: 'session.start',
    principal: alice,
    connection: 'ehr',
    session: 's1',
    body: {
      protocol: 'postgres',
      clientUser: 'app',
      brokeredRole: 'warden_reader',
      clientApplication: 'psql',
    },
  });
  await log.append({
    type: 'query.attempt',
    principal: alice,
    connection: 'ehr',
    session: 's1',
    body: {
      message: 'query',
      facts: {
        protocol: 'postgres',
        statements: [],
        normalized: 'select pg_read_file($1)',
        fingerprint: 'f00d',
      },
      decision: { outcome: 'deny', rule: 'deny-dangerous-functions', reason: 'reads server files' },
    },
  });
  await log.close();
  jest.useRealTimers();
});
afterAll(async () => {
  await aws.stop();
  await cleanup();
});

function config() {
  return validateConfig({
    version: 1,
    identity: { issuers: [{ issuer: 'https://idp.test', audiences: ['warden'] }] },
    audit: {
      dir,
      signingKey: 'env:AUDIT_KEY',
      sinks: [{ kind: 's3', bucket: 'warden-audit', prefix: 'audit/' }],
      evidence: { daily: true },
    },
  });
}

async function daily(now: () => number) {
  const log = await openLog(dir);
  const uploader = new S3Uploader({
    bucket: 'warden-audit',
    prefix: 'audit/',
    region: 'us-east-2',
    endpoint: aws.url,
    credentials: STATIC_KEYS,
    retryDelayMs: 1,
  });
  const schedule = scheduleDailyEvidence({
    config: config(),
    secrets: new SecretResolver([envProvider({ AUDIT_KEY: keys.privateKeyPem })]),
    audit: log,
    logger: createLogger({ WARDEN_LOG_LEVEL: 'silent' }),
    host: 'gw-test-1',
    now,
    uploaders: [uploader],
  });
  return {
    log,
    schedule,
    close: async () => {
      await schedule.stop();
      uploader.close();
      await log.close();
    },
  };
}

describe('daily evidence export', () => {
  it('exports a day, signed with the checkpoint key, into write-once storage, and records it', async () => {
    const d = await daily(Date.now);
    try {
      const out = await d.schedule.exportDay(DAY);
      expect(out).toBe(join(dir, 'evidence', DAY));
      const verified = await verifyPack(out!, keys.publicKey);
      expect(verified).toMatchObject({ ok: true, pinned: true, signerOrigin: 'audit-signing-key' });
      const stored = [...aws.objects.keys()].filter((k) => k.includes('/evidence/')).sort();
      expect(stored).toEqual(
        ['evidence.html', 'evidence.json', 'evidence.md', 'manifest.json', 'manifest.sig'].map(
          (f) => `warden-audit/audit/evidence/gw-test-1/${DAY}/${f}`,
        ),
      );
      for (const k of stored) expect(aws.objects.get(k)).toMatchObject({ lockMode: 'COMPLIANCE' });
      // A second run for the same day leaves the pack alone.
      expect(await d.schedule.exportDay(DAY)).toBeUndefined();
    } finally {
      await d.close();
    }
    const exported = [];
    for await (const { event: e } of auditEvents(dir)) if (e.type === 'evidence.exported') exported.push(e);
    expect(exported).toEqual([
      expect.objectContaining({
        body: expect.objectContaining({
          day: DAY,
          host: 'gw-test-1',
          verified: true,
          signerKeyId: keys.keyId,
          copies: 1,
        }),
      }),
    ]);
  });

  it('runs on its own shortly after UTC midnight and exports the day before', async () => {
    const later = '2026-03-05';
    let clock = Date.parse(`${later}T00:04:59Z`);
    jest.useFakeTimers({ now: clock, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const d = await daily(() => clock);
    try {
      expect(existsSync(join(dir, 'evidence', '2026-03-04'))).toBe(false);
      clock += 2000;
      jest.advanceTimersByTime(2000);
      jest.useRealTimers();
      for (let i = 0; i < 200 && !existsSync(join(dir, 'evidence', '2026-03-04', 'manifest.sig')); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(existsSync(join(dir, 'evidence', '2026-03-04', 'manifest.sig'))).toBe(true);
    } finally {
      jest.useRealTimers();
      await d.close();
    }
  });
});
