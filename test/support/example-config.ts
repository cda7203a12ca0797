import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const EXAMPLE_CONFIG = join(__dirname, '..', '..', 'examples', 'local', 'warden.json');

/**
 * The local example config as raw JSON, narrowed to its Postgres parts: the SSH and HTTP
 * listeners and connections (which need the sandbox's lab host and FHIR API) are removed,
 * together with grants left without a connection.
 */
// biome-ignore lint/suspicious/noExplicitAny: raw JSON that tests reshape before validating it
export async function examplePostgresConfig(): Promise<Record<string, any>> {
  const raw = JSON.parse(await readFile(EXAMPLE_CONFIG, 'utf8'));
  const kept = new Set<string>();
  raw.connections = raw.connections.filter((c: { kind: string; name: string }) => {
    if (c.kind === 'postgres') kept.add(c.name);
    return c.kind === 'postgres';
  });
  for (const grant of raw.access.grants)
    grant.connections = grant.connections.filter((n: string) => kept.has(n));
  raw.access.grants = raw.access.grants.filter((g: { connections: string[] }) => g.connections.length > 0);
  delete raw.listeners.ssh;
  delete raw.listeners.http;
  return raw;
}
