/** Shared pieces of the approvals tests: principals, an in-memory audit sink, a temp file store. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileApprovalStore } from '../../gateway-image/src/approvals/file-store';
import type { AuditEvent, AuditEventInput, AuditSink } from '../../gateway-image/src/audit/event';
import type { Principal } from '../../gateway-image/src/identity/principal';

export function person(subject: string, groups: string[], kind: 'human' | 'agent' = 'human'): Principal {
  return {
    subject,
    kind,
    groups,
    issuer: 'https://issuer.test',
    expiresAt: new Date(Date.now() + 3_600_000),
    via: 'oidc',
  };
}

export class MemoryAudit implements AuditSink {
  readonly events: AuditEventInput[] = [];
  down = false;

  async append(input: AuditEventInput): Promise<AuditEvent> {
    if (this.down) throw new Error('audit down');
    this.events.push(input);
    return input as unknown as AuditEvent;
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

export async function tempStore(): Promise<{ store: FileApprovalStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-approvals-'));
  return { store: await FileApprovalStore.open(dir), dir };
}

export async function until<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
