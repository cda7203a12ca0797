/**
 * Readiness for load balancers and operators (`/readyz`): the gateway can do its job only if it
 * can record what it forwards, decide holds and log in upstream. Each check is bounded in time, and
 * the answer names failing checks and connections, never a secret, path or error text.
 */
import { randomUUID } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { WardenConfig } from '../config/schema';
import { SECRET_REF_PATTERN } from '../config/secret-ref';

export interface ReadinessSources {
  readonly config: WardenConfig;
  resolveSecret(ref: string): Promise<string>;
  /** Reaches the approvals store (absent when no approvals are configured). */
  readonly approvalsStore?: () => Promise<unknown>;
  /** Whether this process's audit log has failed (it then refuses every append). */
  auditFailed(): boolean;
  /** Worker processes whose audit log has failed, from their latest reports. @default none */
  readonly workersAuditFailed?: () => number;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, 'ok' | 'failing'>>;
  /** Connections whose secrets did not resolve, by name. */
  readonly connectionsFailing?: readonly string[];
}

const CHECK_TIMEOUT_MS = 2_000;

export class Readiness {
  private secrets: { at: number; failing: string[] } | undefined;
  private last: ReadinessReport | undefined;

  constructor(private readonly s: ReadinessSources) {}

  /** The last report, for the `warden_ready` gauge; undefined before the first check. */
  get latest(): ReadinessReport | undefined {
    return this.last;
  }

  async check(now = Date.now()): Promise<ReadinessReport> {
    const [audit, approvals, failing] = await Promise.all([
      this.auditWritable(),
      this.s.approvalsStore ? bounded(this.s.approvalsStore()) : Promise.resolve(true),
      this.connectionsFailing(now),
    ]);
    const checks: Record<string, 'ok' | 'failing'> = {
      audit: audit ? 'ok' : 'failing',
      ...(this.s.approvalsStore ? { approvals: approvals ? 'ok' : 'failing' } : {}),
      secrets: failing.length === 0 ? 'ok' : 'failing',
    };
    this.last = {
      ready: Object.values(checks).every((c) => c === 'ok'),
      checks,
      ...(failing.length > 0 ? { connectionsFailing: failing } : {}),
    };
    return this.last;
  }

  /** A file can be created and fsync'd in the audit directory (sealing opens new segments there). */
  private async auditWritable(): Promise<boolean> {
    if (this.s.auditFailed() || (this.s.workersAuditFailed?.() ?? 0) > 0) return false;
    const probe = join(this.s.config.audit.dir, `.readyz-${process.pid}-${randomUUID()}`);
    return bounded(
      (async () => {
        const file = await open(probe, 'wx', 0o600);
        try {
          await file.write('ready\n');
          await file.sync();
        } finally {
          await file.close();
          await unlink(probe);
        }
      })(),
    );
  }

  /** Secret stores are asked at most once per `secretsCheckIntervalMs`; failures are retried at once. */
  private async connectionsFailing(now: number): Promise<string[]> {
    const interval = this.s.config.observability.readiness.secretsCheckIntervalMs;
    if (this.secrets && this.secrets.failing.length === 0 && now - this.secrets.at < interval)
      return this.secrets.failing;
    const failing: string[] = [];
    await Promise.all(
      this.s.config.connections.map(async (c) => {
        const results = await Promise.all(secretRefsIn(c).map((ref) => bounded(this.s.resolveSecret(ref))));
        if (results.includes(false)) failing.push(c.name);
      }),
    );
    failing.sort();
    this.secrets = { at: now, failing };
    return failing;
  }
}

/** Every secret reference a connection holds (passwords, keys, credentials, brokered roles). */
export function secretRefsIn(value: unknown): string[] {
  if (typeof value === 'string') return SECRET_REF_PATTERN.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(secretRefsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(secretRefsIn);
  return [];
}

/** True when `work` settles successfully within the check timeout. */
async function bounded(work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
