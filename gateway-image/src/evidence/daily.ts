/**
 * The gateway's own daily evidence export (config `audit.evidence.daily`): shortly after each UTC
 * midnight the process that owns the audit chain exports the previous day into
 * `<audit.dir>/evidence/<day>/`, signed with `audit.signingKey`, copies the pack to every s3/gcs
 * sink as `<prefix>evidence/<host>/<day>/<file>` (write-once, like the segments) and records
 * `evidence.exported` in the audit log, or `evidence.export-failed` with an error code. A failed
 * export never touches the data path: it is logged and audited, and `warden evidence export` can
 * produce that day's pack by hand.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AuditSink } from '../audit/event';
import { createSinkUploader } from '../audit/sink-uploaders';
import type { WardenConfig } from '../config/schema';
import type { Logger } from '../logging/logger';
import type { SecretResolver } from '../secrets/resolver';
import { exportEvidence } from './export';
import { sha256Hex } from './manifest';
import { startOfUtcDay } from './period';
import { signerFromPem, verificationKey } from './signer';

const DAY_MS = 86_400_000;
/** After midnight, so the last checkpoint of the day (every ≤ 10 s by default) is written. */
const AFTER_MIDNIGHT_MS = 5 * 60_000;

interface EvidenceUploader {
  upload(path: string, objectName: string, contentType: string): Promise<unknown>;
}

export interface DailyEvidenceOptions {
  readonly config: WardenConfig;
  readonly secrets: SecretResolver;
  readonly audit: AuditSink;
  readonly logger: Logger;
  /** Names this gateway's packs in storage. @default os.hostname() */
  readonly host?: string;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default the uploaders of the config's s3/gcs sinks */
  readonly uploaders?: readonly EvidenceUploader[];
}

export interface DailyEvidence {
  /** Exports one UTC day (YYYY-MM-DD) now; resolves with the pack directory, or undefined if it was already there. */
  exportDay(day: string): Promise<string | undefined>;
  /**
   * No more runs; resolves once a run in progress has ended (its pack copied and recorded, or its
   * failure recorded), so the audit log it records in can be closed after it.
   */
  stop(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  json: 'application/json',
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  sig: 'text/plain',
};

export function scheduleDailyEvidence(o: DailyEvidenceOptions): DailyEvidence {
  const now = o.now ?? Date.now;
  const host = o.host ?? hostname();
  const uploaders: readonly EvidenceUploader[] =
    o.uploaders ?? o.config.audit.sinks.flatMap((sink) => createSinkUploader(sink) ?? []);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const exportDay = async (day: string): Promise<string | undefined> => {
    const from = new Date(`${day}T00:00:00Z`);
    const out = join(o.config.audit.dir, 'evidence', day);
    // Resolved at each run, so a rotated key signs the next pack.
    const pem = await o.secrets.resolve(o.config.audit.signingKey);
    let exported: Awaited<ReturnType<typeof exportEvidence>>;
    try {
      exported = await exportEvidence({
        auditDir: o.config.audit.dir,
        period: { from: from.toISOString(), to: new Date(from.getTime() + DAY_MS).toISOString() },
        publicKey: verificationKey(pem),
        config: o.config,
        ...(o.config.recording ? { recordingsDir: o.config.recording.dir } : {}),
        host,
        live: true,
        out,
        signer: signerFromPem(pem, 'audit-signing-key'),
      });
    } catch (err) {
      // A pack already written for this day (a restart after the run) is not exported twice.
      if ((err as { code?: string }).code === 'ERR_EVIDENCE_OUT') return undefined;
      throw err;
    }
    for (const uploader of uploaders) {
      for (const file of exported.pack.files) {
        const type = CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream';
        await uploader.upload(join(out, file), `evidence/${host}/${day}/${file}`, type);
      }
    }
    await o.audit.append({
      type: 'evidence.exported',
      body: {
        day,
        host,
        verified: exported.data.integrity.ok,
        manifestSha256: sha256Hex(`${JSON.stringify(exported.pack.manifest, null, 2)}\n`),
        signerKeyId: exported.pack.manifest.signer.keyId,
        copies: uploaders.length,
      },
    });
    return out;
  };

  const run = async () => {
    const yesterday = new Date(startOfUtcDay(new Date(now())).getTime() - DAY_MS).toISOString().slice(0, 10);
    try {
      await exportDay(yesterday);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERR_EVIDENCE_EXPORT';
      o.logger.error({ day: yesterday, code }, 'daily evidence export failed');
      await o.audit
        .append({ type: 'evidence.export-failed', body: { day: yesterday, host, code } })
        .catch(() => undefined);
    }
  };

  const schedule = () => {
    if (stopped) return;
    const t = now();
    const next = startOfUtcDay(new Date(t)).getTime() + AFTER_MIDNIGHT_MS;
    const wait = (next > t ? next : next + DAY_MS) - t;
    timer = setTimeout(() => {
      running = run().finally(() => {
        running = undefined;
        schedule();
      });
    }, wait);
    timer.unref();
  };
  schedule();

  return {
    exportDay,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
