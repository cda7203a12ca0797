/**
 * The operations endpoints on the admin listener. `/healthz` (the server's own) says the process
 * is up; `/readyz` says it can serve (readiness.ts), for load balancer health checks; `/metrics`
 * serves OpenMetrics text to scrapers on an allowed network or holding the metrics token. None of
 * them uses the admin API's principals: a scraper is not a person.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { HttpProblem } from '../admin/problem';
import type { Router } from '../admin/router';
import type { Readiness } from './readiness';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface OperationsRoutesOptions {
  readonly readiness: Readiness;
  /** Absent when metrics are disabled. */
  readonly metrics?: {
    render(): Promise<string>;
    readonly allowFrom: readonly string[];
    /** Resolves the metrics bearer token (a secret reference); absent: networks only. */
    readonly token?: () => Promise<string>;
  };
}

export function addOperationsRoutes(router: Router, o: OperationsRoutesOptions): void {
  router.add('GET', '/readyz', async () => {
    const report = await o.readiness.check();
    return {
      status: report.ready ? 200 : 503,
      body: { status: report.ready ? 'ready' : 'not-ready', ...report },
    };
  });
  const metrics = o.metrics;
  if (!metrics) return;
  const allowed = blockList(metrics.allowFrom);
  router.add('GET', '/metrics', async ({ req }) => {
    if (
      !inList(allowed, req.socket.remoteAddress) &&
      !(await tokenMatches(req.headers.authorization, metrics.token))
    )
      throw new HttpProblem(
        403,
        'ERR_METRICS_FORBIDDEN',
        'metrics are served to allowed networks or with the metrics token',
      );
    // Keeps warden_ready current for scrapers that never call /readyz themselves.
    await o.readiness.check();
    return { status: 200, headers: { 'content-type': OPENMETRICS }, body: await metrics.render() };
  });
}

function blockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/');
    list.addSubnet(address!, Number(bits), isIP(address!) === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

function inList(list: BlockList, remote: string | undefined): boolean {
  if (!remote) return false;
  // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
  const v4 = remote.startsWith('::ffff:') && isIP(remote.slice(7)) === 4 ? remote.slice(7) : undefined;
  return v4 ? list.check(v4, 'ipv4') : list.check(remote, isIP(remote) === 6 ? 'ipv6' : 'ipv4');
}

async function tokenMatches(
  header: string | undefined,
  token: (() => Promise<string>) | undefined,
): Promise<boolean> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m || !token) return false;
  // Hashes first: equal lengths for timingSafeEqual, and no early exit on the token's length.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(await token()));
}
