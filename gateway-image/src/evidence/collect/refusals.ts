/**
 * What the gateway refused in the period: attempts denied by each policy rule (the gateway's own
 * rules included, e.g. `warden:unmaskable-output`), SSH refusals by the program and features the
 * decision was about, commands refused because they could not be inspected (by reason code:
 * `lexing-setting`, `invalid-utf8`, `syntax-error`, …), authentication refusals, refused SSH
 * channels and sftp operations, refused HTTP requests. Counts and names only.
 */
import type { AuditEvent } from '../../audit/event';
import { bump } from '../events';
import type { Protocol, RefusalEvidence } from '../model';
import { type AttemptEvent, type Collector, decisionOf, isAttempt, protocolOf } from './collector';

export class RefusalCollector implements Collector<RefusalEvidence> {
  private readonly byRule = new Map<
    string,
    { count: number; protocols: Partial<Record<Protocol, number>> }
  >();
  private readonly ssh = new Map<string, RefusalEvidence['sshPrograms'][number]>();
  private readonly notInspectable: Record<string, number> = {};
  private readonly authentication: Record<string, number> = {};
  private readonly channels: Record<string, number> = {};
  private readonly sftp: Record<string, number> = {};
  private readonly http: Record<string, number> = {};

  add(e: AuditEvent): void {
    if (isAttempt(e)) this.attempt(e);
    else if (e.type === 'identity.authentication.refused') bump(this.authentication, e.body.code);
    else if (e.type === 'channel.refused') bump(this.channels, e.body.request);
    else if (e.type === 'request.refused') bump(this.http, e.body.reason);
    else if (e.type === 'sftp.file' && e.body.refused !== undefined)
      bump(this.sftp, `${e.body.op}: ${e.body.refused}`);
  }

  private attempt(e: AttemptEvent): void {
    const protocol = protocolOf(e);
    const d = decisionOf(e);
    if (!d) {
      // No decision: refused before policy (not inspectable, syntax error, policy error).
      const outcome = 'outcome' in e.body ? e.body.outcome : 'refused';
      const reason = protocol === 'postgres' && 'reason' in e.body ? e.body.reason : undefined;
      bump(this.notInspectable, `${protocol ?? 'unknown'}: ${reason ? `${outcome} (${reason})` : outcome}`);
      return;
    }
    if (d.outcome !== 'deny') return;
    const entry = this.byRule.get(d.rule) ?? { count: 0, protocols: {} };
    entry.count++;
    if (protocol) entry.protocols[protocol] = (entry.protocols[protocol] ?? 0) + 1;
    this.byRule.set(d.rule, entry);
    if (protocol === 'ssh' && d.program) {
      const features = [...(d.features ?? [])].sort();
      const key = `${d.rule}\u0000${d.program}\u0000${features.join(',')}`;
      const prev = this.ssh.get(key);
      this.ssh.set(key, { rule: d.rule, program: d.program, features, count: (prev?.count ?? 0) + 1 });
    }
  }

  result(): RefusalEvidence {
    return {
      byRule: [...this.byRule]
        .map(([rule, v]) => ({ rule, ...v }))
        .sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
      sshPrograms: [...this.ssh.values()].sort(
        (a, b) => b.count - a.count || a.program.localeCompare(b.program),
      ),
      notInspectable: this.notInspectable,
      authentication: this.authentication,
      channels: this.channels,
      sftp: this.sftp,
      http: this.http,
    };
  }
}
