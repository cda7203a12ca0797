/**
 * The settings a running gateway enforces for transmission security and logoff, read from its
 * config: which listeners present TLS, how each upstream is verified, token and grant lifetimes,
 * checkpoint cadence, write-once copies. Names and settings only; secret references are not copied.
 */
import type { WardenConfig } from '../config/schema';
import type { ConfigurationEvidence, StandingGrantEvidence } from './model';

export function configurationEvidence(config: WardenConfig): ConfigurationEvidence {
  const l = config.listeners;
  const listeners: ConfigurationEvidence['listeners'][number][] = [];
  if (l.postgres)
    listeners.push({
      name: 'postgres',
      tls: true,
      note: l.postgres.allowPlaintextPassword
        ? 'plaintext passwords ALLOWED (loopback only)'
        : 'plaintext passwords refused',
    });
  if (l.ssh) listeners.push({ name: 'ssh', tls: false, note: 'SSH transport encryption, gateway host key' });
  if (l.http) listeners.push({ name: 'http', tls: true, note: '' });
  if (l.kubernetes) listeners.push({ name: 'kubernetes', tls: true, note: '' });
  listeners.push({
    name: 'admin',
    tls: l.admin.tls !== undefined,
    note: l.admin.tls ? '' : `loopback ${l.admin.host} only`,
  });
  return {
    listeners,
    upstreams: config.connections.map((c) => ({
      connection: c.name,
      kind: c.kind,
      verified: upstreamVerification(c),
    })),
    sessionTokenLifetimeSec: config.identity.sessionTokens?.lifetimeSec ?? null,
    justInTimeMaxHours: config.access.justInTime ? config.access.justInTime.maxDurationMs / 3600_000 : null,
    checkpointEvery: config.audit.checkpointEvery,
    checkpointIntervalMs: config.audit.checkpointIntervalMs,
    writeOnceSinks: config.audit.sinks.flatMap((s) =>
      s.kind === 'stdout' ? [] : [`${s.kind}://${s.bucket}/${s.prefix}`],
    ),
  };
}

function upstreamVerification(c: WardenConfig['connections'][number]): string {
  if (c.kind === 'ssh') return 'host key pinned';
  if (c.kind === 'http' && !c.upstream.url.startsWith('https:')) return 'plain HTTP, NOT encrypted';
  return c.upstream.tls.mode === 'verify-full'
    ? 'TLS, certificate and host name verified'
    : 'TLS verification DISABLED';
}

/** Standing grants as a reviewer reads them: name, connections, who. */
export function standingGrants(config: WardenConfig): StandingGrantEvidence[] {
  return config.access.grants.map((g) => {
    const p = g.principals;
    const who = [
      p.kinds?.length ? `kinds ${p.kinds.join(', ')}` : '',
      p.groups?.length ? `groups ${p.groups.join(', ')}` : '',
      p.subjects?.length ? `subjects ${p.subjects.join(', ')}` : '',
    ].filter(Boolean);
    return {
      name: g.name,
      connections: [...g.connections],
      principals: who.length ? who.join('; ') : 'every authenticated principal',
    };
  });
}
