/**
 * The real audit file system with every fdatasync slowed down, and a record of what each one made
 * durable: so a test can tell whether something happened before or after an audit event was on
 * disk ("before" becomes a window of `delayMs`).
 */
import { type AuditFileSystem, nodeAuditFileSystem } from '../../gateway-image/src/audit/segments';

export interface SlowAuditFs {
  readonly fileSystem: AuditFileSystem;
  /** Event types in the order they were written to the file. */
  readonly written: string[];
  /** Event types made durable so far (a prefix of `written`), each with when it became so. */
  readonly durable: { readonly type: string; readonly at: number }[];
}

export function slowAuditFs(delayMs: number): SlowAuditFs {
  const written: string[] = [];
  const durable: { type: string; at: number }[] = [];
  const fileSystem: AuditFileSystem = {
    async openSegment(path) {
      const file = await nodeAuditFileSystem.openSegment(path);
      return {
        async append(data) {
          await file.append(data);
          for (const line of data.toString('utf8').split('\n').filter(Boolean))
            written.push((JSON.parse(line) as { type: string }).type);
        },
        async sync() {
          const covered = written.length;
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          await file.sync();
          const at = Date.now();
          for (const type of written.slice(durable.length, covered)) durable.push({ type, at });
        },
        close: () => file.close(),
      };
    },
  };
  return { fileSystem, written, durable };
}
