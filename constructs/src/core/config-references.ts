/**
 * The checks the gateway makes beyond its schema (cross-references and listener safety), made
 * again here so a config that passes synth also starts: every problem is reported with its path.
 */
import type { WardenConfig } from './config-contract';

export interface ConfigIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Whether a host is this machine: only there may the admin listener or passwords go unencrypted. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function referenceIssues(c: WardenConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });

  const connNames = new Set<string>();
  for (const [i, conn] of c.connections.entries()) {
    if (connNames.has(conn.name)) add(['connections', i, 'name'], `duplicate connection name "${conn.name}"`);
    connNames.add(conn.name);
    if (conn.kind === 'postgres')
      duplicateRoles(conn, (path, message) => add(['connections', i, ...path], message));
    // The schema says "a URL"; the gateway only speaks HTTP(S) upstream.
    if (conn.kind === 'http' && !/^https?:$/.test(new URL(conn.upstream.url).protocol)) {
      add(['connections', i, 'upstream', 'url'], 'expected an http or https URL');
    }
  }
  const unknownConnections = (list: readonly string[] | undefined, path: (string | number)[]) => {
    for (const [j, n] of (list ?? []).entries()) {
      if (n !== '*' && !connNames.has(n)) add([...path, j], `unknown connection "${n}"`);
    }
  };
  for (const [i, g] of c.access.grants.entries()) {
    unknownConnections(g.connections, ['access', 'grants', i, 'connections']);
  }
  const ruleNames = new Set<string>();
  for (const [i, r] of c.policy.rules.entries()) {
    if (ruleNames.has(r.name)) add(['policy', 'rules', i, 'name'], `duplicate rule name "${r.name}"`);
    ruleNames.add(r.name);
    unknownConnections(r.connections, ['policy', 'rules', i, 'connections']);
  }
  for (const [i, a] of c.approvals.rules.entries()) {
    for (const [j, n] of a.policyRules.entries()) {
      if (n !== '*' && !ruleNames.has(n)) {
        add(['approvals', 'rules', i, 'policyRules', j], `unknown policy rule "${n}"`);
      }
    }
  }
  const ports = new Map<number, string>();
  for (const [kind, l] of Object.entries(c.listeners)) {
    if (!l || l.port === 0) continue;
    const other = ports.get(l.port);
    if (other) add(['listeners', kind, 'port'], `port ${l.port} is already used by the ${other} listener`);
    ports.set(l.port, kind);
  }
  const admin = c.listeners.admin;
  if (!admin.tls && !isLoopbackHost(admin.host)) {
    add(
      ['listeners', 'admin', 'tls'],
      'TLS is required when the admin listener is not on a loopback address',
    );
  }
  const pg = c.listeners.postgres;
  if (pg?.allowPlaintextPassword && !isLoopbackHost(pg.host)) {
    add(
      ['listeners', 'postgres', 'allowPlaintextPassword'],
      'plaintext passwords are only allowed on a loopback listener',
    );
  }
  return issues;
}

/** A user name picks one brokered role: each may be declared once, and not again as upstream.user. */
function duplicateRoles(
  conn: {
    readonly upstream: { readonly user: string };
    readonly roles?: readonly { readonly user: string }[];
  },
  report: (path: (string | number)[], message: string) => void,
): void {
  const users = new Set([conn.upstream.user]);
  for (const [j, role] of (conn.roles ?? []).entries()) {
    if (users.has(role.user)) report(['roles', j, 'user'], `role "${role.user}" is brokered twice`);
    users.add(role.user);
  }
}
